// tests/gradcheck.hpp -- central finite differences against xrnn's backward, in double.
// Stencil: (L(v+h) - L(v-h)) / 2h with h = 1e-5 (truncation ~h^2, rounding ~1e-16/h).
// Loss: L = sum(y * Ry) + sum(h_T * Rh) + sum(c_T * Rc) with fixed random R, so gradients
// enter through every output step and through the final state. A problem may carry
// per-sequence lengths (then y past a length is zero and h_T is each sequence's own final
// state), and the net may be bidirectional. Checked: every parameter
// scalar, every input scalar and every initial-state scalar.
// Error of one entry: |analytic - numeric| / max(|analytic|, |numeric|, 1e-3 * scale), where
// scale is the largest |numeric| over all checked tensors: a relative error, except that
// entries a thousand times smaller than the model's largest gradient are compared at that
// floor (there the ~1e-11 absolute rounding noise of the difference quotient would dominate).
#pragma once

#include "xrnn/bptt.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace gradcheck
{
    using Net = xrnn::Recurrent<double>;
    using State = xrnn::RecurrentState<double>;
    using Tensor3 = xrnn::Tensor3<double>;

    struct Problem
    {
        Tensor3 x;
        State s0;
        Tensor3 ry;
        State rs; // weights for the final state
        std::vector<std::size_t> lengths; // empty: every sequence runs all T steps
    };

    inline void fill_uniform(Tensor3& t, xrnn::Rng& rng, double lo, double hi)
    {
        for (auto& v : t)
            v = rng.uniform(lo, hi);
    }

    inline Problem make_problem(const Net& net, std::size_t T, std::size_t B, std::uint64_t seed,
                                std::vector<std::size_t> lengths = {})
    {
        const auto& c = net.config();
        xrnn::Rng rng(seed);
        Problem p;
        p.lengths = std::move(lengths);
        const std::size_t L = net.units(), H = c.hidden_size;
        p.x = Tensor3::from_shape({T, B, c.input_size});
        p.ry = Tensor3::from_shape({T, B, net.output_size()});
        p.s0.h = Tensor3::from_shape({L, B, H});
        p.rs.h = Tensor3::from_shape({L, B, H});
        fill_uniform(p.x, rng, -1, 1);
        fill_uniform(p.ry, rng, -1, 1);
        fill_uniform(p.s0.h, rng, -0.5, 0.5);
        fill_uniform(p.rs.h, rng, -1, 1);
        if (net.traits().cell_state)
        {
            p.s0.c = Tensor3::from_shape({L, B, H});
            p.rs.c = Tensor3::from_shape({L, B, H});
            fill_uniform(p.s0.c, rng, -0.5, 0.5);
            fill_uniform(p.rs.c, rng, -1, 1);
        }
        return p;
    }

    inline double dot(const Tensor3& a, const Tensor3& b)
    {
        double s = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            s += a.data()[i] * b.data()[i];
        return s;
    }

    inline double loss(Net& net, const Problem& p)
    {
        Tensor3 y;
        State sT;
        net.forward(p.x, p.s0, y, sT, p.lengths);
        double l = dot(y, p.ry) + dot(sT.h, p.rs.h);
        if (p.rs.c.size())
            l += dot(sT.c, p.rs.c);
        return l;
    }

    // Which side of each kink every pre-activation (and LSTM cell state) lies on, for the
    // activations applied to them (see xrnn::kinks). Uses the caches of the last forward,
    // which must have run with pre-activations kept.
    inline std::vector<signed char> kink_sides(const Net& net, std::size_t batch)
    {
        const auto& c = net.config();
        const auto ka = xrnn::kinks(c.activation), kr = xrnn::kinks(c.recurrent_activation);
        std::vector<signed char> sides;
        auto scan = [&](const double* v, std::size_t n, const std::vector<double>& ks) {
            for (std::size_t i = 0; i < n; ++i)
                for (double k : ks)
                    sides.push_back(static_cast<signed char>((v[i] > k) - (v[i] < k)));
        };
        const std::size_t H = c.hidden_size;
        const xrnn::CellTraits& tr = net.traits();
        for (std::size_t l = 0; l < net.units(); ++l)
        {
            const auto& cache = net.caches()[l];
            const std::size_t G = tr.gates * H;
            for (std::size_t r = 0; r < cache.pre.size() / G; ++r)
                for (std::size_t k = 0; k < tr.gates; ++k) // the candidate block runs `activation`
                    scan(cache.pre.data() + r * G + k * H, H, k == tr.candidate_block ? ka : kr);
            if (tr.cell_state) // activation(c) in h = o * activation(c)
                scan(cache.c.data() + batch * H, cache.c.size() - batch * H, ka);
        }
        return sides;
    }

    struct Report
    {
        double max_err = 0;
        std::string worst;    // name of the tensor holding the worst entry
        bool crossed = false; // a perturbation moved some input across a kink: result invalid
        // The forward's outputs or final states exceed kBlowUp (or are not finite): unbounded
        // activations (identity, softplus gates, above all with peepholes, where c feeds the
        // gates) can grow doubly exponentially, and there finite differences measure the
        // blow-up, not the derivative. Nothing was checked.
        bool blown_up = false;
    };

    constexpr double kBlowUp = 1e6;

    struct Entry
    {
        std::string name;
        std::vector<double> analytic, numeric;
        double* values = nullptr; // what was perturbed, for refine()
    };

    inline void compare(Report& r, const std::vector<Entry>& entries)
    {
        double scale = 0;
        for (const auto& e : entries)
            for (double v : e.numeric)
                scale = std::max(scale, std::abs(v));
        const double floor = std::max(1e-3 * scale, 1e-12);
        for (const auto& e : entries)
            for (std::size_t i = 0; i < e.numeric.size(); ++i)
            {
                const double a = e.analytic[i], n = e.numeric[i];
                const double err = std::abs(a - n) / std::max({std::abs(a), std::abs(n), floor});
                if (!(err <= r.max_err)) // also catches NaN
                {
                    r.max_err = std::isnan(err) ? std::numeric_limits<double>::infinity() : err;
                    r.worst = e.name + "[" + std::to_string(i) + "]";
                }
            }
    }

    // Numeric derivative of the loss with respect to each scalar of v (v is perturbed in place).
    template <class F>
    std::vector<double> numeric_grad(double* v, std::size_t n, F&& f, double eps)
    {
        std::vector<double> g(n);
        for (std::size_t i = 0; i < n; ++i)
        {
            const double keep = v[i];
            v[i] = keep + eps;
            const double lp = f();
            v[i] = keep - eps;
            const double lm = f();
            v[i] = keep;
            g[i] = (lp - lm) / (2 * eps);
        }
        return g;
    }

    // Entries whose central difference is off by more than `above` get a second opinion from
    // the fourth-order stencil (-L(v+2h) + 8L(v+h) - 8L(v-h) + L(v-2h)) / 12h, h = 1e-4:
    // where the loss is strongly curved (unbounded activations, values in the thousands) the
    // h^2 truncation of the central difference alone reaches 1e-6, while the analytic
    // gradient is right; the fourth-order estimate then takes its place. Entries are few.
    template <class F>
    void refine(std::vector<Entry>& entries, F&& f, double above)
    {
        double scale = 0;
        for (const auto& e : entries)
            for (double v : e.numeric)
                scale = std::max(scale, std::abs(v));
        const double floor = std::max(1e-3 * scale, 1e-12), h = 1e-4;
        for (auto& e : entries)
            for (std::size_t i = 0; i < e.numeric.size(); ++i)
            {
                const double a = e.analytic[i], n = e.numeric[i];
                if (!(std::abs(a - n) / std::max({std::abs(a), std::abs(n), floor}) > above))
                    continue;
                const double keep = e.values[i];
                auto at = [&](double dv) { e.values[i] = keep + dv; return f(); };
                const double g = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
                e.values[i] = keep;
                e.numeric[i] = g;
            }
    }

    inline Report check(Net& net, Problem& p, double eps = 1e-5)
    {
        // analytic
        net.params().zero_grad();
        Tensor3 y;
        State sT, ds0;
        Tensor3 dx;
        net.forward(p.x, p.s0, y, sT, p.lengths);
        net.backward(p.ry, p.rs, dx, ds0);
        Report r;
        for (const Tensor3* t : {&y, &sT.h, &sT.c})
            for (double v : *t)
                if (!(std::abs(v) <= kBlowUp))
                    r.blown_up = true;
        if (r.blown_up)
            return r;

        // Finite differences are only valid where no perturbed evaluation moves an activation
        // input across a kink; every evaluation is checked against the unperturbed sides.
        net.set_keep_preactivations(true);
        loss(net, p);
        const auto nominal = kink_sides(net, p.x.shape()[1]);
        bool crossed = false;
        auto f = [&] {
            const double l = loss(net, p);
            if (!nominal.empty() && kink_sides(net, p.x.shape()[1]) != nominal)
                crossed = true;
            return l;
        };
        auto& ps = net.params();
        std::vector<Entry> entries;
        for (std::size_t i = 0; i < ps.count(); ++i)
        {
            const auto& info = ps.table()[i];
            entries.push_back({info.name, std::vector<double>(ps.grad(i), ps.grad(i) + info.size),
                               numeric_grad(ps.value(i), info.size, f, eps), ps.value(i)});
        }
        entries.push_back({"x", std::vector<double>(dx.begin(), dx.end()),
                           numeric_grad(p.x.data(), p.x.size(), f, eps), p.x.data()});
        entries.push_back({"h0", std::vector<double>(ds0.h.begin(), ds0.h.end()),
                           numeric_grad(p.s0.h.data(), p.s0.h.size(), f, eps), p.s0.h.data()});
        if (p.s0.c.size())
            entries.push_back({"c0", std::vector<double>(ds0.c.begin(), ds0.c.end()),
                               numeric_grad(p.s0.c.data(), p.s0.c.size(), f, eps), p.s0.c.data()});
        refine(entries, f, 1e-7);
        net.set_keep_preactivations(false);
        compare(r, entries);
        r.crossed = crossed;
        return r;
    }
}
