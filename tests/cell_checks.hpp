// tests/cell_checks.hpp -- the per-cell proof, run for every (activation, recurrent_activation)
// pair: forward equals the naive reference, and backward equals central finite differences.
#pragma once

#include "gradcheck.hpp"
#include "reference_cells.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <limits>

namespace cellcheck
{
    constexpr double kTolerance = 1e-6;  // max relative error allowed (see gradcheck.hpp)

    // Forward of a stack against ref::layer_forward run on each sequence alone (its own
    // length; the reverse direction on the sequence reversed within that length), returns
    // max |difference| over outputs and final states, relative to their scale max(1, max |y|):
    // unbounded candidates (identity) can drive a peephole cell's outputs to hundreds, where
    // the two summation orders differ by ulps of that. Outputs past a length must be exactly 0.
    inline double forward_vs_reference(gradcheck::Net& net, const gradcheck::Problem& p)
    {
        const auto& c = net.config();
        const std::size_t T = p.x.shape()[0], B = p.x.shape()[1], H = c.hidden_size;
        const std::size_t D = net.directions(), DH = D * H;
        xrnn::Tensor3<double> y;
        gradcheck::State sT;
        net.forward(p.x, p.s0, y, sT, p.lengths);
        auto& ps = net.params();
        double m = 0, scale = 1;
        auto diff = [&](double want, double got) {
            m = std::max(m, std::abs(want - got));
            scale = std::max(scale, std::abs(want));
        };
        for (std::size_t b = 0; b < B; ++b)
        {
            const std::size_t len = p.lengths.empty() ? T : p.lengths[b];
            std::size_t I = c.input_size;
            std::vector<double> in(len * I);
            for (std::size_t t = 0; t < len; ++t)
                std::copy_n(p.x.data() + (t * B + b) * I, I, in.data() + t * I);
            for (std::size_t l = 0; l < c.num_layers; ++l)
            {
                std::vector<double> out(len * DH);
                for (std::size_t d = 0; d < D; ++d)
                {
                    const std::size_t u = l * D + d;
                    auto tensor = [&](std::size_t k) { return ps.value(net.tensor_index(u, k)); };
                    xrnn::LayerParams<double> lp{tensor(0), tensor(1), tensor(2), tensor(3),
                                                 net.traits().tensors.size() > 4 ? tensor(4) : nullptr};
                    std::vector<double> seq(len * I);
                    for (std::size_t t = 0; t < len; ++t) // reverse: step t reads x[len-1-t]
                        std::copy_n(in.data() + (d ? len - 1 - t : t) * I, I, seq.data() + t * I);
                    std::vector<double> h(p.s0.h.data() + (u * B + b) * H, p.s0.h.data() + (u * B + b + 1) * H);
                    std::vector<double> cs(H, 0.0);
                    if (p.s0.c.size())
                        cs.assign(p.s0.c.data() + (u * B + b) * H, p.s0.c.data() + (u * B + b + 1) * H);
                    const auto o = ref::layer_forward(c.cell, lp, seq, len, 1, I, H, h, cs, c.activation,
                                                      c.recurrent_activation);
                    for (std::size_t t = 0; t < len; ++t)
                        std::copy_n(o.data() + (d ? len - 1 - t : t) * H, H, out.data() + t * DH + d * H);
                    for (std::size_t j = 0; j < H; ++j)
                    {
                        diff(h[j], sT.h.data()[(u * B + b) * H + j]);
                        if (sT.c.size())
                            diff(cs[j], sT.c.data()[(u * B + b) * H + j]);
                    }
                }
                in = std::move(out);
                I = DH;
            }
            for (std::size_t t = 0; t < T; ++t)
                for (std::size_t j = 0; j < DH; ++j)
                {
                    const double got = y.data()[(t * B + b) * DH + j];
                    if (t < len)
                        diff(in[t * DH + j], got);
                    else if (got != 0)
                        m = std::numeric_limits<double>::infinity();
                }
        }
        return m / scale;
    }

    // The shape of the stack under test: bidirectional or not, and per-sequence lengths.
    struct Variant
    {
        bool bidirectional = false;
        std::vector<std::size_t> lengths; // for a batch of lengths.size() (default: 2 full rows)
        const char* name = "";
    };

    // Unsorted lengths with a length-1 row and a full row (T = 6), each direction setting.
    inline std::vector<Variant> packed_variants()
    {
        return {{false, {3, 6, 1, 5}, " lengths 3,6,1,5"},
                {true, {}, " bidirectional"},
                {true, {4, 1, 6, 2}, " bidirectional lengths 4,1,6,2"}};
    }

    // Checks every activation pair for a cell kind; returns the largest gradient error seen.
    inline double check_all_activations(xrnn::CellKind cell, const Variant& v = {})
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
                cfg.bidirectional = v.bidirectional;
                const std::string name = xrnn::cell_name(cell) + " activation=" + xrnn::activation_name(a)
                                         + (gated ? " recurrent_activation=" + xrnn::activation_name(ra) : "");
                INFO(name);
                bool done = false;
                for (std::uint64_t seed = 1; seed <= 100 && !done; ++seed)
                {
                    gradcheck::Net net(cfg, xrnn::InitConfig{seed});
                    auto prob = gradcheck::make_problem(net, 6, v.lengths.empty() ? 2 : v.lengths.size(), 1000 + seed, v.lengths);
                    const auto r = gradcheck::check(net, prob);
                    if (r.crossed || r.blown_up)
                        continue; // finite differences invalid here (gradcheck.hpp's Report): next seed
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
        std::printf("gradient check %s%s: %d activation combinations, max relative error %.3g (%s)\n",
                    xrnn::cell_name(cell).c_str(), v.name, combos, worst, worst_name.c_str());
        return worst;
    }
}
