// tests/cell_checks.hpp -- the per-cell proof, run for every (activation, recurrent_activation)
// pair: forward equals the naive reference, and backward equals central finite differences.
#pragma once

#include "gradcheck.hpp"
#include "reference_cells.hpp"

#include <doctest/doctest.h>

#include <cstdio>

namespace cellcheck
{
    constexpr double kTolerance = 1e-6;  // max relative error allowed (see gradcheck.hpp)

    // Forward of a 2-layer net against ref::layer_forward, returns max |difference| relative
    // to the outputs' scale max(1, max |y|): unbounded candidates (identity) can drive a
    // peephole cell's outputs to hundreds, where the two summation orders differ by ulps of that.
    inline double forward_vs_reference(gradcheck::Net& net, const gradcheck::Problem& p)
    {
        const auto& c = net.config();
        const std::size_t T = p.x.shape()[0], B = p.x.shape()[1], H = c.hidden_size;
        xrnn::Tensor3<double> y;
        gradcheck::State sT;
        net.forward(p.x, p.s0, y, sT);
        std::vector<double> in(p.x.begin(), p.x.end());
        std::size_t I = c.input_size;
        for (std::size_t l = 0; l < c.num_layers; ++l)
        {
            auto& ps = net.params();
            auto tensor = [&](std::size_t k) { return ps.value(net.tensor_index(l, k)); };
            xrnn::LayerParams<double> lp{tensor(0), tensor(1), tensor(2), tensor(3),
                                         net.traits().tensors.size() > 4 ? tensor(4) : nullptr};
            std::vector<double> h(p.s0.h.data() + l * B * H, p.s0.h.data() + (l + 1) * B * H);
            std::vector<double> cs(B * H, 0.0);
            if (p.s0.c.size())
                cs.assign(p.s0.c.data() + l * B * H, p.s0.c.data() + (l + 1) * B * H);
            in = ref::layer_forward(c.cell, lp, in, T, B, I, H, h, cs, c.activation,
                                    c.recurrent_activation);
            I = H;
        }
        double m = 0, scale = 1;
        for (std::size_t i = 0; i < in.size(); ++i)
        {
            m = std::max(m, std::abs(in[i] - y.data()[i]));
            scale = std::max(scale, std::abs(in[i]));
        }
        return m / scale;
    }

    // Checks every activation pair for a cell kind; returns the largest gradient error seen.
    inline double check_all_activations(xrnn::CellKind cell)
    {
        const auto acts = xrnn::all_activations();
        const bool gated = xrnn::cell_traits(cell).gated;
        double worst = 0;
        std::string worst_name;
        int combos = 0;
        for (const auto& a : acts)
            for (const auto& ra : gated ? acts : std::vector<xrnn::Activation>{xrnn::ActivationKind::sigmoid})
            {
                xrnn::RecurrentConfig cfg;
                cfg.cell = cell;
                cfg.input_size = 3;
                cfg.hidden_size = 4;
                cfg.num_layers = 2;
                cfg.activation = a;
                cfg.recurrent_activation = ra;
                const std::string name = xrnn::cell_name(cell) + " activation=" + xrnn::activation_name(a)
                                         + (gated ? " recurrent_activation=" + xrnn::activation_name(ra) : "");
                INFO(name);
                bool done = false;
                for (std::uint64_t seed = 1; seed <= 100 && !done; ++seed)
                {
                    gradcheck::Net net(cfg, xrnn::InitConfig{seed});
                    auto prob = gradcheck::make_problem(net, 6, 2, 1000 + seed);
                    const auto r = gradcheck::check(net, prob);
                    if (r.crossed)
                        continue; // a perturbation crossed a kink: finite differences invalid, next seed
                    CHECK(forward_vs_reference(net, prob) <= 1e-12);
                    INFO("worst entry: " << r.worst << " error " << r.max_err);
                    CHECK(r.max_err <= kTolerance);
                    if (r.max_err > worst)
                    {
                        worst = r.max_err;
                        worst_name = name + " at " + r.worst;
                    }
                    done = true;
                    ++combos;
                }
                CHECK_MESSAGE(done, "every seed had a perturbation crossing a kink");
            }
        std::printf("gradient check %s: %d activation combinations, max relative error %.3g (%s)\n",
                    xrnn::cell_name(cell).c_str(), combos, worst, worst_name.c_str());
        return worst;
    }
}
