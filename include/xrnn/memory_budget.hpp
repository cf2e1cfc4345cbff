// xrnn/memory_budget.hpp -- how much memory a configuration needs, estimated before anything
// is allocated, and the check that refuses one the machine cannot hold (instead of a
// std::bad_alloc after minutes, or the machine swapping to a halt).
//
// Estimates are in double (a forged or mistyped size overflows no integer) and count what
// grows with the configuration: parameters, their gradients, optimizer moments, the weight
// average, and what BPTT keeps per time step. Allocator overhead and code are not counted.
#ifndef XRNN_MEMORY_BUDGET_HPP
#define XRNN_MEMORY_BUDGET_HPP

#include "xrnn/bptt.hpp"

#include <cstdint>
#include <string>

namespace xrnn
{
    // Bytes this process may still allocate: /proc/meminfo's MemAvailable, lowered by the
    // cgroup limit (memory.max less memory.current) and by ulimit -v when they are tighter.
    // 0 when none of them can be read.
    std::uint64_t available_memory();

    // Parameters of a recurrent stack (every layer and direction, PyTorch's tensors).
    double recurrent_param_count(const RecurrentConfig& c);
    // Values a recurrent stack keeps to run forward and backward over T steps of B rows: the
    // per-step caches (states, gates, pre-activations, cell scratch) of every layer and
    // direction and the layer outputs and their gradients.
    double recurrent_activation_count(const RecurrentConfig& c, double steps, double batch);

    // "a 2x128 bidirectional GRU": a stack named in the messages
    std::string stack_phrase(const RecurrentConfig& c);

    // Throws std::invalid_argument when `bytes` > the limit: `limit` when not 0, else
    // available_memory() (no check when that is unknown). The message names the estimate,
    // `what` (e.g. "a GRU 2x30000 training at batch 32 x 64 steps"), its parts, the limit and
    // where it came from, and `flag` as the override.
    void check_memory(double bytes, std::uint64_t limit, const std::string& what, const std::string& parts,
                      const std::string& flag);
}

#endif
