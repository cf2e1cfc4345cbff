// xrnn/charlm/train_config.hpp -- the char-LM run's configuration: TrainConfig (model,
// optimisation, run length, output), what it means for the model and its initialisation, its
// JSON form in checkpoints, and the options a resumed run may change.
//
// Not the CLI: flags live in tools/xrnn_charlm.cpp. Errors here name the config field
// (forget_bias), and the CLI translates fields to its flags when it prints them.
#ifndef XRNN_CHARLM_TRAIN_CONFIG_HPP
#define XRNN_CHARLM_TRAIN_CONFIG_HPP

#include "xrnn/charlm/char_model.hpp"
#include "xrnn/init.hpp"
#include "xrnn/optimizer.hpp"
#include "xrnn/value_range.hpp"

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <string>
#include <string_view>

namespace xrnn
{
    struct TrainConfig
    {
        // Defaults measured on tinyshakespeare (benchmarks/RESULTS.md): Adam 3e-3, then x0.85
        // every 100 steps from step 300, floored at 2e-4; validation on a weight average (ema).
        TrainConfig()
        {
            optimizer.lr = 3e-3;
            optimizer.lr_decay = 0.85;
            optimizer.lr_decay_every = 100;
            optimizer.lr_decay_start = 300;
            optimizer.lr_min = 2e-4;
        }

        std::string data;                 // text file
        std::string vocab = "seen";       // "seen" bytes or all 256 "bytes"
        // model
        std::string cell = "lstm";
        std::size_t hidden_size = 512;
        std::size_t num_layers = 1;
        std::size_t embed_size = 64;
        std::string activation = "tanh";
        std::string recurrent_activation = "sigmoid";
        double dropout = 0.0;
        double weight_drop = 0.0;         // DropConnect on weight_hh (char_model.hpp)
        std::string init = "uniform";     // recurrent init: uniform, orthogonal, identity
        double forget_bias = 0.0;         // lstm: total forget-gate bias; 0 keeps PyTorch's init
        // optimisation
        std::size_t batch_size = 32;
        std::size_t seq_len = 64;
        OptimizerConfig optimizer;
        double clip_norm = 5.0;           // 0 = off
        double clip_value = 0.0;          // 0 = off
        // Exponential moving average of the weights (weight_average.hpp), 0 = off. When on,
        // validation, best.ckpt's choice, `sample` and `eval` use the averaged weights; training
        // continues on the raw ones (both are in the checkpoint). On by default: on tinyshakespeare
        // it lowered the 3-minute val loss by 0.015 and the 30-minute one by 0.011-0.014.
        double ema = 0.999;
        // run length: whichever comes first; both 0 = until stopped
        double time_budget = 0.0;         // seconds of wall time, evaluations included
        std::uint64_t steps = 0;
        std::uint64_t eval_every = 200;   // steps; also at the end
        std::uint64_t monitor_every = 0;  // steps between gradient-flow reports (grad_monitor.hpp); 0 = off
        std::size_t eval_batch = 64;      // streams for validation
        std::uint64_t seed = 1;
        int threads = 2;
        std::string out = "runs/charlm";
        // Refuse a configuration whose estimated memory (memory_budget.hpp) exceeds this many
        // bytes; 0 = the memory the machine has available. Not kept in checkpoints.
        std::uint64_t max_memory = 0;
    };

    // What a resumed run may change; everything else comes from the checkpoint.
    struct ResumeOverrides
    {
        std::string data;                // empty = the checkpoint's file
        // run length of the continued run, counted from the start of the first run, as always
        // replaced (both 0 = until stopped): a finished run continues only when told how far
        double time_budget = 0.0;
        std::uint64_t steps = 0;
        std::uint64_t eval_every = 0;    // 0 = the checkpoint's
        std::uint64_t monitor_every = 0; // not kept in checkpoints: 0 = off
        std::string out;                 // empty = the checkpoint's folder
        std::uint64_t max_memory = 0;    // as TrainConfig::max_memory
    };
    // The configuration a run resumed from a checkpoint trained with `saved` continues with.
    TrainConfig resumed_config(const TrainConfig& saved, const ResumeOverrides& overrides);

    // The valid values of TrainConfig's numbers (value_range.hpp), by field name: the CLI checks
    // its flags against them. Throws std::logic_error for a field that has none.
    const ValueRange& train_config_range(std::string_view field);
    // Throws std::invalid_argument naming the first number that is not finite or is out of its
    // range ("hidden_size must be a whole number from 1 to 65536, got 0"). config_from_json
    // checks a checkpoint's config the same way.
    void check_train_config(const TrainConfig& c);

    CharModelConfig model_config(const TrainConfig& c, std::size_t vocab_size);
    InitConfig init_config(const TrainConfig& c);

    // The checkpoint's "config" object. Fields added after the first checkpoints (lr_schedule,
    // lr_decay_steps, ema, weight_drop) read as their old behaviour when absent.
    nlohmann::json config_to_json(const TrainConfig& c);
    TrainConfig config_from_json(const nlohmann::json& j);
}

#endif
