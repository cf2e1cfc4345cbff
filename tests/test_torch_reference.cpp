// tests/test_torch_reference.cpp -- default RNN (tanh), GRU and LSTM, 2 layers, in float,
// against PyTorch's outputs and gradients (fixtures from fixtures/make_torch_reference.py).
// Tolerance per tensor: max |xrnn - torch| <= 1e-5 * max |torch|.
#include "xrnn/bptt.hpp"

#include <doctest/doctest.h>
#include <xtensor/xnpy.hpp>

#include <cmath>
#include <string>

namespace
{
    std::string dir;

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
    }

    xrnn::Tensor3<float> load3(const std::string& name)
    {
        const auto a = load(name);
        xrnn::Tensor3<float> t = xrnn::Tensor3<float>::from_shape({a.shape()[0], a.shape()[1], a.shape()[2]});
        std::copy(a.begin(), a.end(), t.begin());
        return t;
    }

    void check_cell(xrnn::CellKind cell)
    {
        dir = std::string(XRNN_FIXTURES) + "/" + xrnn::cell_name(cell);
        xrnn::RecurrentConfig cfg;
        cfg.cell = cell;
        cfg.input_size = 5;
        cfg.hidden_size = 6;
        cfg.num_layers = 2;
        xrnn::Recurrent<float> net(cfg);
        auto& ps = net.params();
        for (const auto& info : ps.table())
        {
            const auto w = load(info.name);
            REQUIRE(w.size() == info.size);
            std::copy(w.begin(), w.end(), ps.value(ps.index(info.name)));
        }
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
        net.forward(x, s0, y, sT);
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
    }
}

TEST_CASE("rnn (tanh) matches PyTorch nn.RNN")
{
    check_cell(xrnn::CellKind::rnn);
}
TEST_CASE("gru matches PyTorch nn.GRU")
{
    check_cell(xrnn::CellKind::gru);
}
TEST_CASE("lstm matches PyTorch nn.LSTM")
{
    check_cell(xrnn::CellKind::lstm);
}
