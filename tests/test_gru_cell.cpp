// tests/test_gru_cell.cpp -- gru layer: forward vs naive reference and gradients vs finite
// differences for every activation choice (2 layers, T = 6, B = 2, double).
#include "cell_checks.hpp"

TEST_CASE("gru: every activation combination matches the reference and finite differences")
{
    CHECK(cellcheck::check_all_activations(xrnn::CellKind::gru) <= cellcheck::kTolerance);
}

TEST_CASE("gru: variable lengths and bidirectional stacks, every activation combination, vs each sequence alone and finite differences")
{
    for (const auto& v : cellcheck::packed_variants())
    {
        INFO(v.name);
        CHECK(cellcheck::check_all_activations(xrnn::CellKind::gru, v) <= cellcheck::kTolerance);
    }
}
