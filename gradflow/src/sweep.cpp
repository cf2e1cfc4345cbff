// gradflow/src/sweep.cpp -- the grid expansion of sweep.hpp.
#include "xrnn/gradflow/sweep.hpp"

#include "xrnn/gradflow/tasks.hpp"
#include "xrnn/optimizer.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

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

    namespace
    {
        // lists: every entry in the range
        struct Field
        {
            ValueRange range;
            std::vector<double> (*get)(const Options&);
        };
        template <class V>
        std::vector<double> as_doubles(const std::vector<V>& v) { return std::vector<double>(v.begin(), v.end()); }
        const Field kFields[] = {
            {{"gain", 0, 100}, [](const Options& o) { return o.gains; }},
            {{"sigma_gamma", 0, 100}, [](const Options& o) { return o.sigma_gammas; }},
            {limits::forget_bias, [](const Options& o) { return o.forget_biases; }},
            {{"seq_len", 1, 1e9, true}, [](const Options& o) { return as_doubles(o.seq_lens); }},
            {limits::seed, [](const Options& o) { return as_doubles(o.seeds); }},
            {limits::hidden_size, [](const Options& o) { return std::vector<double>{double(o.hidden_size)}; }},
            {limits::num_layers, [](const Options& o) { return std::vector<double>{double(o.num_layers)}; }},
            {limits::batch_size, [](const Options& o) { return std::vector<double>{double(o.batch_size)}; }},
            {limits::threads, [](const Options& o) { return std::vector<double>{double(o.threads)}; }},
            {{"epsilon", 0, 0.999, false, true}, [](const Options& o) { return std::vector<double>{o.epsilon}; }},
            {{"steps", 1, limits::kMaxCount, true}, [](const Options& o) { return std::vector<double>{double(o.steps)}; }},
            {{"eval_every", 1, limits::kMaxCount, true}, [](const Options& o) { return std::vector<double>{double(o.eval_every)}; }},
            {limits::monitor_every, [](const Options& o) { return std::vector<double>{double(o.monitor_every)}; }},
            {{"test_size", 1, 10000000, true}, [](const Options& o) { return std::vector<double>{double(o.test_size)}; }},
            {optimizer_range::lr, [](const Options& o) { return std::vector<double>{o.lr}; }},
            {limits::clip_norm, [](const Options& o) { return std::vector<double>{o.clip_norm}; }},
            {limits::max_memory, [](const Options& o) { return std::vector<double>{double(o.max_memory)}; }},
        };
    }

    const ValueRange& option_range(std::string_view name)
    {
        for (const Field& f : kFields)
            if (name == f.range.name)
                return f.range;
        throw std::logic_error("xrnn: gradflow Options has no range for '" + std::string(name) + "'");
    }

    void check_options(const Options& o)
    {
        for (const Field& f : kFields)
            for (double v : f.get(o))
                check_range(f.range, v);
        task_from_name(o.task);
        for (std::size_t T : o.seq_lens)
            SyntheticTask(task_from_name(o.task), T);
        expand(o); // validates cell / activation / init names
    }
}
