// charlm/src/char_model.cpp -- see char_model.hpp.
#include "xrnn/charlm/char_model.hpp"

#include "xrnn/blas.hpp"
#include "xrnn/check.hpp"
#include "xrnn/dropout.hpp"
#include "xrnn/embedding.hpp"
#include "xrnn/init.hpp"
#include "xrnn/linear.hpp"
#include "xrnn/softmax_xent.hpp"

#include <cmath>

namespace xrnn
{
    namespace
    {
        RecurrentConfig stack_config(const CharModelConfig& c)
        {
            XRNN_CHECK(c.vocab_size > 0, "vocab_size must be > 0");
            XRNN_CHECK(c.embed_size > 0, "embed_size must be > 0");
            XRNN_CHECK(c.dropout >= 0 && c.dropout < 1, "dropout must be in [0, 1), got " + std::to_string(c.dropout));
            RecurrentConfig r = c.rnn;
            r.input_size = c.embed_size;
            r.dropout = c.dropout;
            r.weight_drop = c.weight_drop; // the stack masks weight_hh (bptt.hpp)
            return r;
        }
    }

    template <class T>
    CharModel<T>::CharModel(const CharModelConfig& config, const InitConfig& init)
        : config_(config), rnn_(stack_config(config), init)
    {
        config_.rnn = rnn_.config();
        const std::size_t V = config.vocab_size, E = config.embed_size, H = config.rnn.hidden_size;
        own_.add("embedding.weight", {V, E});
        own_.add("head.weight", {V, H});
        own_.add("head.bias", {V});
        Rng rng(init.seed ^ 0xC4A2C4A2ull);
        T* emb = own_.value(0);
        for (std::size_t i = 0; i < V * E; ++i)
            emb[i] = static_cast<T>(rng.normal());
        const double bound = 1.0 / std::sqrt(static_cast<double>(H));
        init::uniform(own_.value(1), V * H, bound, rng);
        init::uniform(own_.value(2), V, bound, rng);
        dropout_rng_.reseed(init.seed ^ 0x4EAD4EADull);
    }

    template <class T>
    std::vector<ParamSpan<T>> CharModel<T>::spans()
    {
        return {own_.span(), rnn_.params().span()};
    }

    template <class T>
    void CharModel<T>::zero_grad()
    {
        own_.zero_grad();
        rnn_.params().zero_grad();
    }

    template <class T>
    void CharModel<T>::set_training(bool training)
    {
        training_ = training;
        rnn_.set_training(training);
    }

    template <class T>
    double CharModel<T>::forward(const std::int32_t* x, const std::int32_t* y, std::size_t S,
                                 std::size_t B, bool backward)
    {
        const std::size_t V = config_.vocab_size, E = config_.embed_size, H = config_.rnn.hidden_size;
        const std::size_t N = S * B;
        for (std::size_t i = 0; i < N; ++i)
            XRNN_CHECK(x[i] >= 0 && std::size_t(x[i]) < V && y[i] >= 0 && std::size_t(y[i]) < V,
                       "token id out of range for a vocabulary of " + std::to_string(V));
        ensure_shape(emb_, std::array<std::size_t, 3>{S, B, E});
        ensure_shape(logits_, std::array<std::size_t, 2>{N, V});
        embedding_forward(emb_.data(), own_.value(0), x, N, E);
        rnn_.forward_stateful(emb_);
        const T* out = rnn_.output_data(); // (T*B, H)
        const bool drop = training_ && config_.dropout > 0;
        if (drop)
        {
            ensure_shape(head_in_, std::array<std::size_t, 2>{N, H});
            ensure_shape(mask_, std::array<std::size_t, 2>{N, H});
            dropout_forward(head_in_.data(), mask_.data(), out, N * H, config_.dropout, dropout_rng_);
            out = head_in_.data();
        }
        linear_forward(logits_.data(), out, own_.value(1), own_.value(2), N, H, V);
        // the loss gradient overwrites the logits in place: they are not needed afterwards
        const double loss = softmax_xent(backward ? logits_.data() : static_cast<T*>(nullptr), logits_.data(), y, N, V);
        if (!backward)
            return loss;

        ensure_shape(dy_, std::array<std::size_t, 3>{S, B, H});
        linear_backward(dy_.data(), own_.grad(1), own_.grad(2), logits_.data(), out, own_.value(1), N, H, V);
        if (drop)
            dropout_backward(dy_.data(), dy_.data(), mask_.data(), N * H);
        rnn_.backward_stateful(dy_, &dx_);
        embedding_backward(own_.grad(0), dx_.data(), x, N, E);
        return loss;
    }

    template <class T>
    Tensor2<T> CharModel<T>::input_table() const
    {
        const std::size_t V = config_.vocab_size, E = config_.embed_size;
        const std::size_t G = gate_count(config_.rnn.cell) * config_.rnn.hidden_size;
        Tensor2<T> table = Tensor2<T>::from_shape({V, G});
        // weight_ih_l0 is the first tensor of the stack, (G, E)
        blas::gemm<T>(false, true, V, G, E, T(1), own_.value(0), E, rnn_.params().value(0), E, T(0),
                      table.data(), G);
        return table;
    }

    template <class T>
    const T* CharModel<T>::step_logits(std::int32_t token, const Tensor2<T>* table)
    {
        const std::size_t V = config_.vocab_size, E = config_.embed_size, H = config_.rnn.hidden_size;
        XRNN_CHECK(token >= 0 && std::size_t(token) < V, "token id out of range");
        ensure_shape(emb_, std::array<std::size_t, 3>{1, 1, E});
        ensure_shape(logits_, std::array<std::size_t, 2>{1, V});
        embedding_forward(emb_.data(), own_.value(0), &token, 1, E);
        if (table)
        {
            XRNN_CHECK(table->dimension() == 2 && table->shape()[0] == V
                           && table->shape()[1] == gate_count(config_.rnn.cell) * H,
                       "sampling table must have one row per token (from input_table())");
            rnn_.forward_stateful_projected(emb_, table->data() + std::size_t(token) * table->shape()[1]);
        }
        else
            rnn_.forward_stateful(emb_);
        linear_forward(logits_.data(), rnn_.output_data(), own_.value(1), own_.value(2), 1, H, V);
        return logits_.data();
    }

    template class CharModel<float>;
    template class CharModel<double>;
}
