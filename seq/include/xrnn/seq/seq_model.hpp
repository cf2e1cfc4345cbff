// xrnn/seq/seq_model.hpp -- the generic sequence model: an optional input layer (linear
// projection or token embedding), a Recurrent stack (any cell, activations, bidirectional, with
// per-sequence lengths), and a head:
//   classify: pool (last | mean | max) -> linear -> softmax cross-entropy  (many-to-one)
//   regress:  pool -> linear -> MSE                                        (many-to-one)
//   tag:      linear per step -> softmax cross-entropy over the valid steps (many-to-many)
//   ctc:      linear per step -> CTC loss (xrnn/ctc.hpp; blank = class 0, reduction mean) against
//             an unaligned label sequence per sequence
// Forward and backward side by side over explicit buffers (llm.c style); the parameters are
// the model's own (input.*, embedding.weight, head.*) and the stack's (rnn.*), which is how a
// checkpoint names them (seq_checkpoint.hpp).
#ifndef XRNN_SEQ_SEQ_MODEL_HPP
#define XRNN_SEQ_SEQ_MODEL_HPP

#include "xrnn/bptt.hpp"
#include "xrnn/params.hpp"
#include "xrnn/seq/dataset.hpp"
#include "xrnn/sequence_pool.hpp"
#include "xrnn/tensor.hpp"

#include <cstdint>
#include <string>
#include <vector>

namespace xrnn::seq
{
    enum class InputLayer
    {
        none,      // the stack reads the features
        linear,    // x W^T + b to input_size features per step
        embedding, // the single feature per step is a token id in 0..vocab-1, looked up
    };
    InputLayer input_layer_from_name(const std::string& name); // invalid_argument listing the valid ones
    const char* input_layer_name(InputLayer k);

    struct SeqModelConfig
    {
        Task task = Task::classify;
        std::size_t features = 0; // per step of the data (embedding: 1)
        std::size_t outputs = 0;  // classes (classify, tag; ctc: labels + 1, the blank is 0) or targets per sequence (regress)
        InputLayer input = InputLayer::none;
        std::size_t input_size = 0; // linear: its output size; embedding: its dimension
        std::size_t vocab = 0;      // embedding: token ids 0..vocab-1
        PoolKind pool = PoolKind::last; // classify, regress
        RecurrentConfig rnn;        // rnn.input_size is set from the input layer
        // ctc: a sequence whose labels need more frames than it has gets loss 0 and no gradient
        // (PyTorch's zero_infinity); false: that is an error naming the sequence
        bool zero_infinity = false;
    };

    // What one batch is scored against. classify: labels (B); regress: targets (B, outputs);
    // tag: tags (T, B) time-major, padded steps ignored (any value); ctc: labels holds every
    // sequence's labels concatenated (classes 1..outputs-1), label_lengths (B) how many each has.
    struct BatchTargets
    {
        std::vector<std::int32_t> labels;
        std::vector<float> values;
        std::vector<std::int32_t> label_lengths; // ctc only
    };

    template <class T>
    class SeqModel
    {
    public:
        SeqModel(const SeqModelConfig& config, const InitConfig& init);

        const SeqModelConfig& config() const { return config_; }
        Recurrent<T>& rnn() { return rnn_; }
        const Recurrent<T>& rnn() const { return rnn_; }
        ParamSet<T>& own_params() { return own_; }
        const ParamSet<T>& own_params() const { return own_; }
        std::vector<ParamSpan<T>> spans();
        std::size_t num_parameters() const { return own_.size() + rnn_.params().size(); }
        void zero_grad();
        void set_training(bool training) { rnn_.set_training(training); }

        // x (T, B, features), lengths (B; empty: all T). Returns the mean loss and keeps what
        // backward needs; outputs() then holds the head's outputs: classify/tag/ctc logits (B, C)
        // or (T*B, C) time-major, regress predictions (B, outputs). `targets` null: outputs only,
        // loss 0. ctc: the loss is the mean over the batch of -log p(labels | x) / label count.
        double forward(const Tensor3<T>& x, const std::vector<std::size_t>& lengths, const BatchTargets* targets);
        // Accumulates the gradient of the last forward's loss into every parameter.
        void backward();

        const std::vector<T>& outputs() const { return out_; }
        bool per_step() const { return config_.task == Task::tag || config_.task == Task::ctc; }
        std::size_t output_rows() const { return per_step() ? steps_ * batch_ : batch_; }

    private:
        SeqModelConfig config_;
        ParamSet<T> own_;
        Recurrent<T> rnn_;
        std::size_t steps_ = 0, batch_ = 0;
        std::vector<std::size_t> lengths_;
        Tensor3<T> x_, xin_, y_, dy_, dxin_; // (T, B, F) linear input only, (T, B, E), (T, B, D*H) x2, (T, B, E)
        std::vector<T> pooled_, dpooled_;  // (B, D*H)
        std::vector<std::size_t> argmax_;  // (B, D*H), max pool
        std::vector<std::int32_t> tokens_, targets_; // embedding ids (T*B); class targets (rows; ctc: labels)
        std::vector<std::int32_t> ctc_frames_;       // ctc: input lengths (B)
        std::vector<T> out_, dout_;        // (rows, C)
        std::vector<T> values_;            // regress targets (B, C)
    };

    extern template class SeqModel<float>;
    extern template class SeqModel<double>;
}

#endif
