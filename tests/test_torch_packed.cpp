// tests/test_torch_packed.cpp -- per-sequence lengths and bidirectional stacks of the default
// RNN (tanh), GRU and LSTM, 2 layers, in float, against PyTorch's
// pack_padded_sequence(enforce_sorted=False) -> module -> pad_packed_sequence outputs and
// gradients (fixtures from fixtures/make_torch_packed_reference.py): unidirectional with lengths,
// bidirectional with lengths, bidirectional with every length = T.
// The padded inputs and the output gradients past each length are random in the fixtures, so
// they also check that padding neither influences anything nor receives gradient.
// Tolerance per tensor: max |xrnn - torch| <= 1e-5 * max |torch|.
#include "xrnn/bptt.hpp"

#include <doctest/doctest.h>
#include <xtensor/xnpy.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace
{
    std::string dir;
    double worst = 0;        // max over the tensors of one case of max |xrnn - torch| / max |torch|
    std::string worst_name;

    xt::xarray<float> load(const std::string& name)
    {
        return xt::load_npy<float>(dir + "/" + name + ".npy");
    }

    template <class A>
    void match(const std::string& name, const A& got)
    {
        const auto want = load(name);
        REQUIRE(want.size() == got.size());
        float scale = 0, diff = 0;
        for (std::size_t i = 0; i < want.size(); ++i)
        {
            scale = std::max(scale, std::fabs(want.data()[i]));
            diff = std::max(diff, std::fabs(want.data()[i] - got.data()[i]));
        }
        INFO(name << ": max |xrnn - torch| = " << diff << ", max |torch| = " << scale);
        CHECK(diff <= 1e-5f * scale);
        const double rel = scale > 0 ? double(diff) / double(scale) : double(diff);
        if (rel >= worst)
        {
            worst = rel;
            worst_name = name;
        }
    }

    xrnn::Tensor3<float> load3(const std::string& name)
    {
        const auto a = load(name);
        xrnn::Tensor3<float> t = xrnn::Tensor3<float>::from_shape({a.shape()[0], a.shape()[1], a.shape()[2]});
        std::copy(a.begin(), a.end(), t.begin());
        return t;
    }

    void check_case(xrnn::CellKind cell, const std::string& variant)
    {
        const std::string label = xrnn::cell_name(cell) + "_" + variant;
        dir = std::string(XRNN_FIXTURES) + "/packed/" + label;
        worst = 0;
        worst_name.clear();
        xrnn::RecurrentConfig cfg;
        cfg.cell = cell;
        cfg.input_size = 5;
        cfg.hidden_size = 6;
        cfg.num_layers = 2;
        cfg.bidirectional = variant != "uni";
        xrnn::Recurrent<float> net(cfg);
        auto& ps = net.params();
        REQUIRE(ps.count() == 4 * cfg.num_layers * net.directions()); // W_ih, W_hh, b_ih, b_hh per unit
        for (const auto& info : ps.table())
        {
            const auto w = load(info.name);
            REQUIRE(w.size() == info.size);
            std::copy(w.begin(), w.end(), ps.value(ps.index(info.name)));
        }
        const auto len64 = xt::load_npy<std::int64_t>(dir + "/lengths.npy");
        const std::vector<std::size_t> lengths(len64.begin(), len64.end());
        REQUIRE(lengths.size() == 4);

        const bool lstm = cell == xrnn::CellKind::lstm;
        xrnn::RecurrentState<float> s0, sT, rs, ds0;
        s0.h = load3("h0");
        rs.h = load3("rh");
        if (lstm)
        {
            s0.c = load3("c0");
            rs.c = load3("rc");
        }
        const auto x = load3("x");
        xrnn::Tensor3<float> y, dx;
        net.forward(x, s0, y, sT, lengths);
        match("y", y);
        match("hT", sT.h);
        if (lstm)
            match("cT", sT.c);

        ps.zero_grad();
        net.backward(load3("ry"), rs, dx, ds0);
        for (const auto& info : ps.table())
            match("grad_" + info.name,
                  xt::adapt(ps.grad(ps.index(info.name)), info.size, xt::no_ownership(), info.shape));
        match("grad_x", dx);
        match("grad_h0", ds0.h);
        if (lstm)
            match("grad_c0", ds0.c);

        // one line per case for the team to quote (the worst tensor in parentheses)
        std::printf("torch packed %s: max |xrnn - torch| / max |torch| over all tensors = %.1e (%s)\n",
                    label.c_str(), worst, worst_name.c_str());
    }
}

TEST_CASE("torch packed: rnn (tanh) with lengths matches PyTorch nn.RNN on packed sequences")
{
    check_case(xrnn::CellKind::rnn, "uni");
}
TEST_CASE("torch packed: bidirectional rnn (tanh) with lengths matches PyTorch")
{
    check_case(xrnn::CellKind::rnn, "bi");
}
TEST_CASE("torch packed: bidirectional rnn (tanh), full lengths, matches PyTorch")
{
    check_case(xrnn::CellKind::rnn, "bi_full");
}
TEST_CASE("torch packed: gru with lengths matches PyTorch nn.GRU on packed sequences")
{
    check_case(xrnn::CellKind::gru, "uni");
}
TEST_CASE("torch packed: bidirectional gru with lengths matches PyTorch")
{
    check_case(xrnn::CellKind::gru, "bi");
}
TEST_CASE("torch packed: bidirectional gru, full lengths, matches PyTorch")
{
    check_case(xrnn::CellKind::gru, "bi_full");
}
TEST_CASE("torch packed: lstm with lengths matches PyTorch nn.LSTM on packed sequences")
{
    check_case(xrnn::CellKind::lstm, "uni");
}
TEST_CASE("torch packed: bidirectional lstm with lengths matches PyTorch")
{
    check_case(xrnn::CellKind::lstm, "bi");
}
TEST_CASE("torch packed: bidirectional lstm, full lengths, matches PyTorch")
{
    check_case(xrnn::CellKind::lstm, "bi_full");
}
