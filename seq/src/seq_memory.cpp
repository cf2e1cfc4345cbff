// seq/src/seq_memory.cpp -- see seq_memory.hpp.
#include "xrnn/seq/seq_memory.hpp"

#include "xrnn/input_file.hpp" // format_bytes
#include "xrnn/memory_budget.hpp"

#include <cstdio>

namespace xrnn::seq
{
    double check_seq_memory(const SeqModelConfig& m, std::size_t batch, std::size_t longest, OptimizerKind optimizer,
                            std::uint64_t max_memory)
    {
        RecurrentConfig rc = m.rnn;
        const double F = static_cast<double>(m.features), In = static_cast<double>(m.input_size);
        rc.input_size = m.input == InputLayer::none ? m.features : m.input_size;
        const double dirs = rc.bidirectional ? 2 : 1, H = static_cast<double>(rc.hidden_size);
        const double O = static_cast<double>(m.outputs);
        const double input_params = m.input == InputLayer::linear      ? F * In + In
                                    : m.input == InputLayer::embedding ? static_cast<double>(m.vocab) * In
                                                                       : 0;
        const double params = recurrent_param_count(rc) + input_params + dirs * H * O + O;
        const double B = static_cast<double>(batch), T = static_cast<double>(longest);
        double copies = 1, acts = 0;
        if (batch > 0)
        {
            copies = 2 + (optimizer == OptimizerKind::adam ? 2 : 1);
            const bool per_step = m.task == Task::tag || m.task == Task::ctc;
            // the batch's features, the input layer's output and gradient, per-step head outputs
            // and their gradients (tag, ctc: also CTC's alpha/beta tables over 2L+1 <= 2T+1 states)
            acts = recurrent_activation_count(rc, T, B) + T * B * (F + 2 * static_cast<double>(rc.input_size))
                   + (per_step ? T * B * 2 * O + (m.task == Task::ctc ? 2 * T * B * (2 * T + 1) / 4 : 0) : B * 2 * O);
        }
        const double bytes = 4 * (params * copies + acts);
        char count[32];
        std::snprintf(count, sizeof count, "%.3g", params);
        auto size = [](double b) { return b >= 1.8e19 ? std::string("more than 16 EiB") : format_bytes(static_cast<std::uint64_t>(b)); };
        const std::string what = stack_phrase(rc)
                                 + (batch > 0 ? " model training at batch " + std::to_string(batch) + " x "
                                                    + std::to_string(longest) + " steps (the longest sequence)"
                                              : " model");
        const std::string parts = std::string(count) + " parameters x " + std::to_string(static_cast<int>(copies))
                                  + ": " + size(4 * params * copies)
                                  + (batch > 0 ? "; activations: " + size(4 * acts) : std::string());
        check_memory(bytes, max_memory, what, parts, "--max-memory");
        return bytes;
    }
}
