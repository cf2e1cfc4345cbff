// xrnn/seq/seq_train.hpp -- training a SeqModel on your own sequences: length-bucketed batches
// shuffled per epoch under the seed, feature standardisation fitted on the training set and
// stored in the model, clipping, the optimizer, the gradient monitor, evaluation and the last /
// best checkpoints at every epoch's end, exact resume, and clean stops on Ctrl-C and on a
// non-finite loss. Also evaluation (loss, accuracy, confusion matrix; ctc: token error rate
// and sequence accuracy) and prediction of a saved model on a data set, from the model file alone.
#ifndef XRNN_SEQ_SEQ_TRAIN_HPP
#define XRNN_SEQ_SEQ_TRAIN_HPP

#include "xrnn/checkpoint.hpp"
#include "xrnn/clip.hpp"
#include "xrnn/communicator.hpp"
#include "xrnn/grad_monitor.hpp"
#include "xrnn/optimizer.hpp"
#include "xrnn/seq/batcher.hpp"
#include "xrnn/seq/dataset.hpp"
#include "xrnn/seq/seq_model.hpp"
#include "xrnn/value_range.hpp"

#include <atomic>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace xrnn::seq
{
    struct SeqTrainConfig
    {
        std::string train;          // list file or .npz
        std::string val;            // list file or .npz; empty: hold out val_fraction of train
        double val_fraction = 0.1;
        Task task = Task::classify;
        std::string cell = "lstm";
        std::size_t hidden_size = 64;
        std::size_t num_layers = 1;
        bool bidirectional = false;
        std::string activation = "tanh";
        std::string recurrent_activation = "sigmoid";
        std::string pool = "last";
        std::string input = "none";  // none, linear, embedding
        std::size_t input_size = 0;  // linear / embedding size
        std::size_t vocab = 0;       // embedding
        double dropout = 0.0;
        bool ctc_zero_infinity = false; // ctc: sequences too short for their labels score 0 instead of an error
        bool standardize = true;     // not for an embedding input
        OptimizerConfig optimizer;
        double clip_norm = 5.0;      // 0 = off
        std::size_t epochs = 10;
        double time_budget = 0;      // seconds of training; 0 = epochs only
        std::size_t batch_size = 32;
        std::uint64_t seed = 1;
        int threads = 2;
        std::size_t monitor_every = 0; // steps; 0 = off
        std::string out = "seq_out";
        // Training-time augmentation of the (standardised) features, drawn from (seed, step) so a
        // resume repeats it: Gaussian noise of this std on every valid step, and time masks
        // (SpecAugment's time masking, Park et al. 2019): per sequence `time_masks` spans of up to
        // `time_mask_width` steps (at most a fifth of the sequence) set to 0, the feature mean.
        double feature_noise = 0;
        std::size_t time_masks = 0;
        std::size_t time_mask_width = 0;
        // How the features were made from raw input, as a JSON object (the speech wing's front
        // end), kept in every checkpoint so a saved model can read raw input; empty: none.
        std::string frontend;
        // Refuse a configuration whose estimated memory (memory_budget.hpp) exceeds this many
        // bytes; 0 = the memory the machine has available. Not kept in checkpoints.
        std::uint64_t max_memory = 0;
    };

    SeqModelConfig model_config(const SeqTrainConfig& c, const Dataset& train);
    std::string config_json(const SeqTrainConfig& c);
    SeqTrainConfig config_from_json(const std::string& json); // checks the values as check_train_config

    // The valid values of SeqTrainConfig's numbers (value_range.hpp), by field name: the tools
    // check their flags against them. Throws std::logic_error for a field that has none.
    const ValueRange& train_config_range(std::string_view field);
    // Throws std::invalid_argument naming the first number that is not finite or is out of its
    // range ("hidden_size must be a whole number from 1 to 65536, got 0").
    void check_train_config(const SeqTrainConfig& c);

    // Loads a list file or an .npz (by its extension). classes: as load_list.
    Dataset load_data(const std::string& path, Task task, const ClassTable* classes = nullptr);
    // Features only (a list whose lines may lack labels, or an .npz's x_i), for predict.
    Dataset load_unlabeled(const std::string& path);

    // Targets of a batch of dataset items, laid out as SeqModel::forward wants them.
    BatchTargets batch_targets(const Dataset& d, const std::vector<std::size_t>& idx, std::size_t steps);

    // A model as saved: everything predict needs. Checkpoint tensors "model.*" (own params),
    // "rnn.*", "standardizer.mean" / ".std"; metadata JSON {"format": "xrnn-seq", "model": ...,
    // "classes": [...], "train": ...}.
    struct SavedModel
    {
        std::unique_ptr<SeqModel<float>> model;
        Standardizer standardizer; // empty: none
        ClassTable classes;        // classify: the classes; ctc: the token vocabulary
        std::string meta_json;
    };
    std::string model_config_json(const SeqModelConfig& c);
    SeqModelConfig model_config_from_json(const std::string& json);
    void put_model(Checkpoint& c, const SeqModel<float>& m, const Standardizer& st, const ClassTable& classes);
    SavedModel load_model(const std::string& path); // CheckpointError / DataError naming the problem

    struct EvalResult
    {
        double loss = 0;
        double accuracy = -1;                          // classify, tag; ctc: sequence accuracy (exact match); -1 for regress
        double error_rate = -1;                        // ctc: token error rate (edit distance / reference tokens); else -1
        std::size_t count = 0;                         // sequences (tag: valid steps)
        std::size_t tokens = 0;                        // ctc: reference tokens
        std::vector<std::vector<std::size_t>> confusion; // classify: [true][predicted]
    };
    // Mean loss over the data set (per sequence; tag: per valid step), in batches sorted by length.
    // ctc: decoded best path (beam 0) or by prefix beam search of that width (xrnn/ctc.hpp).
    // With `comm` (more than one rank), every rank calls it and scores every size()-th batch; all
    // get the whole result.
    EvalResult evaluate(SeqModel<float>& model, const Dataset& d, std::size_t batch_size, std::size_t beam = 0,
                        Communicator* comm = nullptr);
    // Writes one CSV row per sequence: source, predicted label, class probabilities (classify),
    // predicted values (regress), the per-step labels separated by spaces (tag) or the decoded
    // tokens by name separated by spaces (ctc; beam as for evaluate).
    void predict_csv(SeqModel<float>& model, const Dataset& d, const ClassTable& classes, std::size_t batch_size,
                     std::ostream& out, std::size_t beam = 0);
    std::string eval_report(const EvalResult& r, const ClassTable& classes, Task task);

    class SeqTrainer
    {
    public:
        // Data parallel when `comm` has more than one rank (communicator.hpp; null: one process):
        // every rank draws the same batches, trains on its share of each batch's sequences, and
        // the gradients, weighted by each share's count (sequences; tag: valid steps), are summed
        // in one fused allreduce per step, so clipping, the optimizer and the monitor see the whole
        // batch's gradient. Validation is split by batches; rank 0 alone writes. Every rank must be
        // started with the same flags and data (refused otherwise, naming the difference).
        explicit SeqTrainer(const SeqTrainConfig& config, Communicator* comm = nullptr);
        // Continues the run a last.ckpt / best.ckpt was saved from, with the same data files.
        // epochs and time_budget may be raised for the rest of the run (0: keep).
        // max_memory: as SeqTrainConfig::max_memory (not kept in checkpoints).
        static std::unique_ptr<SeqTrainer> resume(const std::string& checkpoint, std::size_t epochs, double time_budget,
                                                  std::uint64_t max_memory = 0, Communicator* comm = nullptr);

        const SeqTrainConfig& config() const { return config_; }
        SeqModel<float>& model() { return *model_; }
        const Dataset& train_data() const { return train_; }
        const Dataset& val_data() const { return val_; }
        std::uint64_t step() const { return step_; }
        std::size_t epoch() const { return batcher_->epoch(); }

        // One optimizer step on the next batch; returns the batch loss (non-finite: no update).
        double train_step(double* grad_norm = nullptr, MonitorReport* monitor = nullptr);
        void save(const std::string& path) const;
        // The command named in progress lines and in the resume hint ("xrnn-seq" unless set).
        void set_program(std::string name) { program_ = std::move(name); }

        // The whole loop; progress lines to `progress`, <out>/metrics.jsonl, <out>/last.ckpt and
        // <out>/best.ckpt (lowest validation loss). Returns 0 when done, 130 when `stop` was
        // raised (after saving), 3 when the loss became non-finite.
        int run(std::ostream& progress, const std::atomic<bool>& stop);

    private:
        void check_memory() const; // seq_memory.hpp, before the model is built
        SeqTrainer() = default;
        void setup_data();
        void augment(); // x_ in place, see feature_noise / time_masks
        void use(Communicator* comm); // before the first step
        void check_same_run() const;

        SeqTrainConfig config_;
        Dataset train_, val_;
        Standardizer standardizer_;
        std::unique_ptr<SeqModel<float>> model_;
        std::unique_ptr<Optimizer<float>> opt_;
        std::unique_ptr<Batcher> batcher_;
        Tensor3<float> x_;
        std::vector<std::size_t> lengths_;
        std::uint64_t data_hash_ = 0;
        std::uint64_t step_ = 0;
        std::size_t last_batch_ = 0; // sequences in the last step's batch
        double elapsed_ = 0;
        double best_val_ = -1; // < 0: none yet
        std::size_t best_epoch_ = 0;
        GradMonitor monitor_;
        std::string program_ = "xrnn-seq";
        Communicator single_;
        Communicator* comm_ = &single_;
        std::vector<float> fused_; // with ranks: weighted gradients, loss, weight
    };
}

#endif
