// xrnn/gradflow/memory.hpp -- the memory the largest run of a sweep needs (double precision),
// checked before the sweep starts (memory_budget.hpp), so `--seq-len 100000000` is refused
// with an estimate instead of exhausting the machine.
#ifndef XRNN_GRADFLOW_MEMORY_HPP
#define XRNN_GRADFLOW_MEMORY_HPP

#include "xrnn/gradflow/sweep.hpp"

namespace xrnn::gradflow
{
    // training = false: probe (one batch forward and backward, traced); true: train (Adam state,
    // the test set, evaluation in chunks of 250). Throws (check_memory) when over
    // Options::max_memory or the machine's available memory.
    void check_sweep_memory(const Options& o, bool training);
}

#endif
