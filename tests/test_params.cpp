// tests/test_params.cpp -- the flat parameter buffer and its named views.
#include "xrnn/bptt.hpp"
#include "xrnn/params.hpp"

#include <doctest/doctest.h>

TEST_CASE("parameters are contiguous tensors in PyTorch's order, names and shapes")
{
    xrnn::RecurrentConfig cfg;
    cfg.cell = xrnn::CellKind::lstm;
    cfg.input_size = 3;
    cfg.hidden_size = 4;
    cfg.num_layers = 2;
    xrnn::Recurrent<float> net(cfg);
    const auto& t = net.params().table();
    REQUIRE(t.size() == 8);
    const char* names[] = {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0",
                           "weight_ih_l1", "weight_hh_l1", "bias_ih_l1", "bias_hh_l1"};
    std::size_t offset = 0;
    for (std::size_t i = 0; i < 8; ++i)
    {
        CHECK(t[i].name == names[i]);
        CHECK(t[i].offset == offset);
        offset += t[i].size;
    }
    CHECK(net.params().size() == offset);
    CHECK(t[0].shape == std::vector<std::size_t>{16, 3});
    CHECK(t[5].shape == std::vector<std::size_t>{16, 4});
    CHECK(t[6].shape == std::vector<std::size_t>{16});
    // the named view writes into the flat buffer
    auto v = net.params().view("bias_hh_l1");
    v(2) = 42.0f;
    CHECK(net.params().values()[t[7].offset + 2] == 42.0f);
    CHECK_THROWS_WITH_AS(net.params().index("weight_xx"), doctest::Contains("weight_ih_l0"), std::invalid_argument);
}

TEST_CASE("gate counts per cell: rnn 1, gru 3, lstm 4")
{
    for (auto [cell, g] : {std::pair{xrnn::CellKind::rnn, 1}, {xrnn::CellKind::gru, 3}, {xrnn::CellKind::lstm, 4}})
    {
        xrnn::RecurrentConfig cfg;
        cfg.cell = cell;
        cfg.input_size = 2;
        cfg.hidden_size = 5;
        xrnn::Recurrent<double> net(cfg);
        CHECK(net.params().size() == std::size_t(g) * 5 * (2 + 5 + 2));
    }
}
