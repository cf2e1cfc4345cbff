// tests/test_bptt.cpp -- the layer stack over time: deep gradient checks, truncated BPTT with
// carried state, float vs double, and errors for bad input.
#include "gradcheck.hpp"
#include "xrnn/blas.hpp"
#include "xrnn/bptt.hpp"
#include "xrnn/detail/packed_gemm.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

namespace
{
    xrnn::RecurrentConfig config(xrnn::CellKind cell, std::size_t L = 2)
    {
        xrnn::RecurrentConfig c;
        c.cell = cell;
        c.input_size = 3;
        c.hidden_size = 5;
        c.num_layers = L;
        return c;
    }

    template <class T>
    xrnn::Tensor3<T> random3(std::size_t a, std::size_t b, std::size_t c, std::uint64_t seed)
    {
        xrnn::Rng rng(seed);
        xrnn::Tensor3<T> t = xrnn::Tensor3<T>::from_shape({a, b, c});
        for (auto& v : t)
            v = static_cast<T>(rng.uniform(-1, 1));
        return t;
    }

    template <class A, class B>
    double max_diff(const A& a, const B& b)
    {
        REQUIRE(a.size() == b.size());
        double m = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            m = std::max(m, std::abs(double(a.data()[i]) - double(b.data()[i])));
        return m;
    }

    const std::vector<xrnn::CellKind>& cells = xrnn::cell_kinds(); // every kind of the cell table
}

TEST_CASE("3-layer stacks over T = 12: gradients match finite differences")
{
    for (auto cell : cells)
    {
        INFO(xrnn::cell_name(cell));
        gradcheck::Net net(config(cell, 3), {11});
        auto p = gradcheck::make_problem(net, 12, 3, 99);
        const auto r = gradcheck::check(net, p);
        INFO("worst " << r.worst << " " << r.max_err);
        CHECK(r.max_err <= 1e-6);
    }
}

TEST_CASE("stateful chunks equal one long forward; reset_state starts from zeros")
{
    for (auto cell : cells)
    {
        INFO(xrnn::cell_name(cell));
        xrnn::Recurrent<double> net(config(cell), {3});
        const auto x = random3<double>(10, 2, 3, 17);
        xrnn::Tensor3<double> y_full, y1, y2;
        xrnn::RecurrentState<double> sT;
        net.forward(x, {}, y_full, sT);

        const xrnn::Tensor3<double> x1 = xt::view(x, xt::range(0, 6), xt::all(), xt::all());
        const xrnn::Tensor3<double> x2 = xt::view(x, xt::range(6, 10), xt::all(), xt::all());
        net.reset_state();
        net.forward_stateful(x1, y1);
        net.forward_stateful(x2, y2);
        CHECK(max_diff(xt::xtensor<double, 3>(xt::view(y_full, xt::range(0, 6), xt::all(), xt::all())), y1) == 0.0);
        CHECK(max_diff(xt::xtensor<double, 3>(xt::view(y_full, xt::range(6, 10), xt::all(), xt::all())), y2) < 1e-15);
        CHECK(max_diff(net.carried_state().h, sT.h) < 1e-15);
        if (xrnn::cell_traits(cell).cell_state)
            CHECK(max_diff(net.carried_state().c, sT.c) < 1e-15);

        net.reset_state();
        xrnn::Tensor3<double> y2_fresh, y2_ref;
        net.forward_stateful(x2, y2_fresh);
        xrnn::RecurrentState<double> unused;
        net.forward(x2, {}, y2_ref, unused);
        CHECK(max_diff(y2_fresh, y2_ref) == 0.0);
        CHECK(max_diff(y2_fresh, y2) > 1e-6); // the carried state mattered
    }
}

TEST_CASE("truncated backward = full backward of the chunk from the carried state, final-state gradient zero")
{
    for (auto cell : cells)
    {
        INFO(xrnn::cell_name(cell));
        xrnn::Recurrent<double> a(config(cell), {8}), b(config(cell), {8});
        const auto x1 = random3<double>(4, 2, 3, 1), x2 = random3<double>(5, 2, 3, 2);
        const auto dy = random3<double>(5, 2, 5, 3);
        xrnn::Tensor3<double> y, dxa, dxb;
        a.forward_stateful(x1, y);
        const auto mid = a.carried_state();
        a.forward_stateful(x2, y);
        a.params().zero_grad();
        a.backward_stateful(dy, &dxa);

        xrnn::RecurrentState<double> sT, ds0;
        b.forward(x2, mid, y, sT);
        b.params().zero_grad();
        b.backward(dy, {}, dxb, ds0);
        CHECK(max_diff(dxa, dxb) == 0.0);
        CHECK(std::equal(a.params().grads(), a.params().grads() + a.params().size(), b.params().grads()));
    }
}

TEST_CASE("float matches double on the same weights")
{
    for (auto cell : cells)
    {
        INFO(xrnn::cell_name(cell));
        xrnn::Recurrent<double> d(config(cell), {21});
        xrnn::Recurrent<float> f(config(cell), {21});
        for (std::size_t i = 0; i < d.params().size(); ++i)
            f.params().values()[i] = static_cast<float>(d.params().values()[i]);
        const auto xd = random3<double>(20, 4, 3, 5);
        const xrnn::Tensor3<float> xf = xt::cast<float>(xd);
        xrnn::Tensor3<double> yd;
        xrnn::Tensor3<float> yf;
        xrnn::RecurrentState<double> sd;
        xrnn::RecurrentState<float> sf;
        d.forward(xd, {}, yd, sd);
        f.forward(xf, {}, yf, sf);
        CHECK(max_diff(yd, yf) < 1e-5);
    }
}

TEST_CASE("threaded float path: matches double, same bits when repeated, close on 1 thread")
{
    // Sizes large enough that each sweep splits the batch across threads (kernels::row_parts)
    // and the per-step products run on packed W_hh; odd sizes hit the kernel's edge blocks.
    // The sweeps give the same bits on any thread count, but OpenBLAS's result for a row
    // depends on the block it is computed in, so 1 and 2 threads agree only to rounding.
    const int before = xrnn::blas::threads();
    const xrnn::Activation relu = xrnn::ActivationKind::relu, hsig = xrnn::ActivationKind::hard_sigmoid;
    for (auto cell : cells)
        for (bool plain : {true, false}) // default activations, then ones whose derivative needs the input
        {
            INFO(xrnn::cell_name(cell) << (plain ? " default activations" : " relu / hard_sigmoid"));
            xrnn::RecurrentConfig c;
            c.cell = cell;
            c.input_size = 5;
            c.hidden_size = 37;
            c.num_layers = 2;
            if (!plain)
            {
                c.activation = relu;
                c.recurrent_activation = hsig;
            }
            const std::size_t T = 40, B = 9;
            xrnn::Recurrent<double> d(c, {11});
            const auto xd = random3<double>(T, B, 5, 8);
            const auto dyd = random3<double>(T, B, 37, 9);
            xrnn::Tensor3<double> yd, dxd;
            xrnn::RecurrentState<double> sd, dsd;
            d.forward(xd, {}, yd, sd);
            d.backward(dyd, {}, dxd, dsd);

            std::vector<std::vector<float>> grads;
            std::vector<xrnn::Tensor3<float>> ys, dxs;
            for (int threads : {1, 2, 2})
            {
                xrnn::blas::set_threads(threads);
                xrnn::Recurrent<float> f(c, {11});
                for (std::size_t i = 0; i < d.params().size(); ++i)
                    f.params().values()[i] = static_cast<float>(d.params().values()[i]);
                xrnn::Tensor3<float> yf, dxf;
                xrnn::RecurrentState<float> sf, dsf;
                f.forward(xt::cast<float>(xd), {}, yf, sf);
                f.backward(xt::cast<float>(dyd), {}, dxf, dsf);
                ys.push_back(yf);
                dxs.push_back(dxf);
                grads.emplace_back(f.params().grads(), f.params().grads() + f.params().size());
            }
            CHECK(ys[1] == ys[2]);
            CHECK(dxs[1] == dxs[2]);
            CHECK(grads[1] == grads[2]);
            CHECK(max_diff(ys[0], ys[1]) < 1e-5);
            CHECK(max_diff(yd, ys[1]) < 1e-5);
            CHECK(max_diff(dxd, dxs[1]) < 1e-4);
            double gmax = 0, gerr = 0;
            for (std::size_t i = 0; i < d.params().size(); ++i)
            {
                gmax = std::max(gmax, std::abs(d.params().grads()[i]));
                gerr = std::max(gerr, std::abs(d.params().grads()[i] - double(grads[1][i])));
            }
            CHECK(gmax > 1.0); // the comparison is not between zeros
            CHECK(gerr < 1e-5 * gmax);
        }
    xrnn::blas::set_threads(before);
}

TEST_CASE("bad input: clear errors naming the problem")
{
    xrnn::Recurrent<float> net(config(xrnn::CellKind::lstm));
    xrnn::Tensor3<float> y, dx;
    xrnn::RecurrentState<float> s, ds;
    CHECK_THROWS_WITH_AS(net.backward(xrnn::Tensor3<float>::from_shape({2, 2, 5}), {}, dx, ds),
                         doctest::Contains("backward called before any forward"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(net.forward(xrnn::Tensor3<float>::from_shape({4, 2, 7}), {}, y, s),
                         doctest::Contains("input has 7 features per step"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(net.forward(xrnn::Tensor3<float>::from_shape({0, 2, 3}), {}, y, s),
                         doctest::Contains("seq_len, batch > 0"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(net.forward(xrnn::Tensor3<float>::from_shape({3, 0, 3}), {}, y, s),
                         doctest::Contains("seq_len, batch > 0"), std::invalid_argument);
    xrnn::RecurrentState<float> bad;
    bad.h = xrnn::Tensor3<float>::from_shape({2, 3, 5});
    CHECK_THROWS_WITH_AS(net.forward(xrnn::Tensor3<float>::from_shape({4, 2, 3}), bad, y, s),
                         doctest::Contains("initial state.h has shape (2, 3, 5); expected (num_layers, batch, hidden_size) = (2, 2, 5)"),
                         std::invalid_argument);
    net.forward(random3<float>(4, 2, 3, 1), {}, y, s);
    CHECK_THROWS_WITH_AS(net.backward(xrnn::Tensor3<float>::from_shape({4, 2, 6}), {}, dx, ds),
                         doctest::Contains("dy has shape (4, 2, 6)"), std::invalid_argument);
    net.forward_stateful(random3<float>(4, 2, 3, 1), y);
    CHECK_THROWS_WITH_AS(net.forward_stateful(random3<float>(4, 3, 3, 1), y),
                         doctest::Contains("call reset_state() first"), std::invalid_argument);

    xrnn::RecurrentConfig zero = config(xrnn::CellKind::gru);
    zero.hidden_size = 0;
    CHECK_THROWS_WITH_AS(xrnn::Recurrent<float>{zero}, doctest::Contains("hidden_size must be > 0"), std::invalid_argument);
    zero = config(xrnn::CellKind::gru);
    zero.num_layers = 0;
    CHECK_THROWS_WITH_AS(xrnn::Recurrent<float>{zero}, doctest::Contains("num_layers must be > 0"), std::invalid_argument);
    zero = config(xrnn::CellKind::gru);
    zero.input_size = 0;
    CHECK_THROWS_WITH_AS(xrnn::Recurrent<float>{zero}, doctest::Contains("input_size must be > 0"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(xrnn::cell_from_name("transformer"), doctest::Contains("valid cells: rnn, gru, lstm"),
                         std::invalid_argument);
    xrnn::Recurrent<float> gru(config(xrnn::CellKind::gru));
    xrnn::RecurrentState<float> withc;
    withc.c = xrnn::Tensor3<float>::from_shape({2, 2, 5});
    CHECK_THROWS_WITH_AS(gru.forward(random3<float>(4, 2, 3, 1), withc, y, s),
                         doctest::Contains("state.c is given but gru cells have no cell state"), std::invalid_argument);
}

TEST_CASE("weight drop: gradients match finite differences with the mask fixed, for every cell; off in eval mode")
{
    for (xrnn::CellKind cell : xrnn::cell_kinds())
    {
        INFO(xrnn::cell_name(cell));
        xrnn::RecurrentConfig cfg = config(cell);
        cfg.weight_drop = 0.4;
        gradcheck::Net net(cfg, xrnn::InitConfig{3});
        auto p = gradcheck::make_problem(net, 5, 2, 11);
        auto loss = [&] {
            net.dropout_rng().reseed(99); // the same masks in every evaluation
            return gradcheck::loss(net, p);
        };
        net.params().zero_grad();
        gradcheck::Tensor3 y, dx;
        gradcheck::State sT, ds0;
        net.dropout_rng().reseed(99);
        net.forward(p.x, p.s0, y, sT);
        net.backward(p.ry, p.rs, dx, ds0);
        std::vector<gradcheck::Entry> entries;
        auto& ps = net.params();
        for (std::size_t i = 0; i < ps.count(); ++i)
        {
            const auto& info = ps.table()[i];
            entries.push_back({info.name, std::vector<double>(ps.grad(i), ps.grad(i) + info.size),
                               gradcheck::numeric_grad(ps.value(i), info.size, loss, 1e-5)});
        }
        entries.push_back({"x", std::vector<double>(dx.begin(), dx.end()),
                           gradcheck::numeric_grad(p.x.data(), p.x.size(), loss, 1e-5)});
        gradcheck::Report r;
        gradcheck::compare(r, entries);
        INFO("worst " << r.worst);
        CHECK(r.max_err < 1e-6);
        // a second backward adds the same gradient: what was accumulated is not re-masked
        const std::vector<double> once(ps.grads(), ps.grads() + ps.size());
        net.dropout_rng().reseed(99);
        net.forward(p.x, p.s0, y, sT);
        net.backward(p.ry, p.rs, dx, ds0);
        for (std::size_t i = 0; i < ps.size(); ++i)
            REQUIRE(ps.grads()[i] == doctest::Approx(2 * once[i]));
        // the mask drops about 40% of W_hh: a masked forward differs from the eval-mode one
        const double masked = loss();
        net.set_training(false);
        const double plain = gradcheck::loss(net, p);
        net.set_training(true);
        CHECK(masked != doctest::Approx(plain));
        cfg.weight_drop = 0.0;
        gradcheck::Net same(cfg, xrnn::InitConfig{3});
        CHECK(gradcheck::loss(same, p) == plain); // eval mode runs on the unmasked weights
    }
    xrnn::RecurrentConfig bad = config(xrnn::CellKind::lstm);
    bad.weight_drop = 1.0;
    CHECK_THROWS_WITH_AS(xrnn::Recurrent<float>{bad}, doctest::Contains("weight_drop must be in [0, 1), got 1"),
                         std::invalid_argument);
}

TEST_CASE("lengths: stateful chunks carry each sequence's own final state; truncated backward of a packed chunk")
{
    for (auto cell : cells)
        for (bool bi : {false, true})
        {
            INFO(xrnn::cell_name(cell) << (bi ? " bidirectional" : ""));
            auto c = config(cell);
            c.bidirectional = bi;
            xrnn::Recurrent<double> net(c, {4}), ref(c, {4});
            const std::vector<std::size_t> len1{5, 2, 4}, len2{1, 3, 3};
            const auto x1 = random3<double>(5, 3, 3, 21), x2 = random3<double>(3, 3, 3, 22);
            xrnn::Tensor3<double> y1, y2, yr;
            net.forward_stateful(x1, y1, len1);
            net.forward_stateful(x2, y2, len2);
            xrnn::RecurrentState<double> s1, s2;
            ref.forward(x1, {}, yr, s1, len1);
            CHECK(max_diff(yr, y1) == 0.0);
            ref.forward(x2, s1, yr, s2, len2);
            CHECK(max_diff(yr, y2) == 0.0);
            CHECK(max_diff(net.carried_state().h, s2.h) == 0.0);
            if (xrnn::cell_traits(cell).cell_state)
                CHECK(max_diff(net.carried_state().c, s2.c) == 0.0);

            const auto dy = random3<double>(3, 3, net.output_size(), 23);
            xrnn::Tensor3<double> dxa, dxb;
            xrnn::RecurrentState<double> ds0;
            net.params().zero_grad();
            net.backward_stateful(dy, &dxa);
            ref.params().zero_grad();
            ref.backward(dy, {}, dxb, ds0);
            CHECK(max_diff(dxa, dxb) == 0.0);
            CHECK(std::equal(net.params().grads(), net.params().grads() + net.params().size(), ref.params().grads()));
            for (std::size_t t = 1; t < 3; ++t) // sequence 0 has length 1: no gradient reaches its later inputs
                for (std::size_t i = 0; i < 3; ++i)
                    CHECK(dxa(t, 0, i) == 0.0);
        }
}

TEST_CASE("lengths: a padded batch equals each sequence run alone, in float on two threads, repeatably")
{
    // Big enough to split rows across threads (kernels::split_rows by valid steps).
    const int before = xrnn::blas::threads();
    xrnn::blas::set_threads(2);
    for (auto cell : cells)
        for (bool bi : {false, true})
        {
            INFO(xrnn::cell_name(cell) << (bi ? " bidirectional" : ""));
            xrnn::RecurrentConfig c;
            c.cell = cell;
            c.input_size = 5;
            c.hidden_size = 33;
            c.num_layers = 2;
            c.bidirectional = bi;
            const std::size_t T = 30, B = 11;
            std::vector<std::size_t> lengths(B);
            for (std::size_t b = 0; b < B; ++b)
                lengths[b] = 1 + (b * 7) % T;
            xrnn::Recurrent<float> net(c, {5});
            const auto x = random3<float>(T, B, 5, 31);
            const auto dy = random3<float>(T, B, net.output_size(), 32);
            xrnn::Tensor3<float> y, y2, dx, dx2;
            xrnn::RecurrentState<float> s, s2, ds, ds2;
            net.forward(x, {}, y, s, lengths);
            net.params().zero_grad();
            net.backward(dy, {}, dx, ds);
            const std::vector<float> g(net.params().grads(), net.params().grads() + net.params().size());
            net.forward(x, {}, y2, s2, lengths);
            net.params().zero_grad();
            net.backward(dy, {}, dx2, ds2);
            CHECK(y == y2);
            CHECK(dx == dx2);
            CHECK(std::equal(g.begin(), g.end(), net.params().grads()));

            xrnn::Recurrent<float> one(c, {5});
            std::vector<double> gsum(g.size(), 0.0);
            double ydiff = 0, sdiff = 0, dxdiff = 0, pad = 0;
            for (std::size_t b = 0; b < B; ++b)
            {
                const std::size_t L = lengths[b];
                xrnn::Tensor3<float> xb = xrnn::Tensor3<float>::from_shape({L, 1, 5});
                xrnn::Tensor3<float> dyb = xrnn::Tensor3<float>::from_shape({L, 1, net.output_size()});
                for (std::size_t t = 0; t < L; ++t)
                {
                    std::copy_n(&x(t, b, 0), 5, &xb(t, 0, 0));
                    std::copy_n(&dy(t, b, 0), net.output_size(), &dyb(t, 0, 0));
                }
                xrnn::Tensor3<float> yb, dxb;
                xrnn::RecurrentState<float> sb, dsb;
                one.forward(xb, {}, yb, sb);
                one.params().zero_grad();
                one.backward(dyb, {}, dxb, dsb);
                for (std::size_t i = 0; i < g.size(); ++i)
                    gsum[i] += one.params().grads()[i];
                for (std::size_t t = 0; t < T; ++t)
                    for (std::size_t j = 0; j < net.output_size(); ++j)
                        (t < L ? ydiff : pad) = std::max(t < L ? ydiff : pad, std::abs(double(y(t, b, j)) - (t < L ? yb(t, 0, j) : 0.f)));
                for (std::size_t t = 0; t < T; ++t)
                    for (std::size_t i = 0; i < 5; ++i)
                        (t < L ? dxdiff : pad) = std::max(t < L ? dxdiff : pad, std::abs(double(dx(t, b, i)) - (t < L ? dxb(t, 0, i) : 0.f)));
                for (std::size_t u = 0; u < net.units(); ++u)
                    for (std::size_t j = 0; j < 33; ++j)
                        sdiff = std::max(sdiff, std::abs(double(s.h(u, b, j)) - sb.h(u, 0, j)));
            }
            double gmax = 0, gerr = 0;
            for (std::size_t i = 0; i < g.size(); ++i)
            {
                gmax = std::max(gmax, std::abs(gsum[i]));
                gerr = std::max(gerr, std::abs(gsum[i] - g[i]));
            }
            CHECK(pad == 0.0); // outputs and input gradients past each length are exactly zero
            CHECK(ydiff < 1e-5);
            CHECK(sdiff < 1e-5);
            CHECK(dxdiff < 1e-5);
            CHECK(gmax > 1.0);
            CHECK(gerr < 1e-5 * gmax);
        }
    xrnn::blas::set_threads(before);
}

TEST_CASE("the per-step products split by hidden units give the row split's bits")
{
    // detail::StepWeights: by units, each thread computes its units' columns of every step's
    // product for all rows and the threads meet once per step. Unit bounds are whole vector
    // blocks and each output element is one FMA chain, so nothing may change a bit, whether
    // dense, with lengths, or bidirectional (there the directions already take both threads:
    // the sweep falls back to one part over all units). H = 77: a partial panel and a tail.
    const int before = xrnn::blas::threads();
    xrnn::blas::set_threads(2);
    const xrnn::Activation relu = xrnn::ActivationKind::relu, hsig = xrnn::ActivationKind::hard_sigmoid;
    for (auto cell : cells)
        for (int variant = 0; variant < 3; ++variant) // dense, lengths, bidirectional + lengths
        {
            INFO(xrnn::cell_name(cell) << " variant " << variant);
            xrnn::RecurrentConfig c;
            c.cell = cell;
            c.input_size = 5;
            c.hidden_size = 77;
            c.num_layers = 2;
            c.bidirectional = variant == 2;
            if (variant == 1)
            {
                c.activation = relu;
                c.recurrent_activation = hsig;
            }
            const std::size_t T = 20, B = 9;
            std::vector<std::size_t> lengths;
            if (variant > 0)
                for (std::size_t b = 0; b < B; ++b)
                    lengths.push_back(1 + (b * 7) % T);
            const auto x = random3<float>(T, B, 5, 41);
            std::vector<xrnn::Tensor3<float>> ys, dxs;
            std::vector<std::vector<float>> grads;
            for (auto split : {xrnn::detail::StepSplit::rows, xrnn::detail::StepSplit::units})
            {
                xrnn::detail::set_step_split(split);
                xrnn::Recurrent<float> net(c, {7});
                const auto dy = random3<float>(T, B, net.output_size(), 42);
                xrnn::Tensor3<float> y, dx;
                xrnn::RecurrentState<float> s, ds;
                net.forward(x, {}, y, s, lengths);
                net.params().zero_grad();
                net.backward(dy, {}, dx, ds);
                ys.push_back(y);
                dxs.push_back(dx);
                grads.emplace_back(net.params().grads(), net.params().grads() + net.params().size());
            }
            xrnn::detail::set_step_split(xrnn::detail::StepSplit::automatic);
            CHECK(xt::amax(xt::abs(ys[0]))() > 0.05f); // not comparing zeros
            CHECK(ys[0] == ys[1]);
            CHECK(dxs[0] == dxs[1]);
            CHECK(grads[0] == grads[1]);
        }
    xrnn::blas::set_threads(before);
}

TEST_CASE("lengths and bidirectional: bad input names the problem")
{
    auto c = config(xrnn::CellKind::gru);
    c.bidirectional = true;
    xrnn::Recurrent<float> net(c);
    xrnn::Tensor3<float> y;
    xrnn::RecurrentState<float> s, bad;
    const auto x = random3<float>(4, 3, 3, 1);
    CHECK_THROWS_WITH_AS(net.forward(x, {}, y, s, {4, 2}),
                         doctest::Contains("lengths has 2 entries but the batch has 3 sequences"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(net.forward(x, {}, y, s, {4, 0, 1}),
                         doctest::Contains("lengths[1] = 0 is outside 1..4"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(net.forward(x, {}, y, s, {4, 5, 1}),
                         doctest::Contains("lengths[1] = 5 is outside 1..4"), std::invalid_argument);
    bad.h = xrnn::Tensor3<float>::from_shape({2, 3, 5});
    CHECK_THROWS_WITH_AS(net.forward(x, bad, y, s), doctest::Contains("expected (2 * num_layers, batch, hidden_size) = (4, 3, 5)"),
                         std::invalid_argument);
    net.forward(x, {}, y, s, {4, 2, 1});
    CHECK(y.shape()[2] == 10);
    CHECK(s.h.shape()[0] == 4);
    CHECK_THROWS_WITH_AS(net.output_data(), doctest::Contains("unidirectional full-length"), std::invalid_argument);
}

TEST_CASE("View3 overloads (caller buffers, the Python module's path) equal the Tensor3 calls bit for bit")
{
    for (xrnn::CellKind cell : xrnn::cell_kinds())
        for (int variant = 0; variant < 3; ++variant) // dense; lengths; bidirectional with lengths
        {
            INFO(xrnn::cell_name(cell) << " variant " << variant);
            xrnn::RecurrentConfig cfg = config(cell);
            cfg.bidirectional = variant == 2;
            const std::vector<std::size_t> lengths = variant ? std::vector<std::size_t>{4, 2, 5} : std::vector<std::size_t>{};
            xrnn::Recurrent<double> a(cfg, {5}), b(cfg, {5});
            const std::size_t U = a.units(), T = 5, B = 3;
            const auto x = random3<double>(T, B, 3, 1), dy = random3<double>(T, B, a.output_size(), 2);
            xrnn::RecurrentState<double> s0, dsT;
            s0.h = random3<double>(U, B, 5, 3);
            dsT.h = random3<double>(U, B, 5, 4);
            if (a.traits().cell_state)
            {
                s0.c = random3<double>(U, B, 5, 5);
                dsT.c = random3<double>(U, B, 5, 6);
            }
            xrnn::Tensor3<double> ya, yb, dxa, dxb;
            xrnn::RecurrentState<double> sa, sb, da, db;
            a.forward(x, s0, ya, sa, lengths);
            a.backward(dy, dsT, dxa, da);
            // raw buffers, as a NumPy array hands them over
            const std::vector<double> xv(x.begin(), x.end()), dyv(dy.begin(), dy.end());
            b.forward(xrnn::View3<double>{xv.data(), {T, B, 3}}, xrnn::view3(s0.h), xrnn::view3(s0.c), yb, sb, lengths);
            b.backward(xrnn::View3<double>{dyv.data(), {T, B, a.output_size()}}, xrnn::view3(dsT.h),
                       xrnn::view3(dsT.c), dxb, db);
            CHECK(ya == yb);
            CHECK(sa.h == sb.h);
            CHECK(sa.c == sb.c);
            CHECK(dxa == dxb);
            CHECK(da.h == db.h);
            CHECK(da.c == db.c);
            CHECK(std::equal(a.params().grads(), a.params().grads() + a.params().size(), b.params().grads()));
            // not comparing empty or zero tensors
            CHECK(ya.size() == T * B * a.output_size());
            CHECK(std::any_of(dxa.begin(), dxa.end(), [](double v) { return v != 0; }));
        }
    // size-0 views are zeros, as empty Tensor3 states are
    xrnn::Recurrent<float> a(config(xrnn::CellKind::lstm), {2}), b(config(xrnn::CellKind::lstm), {2});
    const auto x = random3<float>(4, 2, 3, 7);
    xrnn::Tensor3<float> ya, yb;
    xrnn::RecurrentState<float> sa, sb;
    a.forward(x, {}, ya, sa);
    b.forward(xrnn::view3(x), {}, {}, yb, sb);
    CHECK(ya == yb);
    CHECK_THROWS_WITH_AS(b.forward(xrnn::View3<float>{x.data(), {4, 2, 4}}, {}, {}, yb, sb),
                         doctest::Contains("input has 4 features per step"), std::invalid_argument);
}
