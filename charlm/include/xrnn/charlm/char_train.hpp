// xrnn/charlm/char_train.hpp -- training a char model end to end: the loop with truncated BPTT over
// B contiguous streams, clipping, the optimizer, evaluation on the whole validation split,
// progress, a JSONL metrics log, atomic checkpoints (last and best), exact resume, and clean
// stops on Ctrl-C and on a non-finite loss.
//
// Exact resume: a checkpoint holds everything the next step depends on (parameters, optimizer
// moments and step, stream position, carried hidden state, dropout RNG states), so a resumed
// run computes the same losses, bit for bit, as an uninterrupted one with the same thread count.
#ifndef XRNN_CHARLM_CHAR_TRAIN_HPP
#define XRNN_CHARLM_CHAR_TRAIN_HPP

#include "xrnn/charlm/char_corpus.hpp"
#include "xrnn/charlm/char_model.hpp"
#include "xrnn/clip.hpp"
#include "xrnn/grad_monitor.hpp"
#include "xrnn/optimizer.hpp"
#include "xrnn/weight_average.hpp"

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>

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
    };

    struct StepResult
    {
        double loss = 0;
        double grad_norm = 0; // before clipping
        bool clipped = false;
        std::optional<MonitorReport> monitor; // on steps that are multiples of monitor_every
    };

    class CharTrainer
    {
    public:
        explicit CharTrainer(const TrainConfig& config);
        // Continues a run from a checkpoint; the data file must be the one it was trained on.
        // Run-length options (time_budget, steps), eval_every and out come from `overrides`
        // when set there (non-zero / non-empty).
        static std::unique_ptr<CharTrainer> resume(const std::string& checkpoint, const TrainConfig& overrides);

        const TrainConfig& config() const { return config_; }
        CharModel<float>& model() { return *model_; }
        const CharCorpus& corpus() const { return corpus_; }
        std::uint64_t step() const { return step_; }
        double elapsed_seconds() const { return elapsed_; }
        double best_val() const { return best_val_; }

        StepResult train_step();
        // Mean loss (nats/char) over the whole validation split; leaves the training state alone.
        double evaluate();
        void save(const std::string& path) const;

        // The whole loop. Writes progress to `progress`, metrics to <out>/metrics.jsonl,
        // checkpoints to <out>/last.ckpt and <out>/best.ckpt. Returns 0 when done, 130 when
        // `stop` was raised (after saving), 3 when the loss became non-finite.
        int run(std::ostream& progress, const std::atomic<bool>& stop);

    private:
        std::string meta_json() const;

        TrainConfig config_;
        CharCorpus corpus_;
        std::unique_ptr<CharModel<float>> model_;
        std::unique_ptr<Optimizer<float>> opt_;
        std::unique_ptr<WeightAverage<float>> ema_; // when config_.ema > 0
        std::unique_ptr<StreamBatcher> batcher_;
        std::vector<std::int32_t> x_, y_;
        std::uint64_t step_ = 0;   // optimizer steps done
        std::uint64_t chunk_ = 0;  // next chunk of the epoch
        std::uint64_t epoch_ = 0;
        std::uint64_t data_hash_ = 0;
        double elapsed_ = 0;       // seconds of training so far (over resumes)
        double best_val_ = 0;      // 0 = none yet
        std::uint64_t best_step_ = 0;
        ClipCounter clips_;
        GradMonitor monitor_;
    };

    // A trained model with its vocabulary, for sampling and evaluation.
    struct LoadedCharModel
    {
        TrainConfig config;
        Vocabulary vocab;
        std::unique_ptr<CharModel<float>> model;
        std::uint64_t step = 0;
        bool averaged = false; // the weights are the run's moving average (TrainConfig::ema)
    };
    // raw = false: the moving average when the checkpoint has one (the weights validation
    // measured), else the trained weights; raw = true: always the trained weights.
    LoadedCharModel load_char_model(const std::string& checkpoint, bool raw = false);

    // Mean nats/char of `model` on `tokens`, batched into `streams` contiguous streams.
    double evaluate_tokens(CharModel<float>& model, const std::vector<std::int32_t>& tokens, std::size_t streams,
                           std::size_t seq_len);
}

#endif
