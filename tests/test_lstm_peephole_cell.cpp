// tests/test_lstm_peephole_cell.cpp -- the peephole LSTM (lib/cells/lstm_peephole.cpp): forward
// vs the naive reference and gradients vs finite differences for every activation choice, one
// path isolated in closed form, and the monitor on it.
#include "cell_checks.hpp"

#include "xrnn/grad_monitor.hpp"

TEST_CASE("lstm_peephole: every activation combination matches the reference and finite differences")
{
    CHECK(cellcheck::check_all_activations(xrnn::CellKind::lstm_peephole) <= cellcheck::kTolerance);
}

TEST_CASE("lstm_peephole: variable lengths and bidirectional stacks, every activation combination, vs each sequence alone and finite differences")
{
    for (const auto& v : cellcheck::packed_variants())
    {
        INFO(v.name);
        CHECK(cellcheck::check_all_activations(xrnn::CellKind::lstm_peephole, v) <= cellcheck::kTolerance);
    }
}

TEST_CASE("lstm_peephole: the peephole path alone, in closed form")
{
    // All weights and biases zero except the peepholes: i = s(p_i c), f = s(p_f c), g = tanh(0)
    // = 0, so c' = f c and h' = s(p_o c') tanh(c'), one step from c0 (mlpack's "isolate one
    // path" test). A plain LSTM gives c' = c / 2 here: the peepholes are what moves it.
    xrnn::RecurrentConfig cfg;
    cfg.cell = xrnn::CellKind::lstm_peephole;
    cfg.input_size = 2;
    cfg.hidden_size = 3;
    xrnn::Recurrent<double> net(cfg);
    auto& ps = net.params();
    std::fill(ps.values(), ps.values() + ps.size(), 0.0);
    const double p[9] = {0.5, -1.0, 2.0, /* f */ 1.5, 0.25, -0.75, /* o */ -2.0, 1.0, 0.3};
    std::copy(p, p + 9, ps.value(ps.index("weight_peephole_l0")));
    REQUIRE(ps.table()[ps.index("weight_peephole_l0")].shape == std::vector<std::size_t>{9});
    xrnn::Tensor3<double> x = xrnn::Tensor3<double>::from_shape({1, 1, 2}), y;
    x.fill(0.7); // no effect: W_ih = 0
    xrnn::RecurrentState<double> s0, sT;
    s0.h = xrnn::Tensor3<double>::from_shape({1, 1, 3});
    s0.c = xrnn::Tensor3<double>::from_shape({1, 1, 3});
    s0.h.fill(0.3);
    const double c0[3] = {0.8, -1.2, 0.4};
    std::copy(c0, c0 + 3, s0.c.data());
    net.forward(x, s0, y, sT);
    auto sig = [](double v) { return 1 / (1 + std::exp(-v)); };
    for (std::size_t j = 0; j < 3; ++j)
    {
        const double c1 = sig(p[3 + j] * c0[j]) * c0[j];
        CHECK(sT.c(0, 0, j) == doctest::Approx(c1).epsilon(1e-14));
        CHECK(y(0, 0, j) == doctest::Approx(sig(p[6 + j] * c1) * std::tanh(c1)).epsilon(1e-14));
    }
}

TEST_CASE("lstm_peephole: forget bias, and the monitor's per-gate norms and forget-gate mean")
{
    xrnn::RecurrentConfig cfg;
    cfg.cell = xrnn::CellKind::lstm_peephole;
    cfg.input_size = 3;
    cfg.hidden_size = 8;
    xrnn::InitConfig init{3};
    init.forget_bias = 2.0;
    xrnn::Recurrent<float> net(cfg, init);
    const auto b = net.params().view("bias_ih_l0");
    CHECK(b(8) == 2.0f); // block f = rows [H, 2H)
    CHECK(b(15) == 2.0f);

    const std::size_t T = 20, B = 4;
    xrnn::Tensor3<float> x = xrnn::Tensor3<float>::from_shape({T, B, 3}), y, dx;
    xrnn::Rng rng(4);
    for (auto& v : x)
        v = static_cast<float>(rng.uniform(-1, 1));
    xrnn::RecurrentState<float> s0, sT, ds0;
    net.forward(x, s0, y, sT);
    xrnn::Tensor3<float> dy = xrnn::Tensor3<float>::from_shape({T, B, 8});
    dy.fill(0.0f);
    for (std::size_t i = 0; i < B * 8; ++i)
        dy.data()[(T - 1) * B * 8 + i] = 1.0f;
    net.set_flow_trace(true);
    net.backward(dy, {}, dx, ds0);
    xrnn::GradMonitor mon;
    const auto r = mon.report(0, net, {{"rnn.", &net.params()}}, xrnn::ClipResult{}, true);
    std::vector<std::string> names;
    for (const auto& t : r.tensors)
        names.push_back(t.name);
    for (const char* n : {"rnn.weight_hh_l0[f]", "rnn.weight_peephole_l0", "rnn.weight_peephole_l0[i]",
                          "rnn.weight_peephole_l0[f]", "rnn.weight_peephole_l0[o]"})
        CHECK_MESSAGE(std::find(names.begin(), names.end(), n) != names.end(), n);
    REQUIRE(r.layers.size() == 1);
    // sigmoid(2 + peephole * c + ...) stays near sigmoid(2) = 0.88 at initialisation
    CHECK(r.layers[0].forget_mean > 0.8);
    CHECK(r.layers[0].forget_mean < 0.95);
    CHECK(r.layers[0].dc.size() == T);
}
