// xrnn/charlm/char_train.hpp -- training a char model end to end: the loop with truncated BPTT
// over B contiguous streams, clipping, the optimizer, evaluation on the whole validation split,
// checkpoints (last and best) at every evaluation, and clean stops on Ctrl-C and on a
// non-finite loss.
//
// The other parts of a run have their own headers: the configuration (train_config.hpp), what a
// checkpoint holds and how a run resumes (char_checkpoint.hpp), the progress line and the
// metrics log (train_report.hpp).
#ifndef XRNN_CHARLM_CHAR_TRAIN_HPP
#define XRNN_CHARLM_CHAR_TRAIN_HPP

#include "xrnn/charlm/char_corpus.hpp"
#include "xrnn/charlm/char_model.hpp"
#include "xrnn/charlm/train_config.hpp"
#include "xrnn/charlm/train_report.hpp"
#include "xrnn/clip.hpp"
#include "xrnn/communicator.hpp"
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
        // Data parallel when `comm` has more than one rank (communicator.hpp; null: one process):
        // config.batch_size is the global batch B, and each rank trains its own B / size() of the
        // streams; the gradients are summed over the ranks in one fused buffer per step, so clipping,
        // the optimizer and the monitor see the gradient of the whole batch. Validation is split
        // over the ranks by streams. Rank 0 alone writes checkpoints (holding all B streams' state,
        // as one process would), metrics and progress. Every rank must be started with the same
        // flags and data: the constructor compares them with rank 0's and refuses the difference.
        explicit CharTrainer(const TrainConfig& config, Communicator* comm = nullptr);
        // Continues a run from a checkpoint (char_checkpoint.cpp); the data file must be the one it
        // was trained on. What `overrides` may change: train_config.hpp, resumed_config. With `comm`,
        // every rank reads the checkpoint and takes its own streams' carried state.
        static std::unique_ptr<CharTrainer> resume(const std::string& checkpoint, const ResumeOverrides& overrides,
                                                   Communicator* comm = nullptr);

        const TrainConfig& config() const { return config_; }
        CharModel<float>& model() { return *model_; }
        const CharCorpus& corpus() const { return corpus_; }
        std::uint64_t step() const { return step_; }
        double elapsed_seconds() const { return elapsed_; }
        double best_val() const { return best_val_; }

        StepResult train_step();
        // Mean loss (nats/char) over the whole validation split; leaves the training state alone.
        double evaluate();
        // Everything the next step depends on, atomically (char_checkpoint.cpp).
        void save(const std::string& path) const;

        // The whole loop. Writes progress to `progress`, metrics to <out>/metrics.jsonl,
        // checkpoints to <out>/last.ckpt and <out>/best.ckpt. Returns 0 when done, 130 when
        // `stop` was raised (after saving), 3 when the loss became non-finite. `names`: how the
        // advice in those lines names config fields (train_report.hpp).
        int run(std::ostream& progress, const std::atomic<bool>& stop, const FieldNames& names = {});

        Communicator& comm() { return *comm_; }

    private:
        void check_same_run() const;   // every rank's config and data are rank 0's
        void gather_state();           // all ranks' carried states into saved_state_ at rank 0
        std::string meta_json() const;
        std::uint64_t checkpoint_bytes() const; // about what save() writes

        TrainConfig config_;
        CharCorpus corpus_;
        std::unique_ptr<CharModel<float>> model_;
        std::unique_ptr<Optimizer<float>> opt_;
        std::unique_ptr<WeightAverage<float>> ema_; // when config_.ema > 0
        std::unique_ptr<StreamBatcher> batcher_;
        std::vector<std::int32_t> x_, y_;          // this rank's streams, (T, B / ranks)
        Communicator single_;                      // one process, when none is given
        Communicator* comm_ = &single_;
        std::size_t local_batch_ = 0;              // B / ranks
        std::vector<std::int32_t> all_x_, all_y_;  // with ranks: the whole chunk (T, B)
        std::vector<float> fused_;                 // gradients + loss, summed in one allreduce
        RecurrentState<float> saved_state_;        // with ranks: all B streams' state, at rank 0
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

    // Mean nats/char of `model` on `tokens`, batched into `streams` contiguous streams.
    // With `comm`, every rank calls it and scores its share of the streams; all get the whole mean.
    double evaluate_tokens(CharModel<float>& model, const std::vector<std::int32_t>& tokens, std::size_t streams,
                           std::size_t seq_len, Communicator* comm = nullptr);
}

#endif
