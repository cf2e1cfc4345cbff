// tests/test_init.cpp -- initialisers: ranges, orthogonality, identity, forget bias, seeding.
#include "xrnn/bptt.hpp"

#include <doctest/doctest.h>

#include <cmath>

namespace
{
    xrnn::RecurrentConfig config(xrnn::CellKind cell, std::size_t H = 8)
    {
        xrnn::RecurrentConfig c;
        c.cell = cell;
        c.input_size = 5;
        c.hidden_size = H;
        c.num_layers = 2;
        return c;
    }
}

TEST_CASE("default init is PyTorch's U(-1/sqrt(H), 1/sqrt(H)), seeded and deterministic")
{
    xrnn::Recurrent<double> a(config(xrnn::CellKind::lstm, 64), {42});
    xrnn::Recurrent<double> b(config(xrnn::CellKind::lstm, 64), {42});
    xrnn::Recurrent<double> c(config(xrnn::CellKind::lstm, 64), {43});
    const double bound = 1.0 / 8.0;
    double sum = 0, sq = 0, mx = 0;
    const std::size_t n = a.params().size();
    for (std::size_t i = 0; i < n; ++i)
    {
        const double v = a.params().values()[i];
        sum += v;
        sq += v * v;
        mx = std::max(mx, std::abs(v));
    }
    CHECK(mx <= bound);
    CHECK(mx > 0.99 * bound);
    CHECK(std::abs(sum / n) < 0.01 * bound);
    CHECK(sq / n == doctest::Approx(bound * bound / 3).epsilon(0.03)); // variance of U(-b, b)
    CHECK(std::equal(a.params().values(), a.params().values() + n, b.params().values()));
    CHECK(!std::equal(a.params().values(), a.params().values() + n, c.params().values()));
}

TEST_CASE("orthogonal recurrent init: every gate block satisfies Q Q^T = gain^2 I")
{
    const std::size_t H = 16;
    for (auto cell : {xrnn::CellKind::rnn, xrnn::CellKind::gru, xrnn::CellKind::lstm})
    {
        xrnn::InitConfig init;
        init.recurrent = xrnn::RecurrentInit::orthogonal;
        init.recurrent_gain = 1.5;
        xrnn::Recurrent<double> net(config(cell, H), init);
        const double* w = net.params().value(net.params().index("weight_hh_l1"));
        double worst = 0;
        for (std::size_t g = 0; g < xrnn::gate_count(cell); ++g)
            for (std::size_t i = 0; i < H; ++i)
                for (std::size_t j = 0; j < H; ++j)
                {
                    double s = 0;
                    for (std::size_t k = 0; k < H; ++k)
                        s += w[g * H * H + i * H + k] * w[g * H * H + j * H + k];
                    worst = std::max(worst, std::abs(s - (i == j ? 2.25 : 0.0)));
                }
        CHECK(worst < 1e-12);
    }
}

TEST_CASE("identity recurrent init (IRNN): W_hh = gain * I, biases zero")
{
    xrnn::InitConfig init;
    init.recurrent = xrnn::RecurrentInit::identity;
    init.recurrent_gain = 0.9;
    xrnn::Recurrent<float> net(config(xrnn::CellKind::rnn, 4), init);
    auto w = net.params().view("weight_hh_l0");
    for (std::size_t i = 0; i < 4; ++i)
        for (std::size_t j = 0; j < 4; ++j)
            CHECK(w(i, j) == (i == j ? 0.9f : 0.0f));
    for (const char* b : {"bias_ih_l0", "bias_hh_l0", "bias_ih_l1", "bias_hh_l1"})
        for (float v : net.params().view(b))
            CHECK(v == 0.0f);
}

TEST_CASE("LSTM forget bias sets b_if + b_hf exactly; other gates untouched")
{
    xrnn::InitConfig init;
    init.seed = 5;
    init.forget_bias = 1.0;
    xrnn::Recurrent<float> with(config(xrnn::CellKind::lstm, 4), init);
    xrnn::Recurrent<float> without(config(xrnn::CellKind::lstm, 4), {5});
    for (int l = 0; l < 2; ++l)
    {
        auto bi = with.params().view("bias_ih_l" + std::to_string(l));
        auto bh = with.params().view("bias_hh_l" + std::to_string(l));
        auto bi0 = without.params().view("bias_ih_l" + std::to_string(l));
        for (std::size_t j = 0; j < 16; ++j)
        {
            if (j >= 4 && j < 8)
                CHECK(bi(j) + bh(j) == 1.0f);
            else
                CHECK(bi(j) == bi0(j));
        }
    }
    xrnn::InitConfig bad;
    bad.forget_bias = 1.0;
    CHECK_THROWS_WITH_AS(xrnn::Recurrent<float>(config(xrnn::CellKind::gru), bad),
                         doctest::Contains("forget_bias applies to cells with a forget gate (lstm, lstm_peephole), not gru"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(xrnn::recurrent_init_from_name("xavier"), doctest::Contains("uniform, orthogonal, identity"),
                         std::invalid_argument);
}
