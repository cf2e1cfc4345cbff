// xrnn/seq/seq_memory.hpp -- the memory a sequence model needs, checked before it is built
// (memory_budget.hpp): training (weights, gradients, optimizer moments, BPTT activations for a
// batch padded to the longest sequence) or a loaded model (its weights).
#ifndef XRNN_SEQ_SEQ_MEMORY_HPP
#define XRNN_SEQ_SEQ_MEMORY_HPP

#include "xrnn/optimizer.hpp"
#include "xrnn/seq/seq_model.hpp"

#include <cstdint>

namespace xrnn::seq
{
    // batch = 0: the weights only (loading a model). Estimated bytes; throws (check_memory)
    // when over max_memory (0: the machine's available memory).
    double check_seq_memory(const SeqModelConfig& m, std::size_t batch, std::size_t longest, OptimizerKind optimizer,
                            std::uint64_t max_memory);
}

#endif
