// tests/test_memory_budget.cpp -- the parameter count the estimate uses is the stack's own
// for every cell, layer count and direction; the check refuses over a limit, naming it.
#include "xrnn/bptt.hpp"
#include "xrnn/cell_traits.hpp"
#include "xrnn/memory_budget.hpp"

#include <doctest/doctest.h>

TEST_CASE("recurrent_param_count is the number of parameters the stack allocates")
{
    for (const xrnn::CellKind cell : xrnn::cell_kinds())
        for (const bool bidir : {false, true})
            for (const std::size_t layers : {1, 3})
            {
                CAPTURE(xrnn::cell_name(cell));
                CAPTURE(bidir);
                CAPTURE(layers);
                xrnn::RecurrentConfig c;
                c.cell = cell;
                c.input_size = 7;
                c.hidden_size = 5;
                c.num_layers = layers;
                c.bidirectional = bidir;
                xrnn::Recurrent<float> net(c, {1});
                CHECK(xrnn::recurrent_param_count(c) == static_cast<double>(net.params().size()));
            }
}

TEST_CASE("check_memory refuses an estimate over the limit, naming both; a huge size does not overflow")
{
    xrnn::RecurrentConfig c;
    c.cell = xrnn::CellKind::lstm;
    c.hidden_size = 30000;
    c.input_size = 64;
    CHECK(xrnn::stack_phrase(c) == "a 1x30000 LSTM");
    CHECK_NOTHROW(xrnn::check_memory(1000, 2000, "x", "y", "--max-memory"));
    CHECK_THROWS_WITH_AS(xrnn::check_memory(3.0 * (1 << 30), std::uint64_t{1} << 30, "a model", "parts", "--max-memory"),
                         "xrnn: a model needs about 3.0 GiB of memory (parts), more than the 1.0 GiB --max-memory "
                         "allows; make it smaller, or set --max-memory if the estimate is wrong",
                         std::invalid_argument);
    c.hidden_size = std::size_t{1} << 40; // a forged size: no integer overflow, a clear refusal
    const double huge = 4 * xrnn::recurrent_param_count(c);
    CHECK(huge > 1e25);
    CHECK_THROWS_WITH_AS(xrnn::check_memory(huge, std::uint64_t{1} << 40, "a model", "parts", "--max-memory"),
                         doctest::Contains("needs more than 16 EiB of memory"), std::invalid_argument);
    CHECK(xrnn::available_memory() > 0); // Linux: MemAvailable is there
}
