// xrnn/charlm/char_memory.hpp -- the memory a char-LM configuration needs, checked before the
// model is built (memory_budget.hpp): a training run (weights, gradients, optimizer moments,
// weight average, BPTT activations at batch x seq_len, validation's forward, the corpus), or a
// loaded model for sampling and evaluation (weights and a forward pass).
#ifndef XRNN_CHARLM_CHAR_MEMORY_HPP
#define XRNN_CHARLM_CHAR_MEMORY_HPP

#include "xrnn/charlm/train_config.hpp"

#include <cstdint>

namespace xrnn
{
    // Estimated bytes; throws (check_memory) when over config.max_memory or the machine's
    // available memory. data_bytes: the corpus file's size (training only).
    double check_char_memory(const TrainConfig& config, std::size_t vocab_size, std::uint64_t data_bytes,
                             bool training);
}

#endif
