// xrnn/charlm/char_model.hpp -- a character-level language model: embedding -> stacked RNN/GRU/LSTM ->
// (dropout) -> linear head -> softmax cross-entropy, trained with truncated BPTT (the hidden
// state is carried from one chunk of each stream to the next).
//
// Parameter names follow PyTorch: embedding.weight (V, E), rnn.weight_ih_l0 ..., head.weight
// (V, H), head.bias (V). Initialisation: embedding N(0, 1) (nn.Embedding), head
// U(+-1/sqrt(H)) (nn.Linear), the recurrent stack as given by InitConfig.
#ifndef XRNN_CHARLM_CHAR_MODEL_HPP
#define XRNN_CHARLM_CHAR_MODEL_HPP

#include "xrnn/bptt.hpp"
#include "xrnn/params.hpp"
#include "xrnn/random.hpp"
#include "xrnn/tensor.hpp"

#include <cstdint>
#include <vector>

namespace xrnn
{
    struct CharModelConfig
    {
        std::size_t vocab_size = 0;
        std::size_t embed_size = 64;
        RecurrentConfig rnn;  // rnn.input_size is set to embed_size
        double dropout = 0.0; // between recurrent layers and on the head's input, in training
        // DropConnect on every layer's weight_hh in training, handed to the stack
        // (RecurrentConfig::weight_drop): one mask per chunk, shared by all steps and streams.
        double weight_drop = 0.0;
    };

    template <class T>
    class CharModel
    {
    public:
        CharModel(const CharModelConfig& config, const InitConfig& init);

        const CharModelConfig& config() const { return config_; }
        Recurrent<T>& rnn() { return rnn_; }
        const Recurrent<T>& rnn() const { return rnn_; }
        ParamSet<T>& own_params() { return own_; } // embedding and head
        // All parameters: embedding + head, then the recurrent stack.
        std::vector<ParamSpan<T>> spans();
        std::size_t num_parameters() const { return own_.size() + rnn_.params().size(); }
        void zero_grad();

        void set_training(bool training);
        bool training() const { return training_; }
        Rng& dropout_rng() { return dropout_rng_; }

        // One chunk x, y (T, B) time-major: forward from the carried state, mean cross-entropy
        // (nats/token), and, when `backward`, the gradients (added; zero_grad() is the caller's).
        double forward(const std::int32_t* x, const std::int32_t* y, std::size_t steps,
                       std::size_t batch, bool backward);
        void reset_state() { rnn_.reset_state(); }

        // Sampling: feeds one token (batch 1) and returns the next-token logits (V).
        // `table` (optional) is input_table(): layer 0's input product becomes a row lookup.
        const T* step_logits(std::int32_t token, const Tensor2<T>* table = nullptr);
        // Layer 0's input projection of every token, embedding W_ih^T: (V, gates * H). One row
        // read per sampled char instead of a (gates * H) x embed_size product over W_ih
        // (0.5 MB at H = 512), ~10% of sampling's time. Stale once the parameters change.
        Tensor2<T> input_table() const;

    private:
        CharModelConfig config_;
        ParamSet<T> own_;
        Recurrent<T> rnn_;
        Rng dropout_rng_;
        bool training_ = true;
        Tensor3<T> emb_, dx_, dy_;            // (T, B, E), (T, B, E), (T, B, H)
        Tensor2<T> head_in_, mask_, logits_;  // (T*B, H), (T*B, H), (T*B, V)
        std::vector<std::int32_t> one_;       // sampling scratch
    };
}

#endif
