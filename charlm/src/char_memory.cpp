// charlm/src/char_memory.cpp -- see char_memory.hpp.
#include "xrnn/charlm/char_memory.hpp"

#include "xrnn/cell_traits.hpp"
#include "xrnn/input_file.hpp" // format_bytes
#include "xrnn/memory_budget.hpp"

#include <algorithm>
#include <cstdio>

namespace xrnn
{
    double check_char_memory(const TrainConfig& c, std::size_t vocab_size, std::uint64_t data_bytes, bool training)
    {
        RecurrentConfig rc;
        rc.cell = cell_from_name(c.cell);
        rc.input_size = c.embed_size;
        rc.hidden_size = c.hidden_size;
        rc.num_layers = c.num_layers;
        const double V = static_cast<double>(vocab_size), E = static_cast<double>(c.embed_size);
        const double H = static_cast<double>(c.hidden_size), G = static_cast<double>(gate_count(rc.cell));
        // embedding, head, and sampling's per-token table of layer 0's input projection (V, G*H)
        const double params = recurrent_param_count(rc) + V * E + V * H + V;
        const double T = static_cast<double>(c.seq_len);
        const double B = static_cast<double>(c.batch_size), Bv = static_cast<double>(c.eval_batch);
        // per row and step besides the stack: embedding output and gradient, dropout mask, the
        // head's input, logits and their gradient
        auto forward = [&](double rows) { return recurrent_activation_count(rc, T, rows) + T * rows * (2 * E + 2 * H + 2 * V); };
        double copies = 1, acts = 0, data = 0;
        std::string copy_text = "weights";
        if (training)
        {
            const double moments = c.optimizer.kind == OptimizerKind::adam ? 2 : 1;
            copies = 2 + moments + (c.ema > 0 ? 1 : 0) + (c.weight_drop > 0 ? 1 : 0);
            copy_text = "weights, gradients, " + std::string(moments == 2 ? "two optimizer moments" : "optimizer state")
                        + (c.ema > 0 ? ", weight average" : "") + (c.weight_drop > 0 ? ", dropped weights" : "");
            acts = std::max(forward(B), forward(Bv));
            data = 9.0 * static_cast<double>(data_bytes); // the text and its tokens as int32 (twice while split)
        }
        else
            acts = forward(64) + V * G * H;
        const double bytes = 4 * (params * copies + acts) + data;
        char count[32];
        std::snprintf(count, sizeof count, "%.3g", params);
        auto size = [](double b) { return b >= 1.8e19 ? std::string("more than 16 EiB") : format_bytes(static_cast<std::uint64_t>(b)); };
        const std::string what = stack_phrase(rc)
                                 + (training ? " char-LM training at batch " + std::to_string(c.batch_size) + " x "
                                                   + std::to_string(c.seq_len) + " steps"
                                             : " char-LM");
        const std::string parts = std::string(count) + " parameters x " + std::to_string(static_cast<int>(copies)) + " ("
                                  + copy_text + "): " + size(4 * params * copies) + "; activations: " + size(4 * acts)
                                  + (training ? "; corpus: " + size(data) : std::string());
        check_memory(bytes, c.max_memory, what, parts, "max_memory");
        return bytes;
    }
}
