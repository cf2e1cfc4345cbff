// tests/test_lstm_cell.cpp -- lstm layer: forward vs naive reference and gradients vs finite
// differences for every activation choice (2 layers, T = 6, B = 2, double).
#include "cell_checks.hpp"

TEST_CASE("lstm: every activation combination matches the reference and finite differences")
{
    CHECK(cellcheck::check_all_activations(xrnn::CellKind::lstm) <= cellcheck::kTolerance);
}

TEST_CASE("lstm: variable lengths and bidirectional stacks, every activation combination, vs each sequence alone and finite differences")
{
    for (const auto& v : cellcheck::packed_variants())
    {
        INFO(v.name);
        CHECK(cellcheck::check_all_activations(xrnn::CellKind::lstm, v) <= cellcheck::kTolerance);
    }
}
