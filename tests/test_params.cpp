// tests/test_params.cpp -- the flat parameter buffer and its named views.
#include "xrnn/bptt.hpp"
#include "xrnn/params.hpp"

#include <doctest/doctest.h>

#include <tuple>

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

TEST_CASE("gate counts per cell: rnn 1, gru 3, lstm 4, lstm_peephole 4 + 3 peephole vectors")
{
    for (auto [cell, g, extra] : {std::tuple{xrnn::CellKind::rnn, 1, 0}, {xrnn::CellKind::gru, 3, 0},
                                  {xrnn::CellKind::lstm, 4, 0}, {xrnn::CellKind::lstm_peephole, 4, 3}})
    {
        xrnn::RecurrentConfig cfg;
        cfg.cell = cell;
        cfg.input_size = 2;
        cfg.hidden_size = 5;
        xrnn::Recurrent<double> net(cfg);
        CHECK(xrnn::gate_count(cell) == std::size_t(g));
        CHECK(net.params().size() == std::size_t(g) * 5 * (2 + 5 + 2) + std::size_t(extra) * 5);
    }
}

TEST_CASE("cell table: names round-trip, tensors named and shaped from the table")
{
    CHECK(xrnn::cell_names() == std::vector<std::string>{"rnn", "gru", "lstm", "lstm_peephole"});
    for (xrnn::CellKind k : xrnn::cell_kinds())
    {
        const auto& tr = xrnn::cell_traits(k);
        CHECK(xrnn::cell_from_name(tr.name) == k);
        CHECK(std::string(tr.gate_names).size() == (tr.gates > 1 ? tr.gates : 0));
        CHECK(tr.candidate_block < tr.gates);
        CHECK(tr.forget_block < static_cast<int>(tr.gates));
        REQUIRE(tr.tensors.size() >= 4);
        xrnn::RecurrentConfig cfg;
        cfg.cell = k;
        cfg.input_size = 3;
        cfg.hidden_size = 2;
        cfg.num_layers = 2;
        xrnn::Recurrent<float> net(cfg);
        CHECK(net.params().count() == 2 * tr.tensors.size());
        for (std::size_t l = 0; l < 2; ++l)
            for (std::size_t t = 0; t < tr.tensors.size(); ++t)
                CHECK(net.params().table()[net.tensor_index(l, t)].name
                      == std::string(tr.tensors[t].name) + "_l" + std::to_string(l));
    }
    CHECK_THROWS_WITH_AS(xrnn::cell_from_name("lstmp"),
                         "xrnn: unknown cell 'lstmp'; valid cells: rnn, gru, lstm, lstm_peephole", std::invalid_argument);
}
