// gradflow/src/sweep.cpp -- the grid expansion of sweep.hpp.
#include "xrnn/gradflow/sweep.hpp"

#include "xrnn/gradflow/tasks.hpp"

#include <cmath>
#include <sstream>

namespace xrnn::gradflow
{
    std::string RunConfig::name() const
    {
        std::ostringstream os;
        os << xrnn::cell_name(cell) << " " << xrnn::activation_name(act);
        if (xrnn::cell_traits(cell).gated)
            os << "/" << xrnn::activation_name(ract);
        os << " " << xrnn::recurrent_init_name(init);
        if (!std::isnan(sigma_gamma))
            os << " sg=" << sigma_gamma;
        else if (gain != 1.0)
            os << " gain=" << gain;
        if (!std::isnan(forget_bias))
            os << " bf=" << forget_bias;
        return os.str();
    }

    std::vector<RunConfig> expand(const Options& o)
    {
        std::vector<RunConfig> out;
        std::vector<double> scales = o.sigma_gammas.empty() ? o.gains : o.sigma_gammas;
        for (const auto& cn : o.cells)
        {
            const CellKind cell = xrnn::cell_from_name(cn);
            const std::vector<std::string> racts = xrnn::cell_traits(cell).gated ? o.recurrent_activations : std::vector<std::string>{o.recurrent_activations.front()};
            const std::vector<double> fbs = (xrnn::cell_traits(cell).forget_block >= 0) ? o.forget_biases : std::vector<double>{nan_v};
            for (const auto& an : o.activations)
                for (const auto& rn : racts)
                    for (const auto& in : o.inits)
                        for (double s : scales)
                            for (double fb : fbs)
                                for (std::size_t T : o.seq_lens)
                                    for (std::uint64_t seed : o.seeds)
                                    {
                                        RunConfig c{cell, xrnn::activation_from_name(an), xrnn::activation_from_name(rn),
                                                    xrnn::recurrent_init_from_name(in), 1.0, nan_v, fb, T, seed};
                                        (o.sigma_gammas.empty() ? c.gain : c.sigma_gamma) = s;
                                        out.push_back(c);
                                    }
        }
        return out;
    }

    void check_options(const Options& o)
    {
        task_from_name(o.task);
        for (std::size_t T : o.seq_lens)
            SyntheticTask(task_from_name(o.task), T);
        expand(o); // validates cell / activation / init names
    }
}
