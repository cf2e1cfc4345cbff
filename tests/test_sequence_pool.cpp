// tests/test_sequence_pool.cpp -- the many-to-one heads of xrnn/sequence_pool.hpp: names and
// errors, a hand-checkable case, finite-difference gradchecks for every kind x directions x
// lengths, the composed head Recurrent -> pool -> linear -> softmax_xent end to end, and
// PyTorch's values and gradients (fixtures/heads/make_torch_heads_reference.py).
#include "gradcheck.hpp"
#include "xrnn/linear.hpp"
#include "xrnn/sequence_pool.hpp"
#include "xrnn/softmax_xent.hpp"

#include <doctest/doctest.h>
#include <xtensor/xnpy.hpp>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

namespace
{
    using xrnn::PoolKind;
    constexpr PoolKind kKinds[] = {PoolKind::last, PoolKind::mean, PoolKind::max};

    // y (T, B, C) whose values are a shuffled ladder with steps of 0.01: all distinct and far
    // apart compared with the 1e-5 stencil, so no max ever changes its winner under a perturbation.
    std::vector<double> distinct_values(std::size_t n, std::uint64_t seed)
    {
        std::vector<double> v(n);
        for (std::size_t i = 0; i < n; ++i)
            v[i] = (static_cast<double>(i) - static_cast<double>(n) / 2) * 0.01;
        xrnn::Rng rng(seed);
        for (std::size_t i = n - 1; i > 0; --i)
            std::swap(v[i], v[rng.next_u64() % (i + 1)]);
        return v;
    }

    struct PoolProblem
    {
        std::size_t T, B, H, D;
        std::vector<std::size_t> lengths; // empty: all T
        std::vector<double> y, r;         // y (T, B, D*H), r (B, D*H) weights the loss sum(out * r)
        const std::size_t* len() const { return lengths.empty() ? nullptr : lengths.data(); }
        std::size_t C() const { return D * H; }
    };

    double pool_loss(const PoolProblem& p, PoolKind kind, std::vector<std::size_t>* argmax_out = nullptr)
    {
        std::vector<double> out(p.B * p.C());
        std::vector<std::size_t> argmax(p.B * p.C());
        xrnn::pool_forward(out.data(), argmax.data(), p.y.data(), p.len(), p.T, p.B, p.H, p.D, kind);
        if (argmax_out)
            *argmax_out = argmax;
        double l = 0;
        for (std::size_t i = 0; i < out.size(); ++i)
            l += out[i] * p.r[i];
        return l;
    }
}

TEST_SUITE("sequence_pool")
{
    TEST_CASE("pool names: table order, round trip, an unknown name lists the valid ones")
    {
        CHECK(xrnn::pool_names() == std::vector<std::string>{"last", "mean", "max"});
        for (PoolKind k : kKinds)
            CHECK(xrnn::pool_from_name(xrnn::pool_name(k)) == k);
        CHECK_THROWS_AS(xrnn::pool_from_name("median"), std::invalid_argument);
        CHECK_THROWS_WITH(xrnn::pool_from_name("median"), "xrnn: unknown pool 'median'; valid: last, mean, max");
        CHECK_THROWS_AS(xrnn::pool_from_name("Last"), std::invalid_argument); // names are exact
    }

    TEST_CASE("bad arguments: lengths outside 1..T, max without argmax, three directions")
    {
        const double y[2 * 1 * 2] = {1, 2, 3, 4};
        double out[2];
        std::size_t am[2];
        const std::size_t zero[1] = {0}, three[1] = {3};
        CHECK_THROWS_WITH(xrnn::pool_forward(out, am, y, zero, 2, 1, 1, 2, PoolKind::mean),
                          "xrnn: pool: length 0 of sequence 0 is outside 1..2");
        CHECK_THROWS_AS(xrnn::pool_forward(out, am, y, three, 2, 1, 1, 2, PoolKind::last), std::invalid_argument);
        CHECK_THROWS_AS(xrnn::pool_forward(out, static_cast<std::size_t*>(nullptr), y, nullptr, 2, 1, 1, 2, PoolKind::max),
                        std::invalid_argument);
        CHECK_THROWS_AS(xrnn::pool_forward(out, am, y, nullptr, 2, 1, 1, 3, PoolKind::mean), std::invalid_argument);
        double dy[4] = {};
        CHECK_THROWS_AS(xrnn::pool_backward(dy, out, static_cast<const std::size_t*>(nullptr), nullptr, 2, 1, 1, 2, PoolKind::max),
                        std::invalid_argument);
        // argmax may be null for the kinds that do not need it
        CHECK_NOTHROW(xrnn::pool_forward(out, static_cast<std::size_t*>(nullptr), y, nullptr, 2, 1, 1, 2, PoolKind::last));
    }

    TEST_CASE("by hand: T = 3, B = 2, H = 1, bidirectional, lengths {2, 3}")
    {
        // y[t][b] = {forward, reverse}; step 2 of sequence 0 is padding (999 must never show)
        const double y[3 * 2 * 2] = {1, 10, 2, 20, //  t = 0
                                     3, 30, 4, 40, //  t = 1
                                     999, 999, 6, 5};
        const std::size_t len[2] = {2, 3};
        double out[4];
        std::size_t am[4];
        xrnn::pool_forward(out, am, y, len, 3, 2, 1, 2, PoolKind::last);
        // forward half: the last valid step; reverse half: step 0
        CHECK(std::vector<double>(out, out + 4) == std::vector<double>{3, 10, 6, 20});
        xrnn::pool_forward(out, am, y, len, 3, 2, 1, 2, PoolKind::mean);
        CHECK(std::vector<double>(out, out + 4) == std::vector<double>{2, 20, 4, 65.0 / 3});
        xrnn::pool_forward(out, am, y, len, 3, 2, 1, 2, PoolKind::max);
        CHECK(std::vector<double>(out, out + 4) == std::vector<double>{3, 30, 6, 40});
        CHECK(std::vector<std::size_t>(am, am + 4) == std::vector<std::size_t>{1, 1, 2, 1});

        // backward adds: from dy = 1 everywhere, padding stays exactly 1
        const double dout[4] = {1, 2, 3, 4};
        double dy[12];
        std::fill(dy, dy + 12, 1.0);
        xrnn::pool_backward(dy, dout, am, len, 3, 2, 1, 2, PoolKind::max);
        CHECK(std::vector<double>(dy, dy + 12) == std::vector<double>{1, 1, 1, 1, 2, 3, 1, 5, 1, 1, 4, 1});
        std::fill(dy, dy + 12, 0.0);
        xrnn::pool_backward(dy, dout, am, len, 3, 2, 1, 2, PoolKind::last);
        CHECK(std::vector<double>(dy, dy + 12) == std::vector<double>{0, 2, 0, 4, 1, 0, 0, 0, 0, 0, 3, 0});
    }

    TEST_CASE("gradients match finite differences: every kind x directions {1, 2} x lengths {all T, mixed}")
    {
        const std::size_t T = 5, B = 4, H = 3;
        double worst = 0;
        for (PoolKind kind : kKinds)
            for (std::size_t D : {1, 2})
                for (const auto& lengths : std::vector<std::vector<std::size_t>>{{}, {3, 5, 1, 2}})
                {
                    INFO(xrnn::pool_name(kind) << " D = " << D << (lengths.empty() ? " all T" : " lengths 3 5 1 2"));
                    PoolProblem p{T, B, H, D, lengths, distinct_values(T * B * D * H, 11 + D), {}};
                    xrnn::Rng rng(5);
                    p.r.resize(B * p.C());
                    for (auto& v : p.r)
                        v = rng.uniform(-1, 1);

                    std::vector<std::size_t> argmax;
                    pool_loss(p, kind, &argmax);
                    // analytic, accumulated onto a dy that already holds 0.25: each element of y
                    // feeds at most one output, so it receives exactly one addition or none
                    std::vector<double> dy(p.y.size(), 0.25);
                    xrnn::pool_backward(dy.data(), p.r.data(), argmax.data(), p.len(), T, B, H, D, kind);
                    for (auto& v : dy)
                        v -= 0.25;
                    for (std::size_t b = 0; b < B; ++b)
                        for (std::size_t t = lengths.empty() ? T : lengths[b]; t < T; ++t)
                            for (std::size_t c = 0; c < p.C(); ++c)
                                CHECK(dy[(t * B + b) * p.C() + c] == 0.0); // padding untouched

                    bool winner_moved = false;
                    auto f = [&] {
                        std::vector<std::size_t> am;
                        const double l = pool_loss(p, kind, &am);
                        if (kind == PoolKind::max && am != argmax)
                            winner_moved = true;
                        return l;
                    };
                    std::vector<gradcheck::Entry> e{
                        {"y", dy, gradcheck::numeric_grad(p.y.data(), p.y.size(), f, 1e-5), p.y.data()}};
                    gradcheck::Report r;
                    gradcheck::compare(r, e);
                    INFO("max rel err " << r.max_err << " at " << r.worst);
                    CHECK(!winner_moved);
                    CHECK(r.max_err <= 1e-7);
                    worst = std::max(worst, r.max_err);
                }
        MESSAGE("pool gradcheck: max relative error " << worst);
    }

    TEST_CASE("composed head: bidirectional Recurrent (lengths) -> pool -> linear -> softmax_xent vs finite differences")
    {
        const std::size_t I = 3, H = 4, T = 5, B = 3, K = 3; // K classes
        const std::vector<std::size_t> lengths{3, 5, 1};
        const std::int32_t targets[B] = {2, 0, 1};
        double worst = 0, worst_central = 0;
        for (std::size_t layers : {1, 2})
            for (PoolKind kind : kKinds)
            {
                INFO(layers << " layer(s), pool " << xrnn::pool_name(kind));
                xrnn::RecurrentConfig cfg;
                cfg.cell = xrnn::CellKind::lstm;
                cfg.input_size = I;
                cfg.hidden_size = H;
                cfg.num_layers = layers;
                cfg.bidirectional = true;
                gradcheck::Net net(cfg, xrnn::InitConfig(40 + layers));
                const std::size_t C = net.output_size();
                xrnn::Rng rng(3);
                gradcheck::Tensor3 x = gradcheck::Tensor3::from_shape({T, B, I});
                gradcheck::fill_uniform(x, rng, -1, 1);
                std::vector<double> w(K * C), bias(K);
                for (auto& v : w)
                    v = rng.uniform(-1, 1);
                for (auto& v : bias)
                    v = rng.uniform(-0.5, 0.5);

                gradcheck::Tensor3 y;
                gradcheck::State s0, sT;
                std::vector<double> pooled(B * C), logits(B * K);
                std::vector<std::size_t> argmax(B * C);
                auto forward = [&] {
                    net.forward(x, s0, y, sT, lengths);
                    xrnn::pool_forward(pooled.data(), argmax.data(), y.data(), lengths.data(), T, B, H, 2, kind);
                    xrnn::linear_forward(logits.data(), pooled.data(), w.data(), bias.data(), B, C, K);
                };

                // analytic: the forward, then every backward in reverse order
                forward();
                const std::vector<std::size_t> nominal = argmax;
                net.params().zero_grad();
                std::vector<double> dlogits(B * K), dpooled(B * C), dw(K * C, 0.0), db(K, 0.0);
                xrnn::softmax_xent(dlogits.data(), logits.data(), targets, B, K);
                xrnn::linear_backward(dpooled.data(), dw.data(), db.data(), dlogits.data(), pooled.data(), w.data(), B, C, K);
                gradcheck::Tensor3 dy = gradcheck::Tensor3::from_shape({T, B, C});
                dy.fill(0.0);
                xrnn::pool_backward(dy.data(), dpooled.data(), argmax.data(), lengths.data(), T, B, H, 2, kind);
                gradcheck::Tensor3 dx;
                gradcheck::State ds0;
                net.backward(dy, gradcheck::State{}, dx, ds0);
                for (std::size_t b = 0; b < B; ++b)
                    for (std::size_t t = lengths[b]; t < T; ++t)
                        for (std::size_t c = 0; c < C; ++c)
                        {
                            CHECK(dy(t, b, c) == 0.0);
                            if (c < I)
                                CHECK(dx(t, b, c) == 0.0);
                        }

                bool winner_moved = false;
                auto f = [&] {
                    forward();
                    if (kind == PoolKind::max && argmax != nominal)
                        winner_moved = true;
                    return xrnn::softmax_xent(static_cast<double*>(nullptr), logits.data(), targets, B, K);
                };
                auto& ps = net.params();
                std::vector<gradcheck::Entry> e;
                for (std::size_t i = 0; i < ps.count(); ++i)
                {
                    const auto& info = ps.table()[i];
                    e.push_back({info.name, std::vector<double>(ps.grad(i), ps.grad(i) + info.size),
                                 gradcheck::numeric_grad(ps.value(i), info.size, f, 1e-5), ps.value(i)});
                }
                e.push_back({"head.weight", dw, gradcheck::numeric_grad(w.data(), w.size(), f, 1e-5), w.data()});
                e.push_back({"head.bias", db, gradcheck::numeric_grad(bias.data(), bias.size(), f, 1e-5), bias.data()});
                e.push_back({"x", std::vector<double>(dx.begin(), dx.end()),
                             gradcheck::numeric_grad(x.data(), x.size(), f, 1e-5), x.data()});
                // The central difference alone reaches ~2e-7 here, and it is its rounding, not
                // the gradient: halving h doubles the error and h = 1e-4 cuts most of it
                // tenfold. The loss is a mean over 3 rows through an LSTM, so its
                // ~1e-15 relative noise over 2h = 2e-5 is not small against gradients near the
                // 1e-3 floor. Entries above 1e-8 get gradcheck's fourth-order second opinion.
                gradcheck::Report central;
                gradcheck::compare(central, e);
                gradcheck::refine(e, f, 1e-8);
                gradcheck::Report r;
                gradcheck::compare(r, e);
                INFO("max rel err " << r.max_err << " at " << r.worst << " (central alone " << central.max_err << ")");
                CHECK(!winner_moved);
                CHECK(r.max_err <= 1e-7);
                worst = std::max(worst, r.max_err);
                worst_central = std::max(worst_central, central.max_err);
            }
        MESSAGE("composed head gradcheck: max relative error " << worst << " (central differences alone "
                                                              << worst_central << ")");
    }

    TEST_CASE_TEMPLATE("PyTorch: last (h_n), mean and max pools and their gradients, lengths {2, 5, 1}", T, float, double)
    {
        const std::string dir = std::string(XRNN_FIXTURES) + "/heads/";
        auto load = [&](const std::string& name) { return xt::load_npy<float>(dir + name + ".npy"); };
        const std::size_t steps = 5, B = 3, H = 4, D = 2, C = D * H;
        const auto lengths64 = xt::load_npy<std::int64_t>(dir + "pool_lengths.npy");
        const std::vector<std::size_t> lengths{2, 5, 1};
        REQUIRE(lengths64.size() == lengths.size());
        for (std::size_t b = 0; b < B; ++b)
            REQUIRE(static_cast<std::size_t>(lengths64(b)) == lengths[b]);
        const auto y32 = load("pool_y"), r32 = load("pool_r");
        REQUIRE(y32.size() == steps * B * C);
        const std::vector<T> y(y32.begin(), y32.end()), r(r32.begin(), r32.end());

        auto match = [&](const std::string& name, const std::vector<T>& got) {
            const auto want = load(name);
            REQUIRE(want.size() == got.size());
            double scale = 0, diff = 0;
            for (std::size_t i = 0; i < got.size(); ++i)
            {
                scale = std::max(scale, std::abs(double(want.data()[i])));
                diff = std::max(diff, std::abs(double(want.data()[i]) - double(got[i])));
            }
            INFO(name << ": max |xrnn - torch| = " << diff << ", max |torch| = " << scale);
            CHECK(diff <= 1e-5 * scale);
            return diff / scale;
        };
        double worst = 0;
        for (PoolKind kind : kKinds)
        {
            std::vector<T> out(B * C), dy(steps * B * C, T(0));
            std::vector<std::size_t> argmax(B * C);
            xrnn::pool_forward(out.data(), argmax.data(), y.data(), lengths.data(), steps, B, H, D, kind);
            xrnn::pool_backward(dy.data(), r.data(), argmax.data(), lengths.data(), steps, B, H, D, kind);
            worst = std::max(worst, match("pool_" + xrnn::pool_name(kind), out));
            worst = std::max(worst, match("grad_y_" + xrnn::pool_name(kind), dy));
        }
        MESSAGE("pools vs torch (" << std::string(sizeof(T) == 4 ? "float" : "double") << "): max relative error " << worst);
    }
}
