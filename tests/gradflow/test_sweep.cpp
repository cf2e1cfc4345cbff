// tests/gradflow/test_sweep.cpp -- the study's grid expansion (sweep.hpp): how many runs a sweep
// has, which options each cell multiplies out, the labels and CSV columns of a run, and bad
// options failing before any work.
#include "xrnn/gradflow/report_writer.hpp"
#include "xrnn/gradflow/sweep.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <string>

namespace gf = xrnn::gradflow;

namespace
{
    // by name, so that the test does not depend on how the core spells its cell kinds
    std::size_t count(const std::vector<gf::RunConfig>& cs, const std::string& cell)
    {
        std::size_t n = 0;
        for (const auto& c : cs)
            n += xrnn::cell_name(c.cell) == cell;
        return n;
    }
}

TEST_CASE("sweep: gate activations only for gated cells, forget bias only for the LSTM")
{
    gf::Options o;
    o.cells = {"rnn", "gru", "lstm"};
    o.activations = {"tanh", "relu"};
    o.recurrent_activations = {"sigmoid", "hard_sigmoid"};
    o.forget_biases = {0, 1, 2};
    o.seq_lens = {50, 100};
    o.seeds = {1, 2};
    const auto cs = gf::expand(o);
    // per cell: activations x gate activations x inits x scales x forget biases x lengths x seeds
    CHECK(count(cs, "rnn") == 2 * 1 * 1 * 1 * 1 * 2 * 2);
    CHECK(count(cs, "gru") == 2 * 2 * 1 * 1 * 1 * 2 * 2);
    CHECK(count(cs, "lstm") == 2 * 2 * 1 * 1 * 3 * 2 * 2);
    CHECK(cs.size() == 8 + 16 + 48);
    for (const auto& c : cs)
    {
        CHECK(std::isnan(c.forget_bias) == (xrnn::cell_name(c.cell) != "lstm"));
        if (xrnn::cell_name(c.cell) == "rnn") // the first gate activation stands in, unused
            CHECK(xrnn::activation_name(c.ract) == "sigmoid");
        CHECK(std::isnan(c.sigma_gamma));
        CHECK(c.gain == 1.0);
    }
    // seeds vary fastest, then lengths: the order the CSVs are written in
    CHECK(cs[0].seed == 1);
    CHECK(cs[1].seed == 2);
    CHECK(cs[2].seq_len == 100);
}

TEST_CASE("sweep: --sigma-gamma replaces the gains; labels and CSV columns say what is set")
{
    gf::Options o;
    o.cells = {"rnn", "lstm"};
    o.inits = {"orthogonal"};
    o.gains = {1.0, 2.0}; // ignored once sigma_gammas is given
    o.sigma_gammas = {0.9, 1.1};
    o.forget_biases = {1};
    const auto cs = gf::expand(o);
    REQUIRE(cs.size() == 4);
    for (const auto& c : cs)
        CHECK(c.gain == 1.0);
    CHECK(cs[0].sigma_gamma == 0.9);
    CHECK(cs[1].sigma_gamma == 1.1);
    CHECK(cs[0].name() == "rnn tanh orthogonal sg=0.9");
    CHECK(cs[3].name() == "lstm tanh/sigmoid orthogonal sg=1.1 bf=1");
    // the vanilla RNN leaves the gate activation and forget-bias columns empty
    CHECK(gf::csv_config(cs[0]) == "\"rnn tanh orthogonal sg=0.9\",rnn,tanh,,orthogonal,1,0.9,,100,1");
    CHECK(gf::csv_config(cs[3]) == "\"lstm tanh/sigmoid orthogonal sg=1.1 bf=1\",lstm,tanh,sigmoid,orthogonal,1,1.1,1,100,1");

    o.sigma_gammas.clear();
    o.inits = {"uniform"};
    const auto gs = gf::expand(o);
    REQUIRE(gs.size() == 4);
    CHECK(gs[1].gain == 2.0);
    CHECK(gs[1].name() == "rnn tanh uniform gain=2");
    CHECK(gf::fmt_num(gf::nan_v) == "nan");
}

TEST_CASE("sweep: bad names and lengths fail before any work")
{
    gf::Options o;
    CHECK_NOTHROW(gf::check_options(o));
    o.cells = {"rnn", "transformer"};
    CHECK_THROWS_AS(gf::check_options(o), std::invalid_argument);
    o = gf::Options();
    o.activations = {"tanh", "nope"};
    CHECK_THROWS_AS(gf::check_options(o), std::invalid_argument);
    o = gf::Options();
    o.task = "copy";
    CHECK_THROWS_WITH_AS(gf::check_options(o), doctest::Contains("valid: adding, temporal_order"), std::invalid_argument);
    o = gf::Options();
    o.task = "temporal_order";
    o.seq_lens = {100, 9};
    CHECK_THROWS_WITH_AS(gf::check_options(o), doctest::Contains("at least 10"), std::invalid_argument);
}
