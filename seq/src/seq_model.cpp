// seq/src/seq_model.cpp -- see seq_model.hpp.
#include "xrnn/seq/seq_model.hpp"

#include "xrnn/check.hpp"
#include "xrnn/ctc.hpp"
#include "xrnn/embedding.hpp"
#include "xrnn/init.hpp"
#include "xrnn/linear.hpp"
#include "xrnn/mse.hpp"
#include "xrnn/softmax_xent.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xrnn::seq
{
    InputLayer input_layer_from_name(const std::string& name)
    {
        if (name == "none")
            return InputLayer::none;
        if (name == "linear")
            return InputLayer::linear;
        if (name == "embedding")
            return InputLayer::embedding;
        throw std::invalid_argument("unknown input layer '" + name + "' (valid: none, linear, embedding)");
    }

    const char* input_layer_name(InputLayer k)
    {
        switch (k)
        {
        case InputLayer::none:
            return "none";
        case InputLayer::linear:
            return "linear";
        case InputLayer::embedding:
            return "embedding";
        }
        return "?";
    }

    namespace
    {
        RecurrentConfig stack_config(const SeqModelConfig& c)
        {
            XRNN_CHECK(c.features > 0, "features must be > 0");
            XRNN_CHECK(c.outputs > 0, "outputs must be > 0 (classes, or targets per sequence)");
            XRNN_CHECK(c.task == Task::regress || c.outputs >= 2,
                       "a " + std::string(task_name(c.task)) + " model needs at least 2 classes, got "
                           + std::to_string(c.outputs));
            XRNN_CHECK(c.input == InputLayer::none || c.input_size > 0,
                       std::string("a ") + input_layer_name(c.input) + " input layer needs input_size > 0");
            XRNN_CHECK(c.input != InputLayer::embedding || (c.vocab > 0 && c.features == 1),
                       "an embedding input needs vocab > 0 and one feature per step (the token id), got vocab "
                           + std::to_string(c.vocab) + " and " + std::to_string(c.features) + " features");
            RecurrentConfig r = c.rnn;
            r.input_size = c.input == InputLayer::none ? c.features : c.input_size;
            return r;
        }
    }

    template <class T>
    SeqModel<T>::SeqModel(const SeqModelConfig& config, const InitConfig& init)
        : config_(config), rnn_(stack_config(config), init)
    {
        config_.rnn = rnn_.config();
        const std::size_t F = config.features, E = config.input_size, C = config.outputs;
        const std::size_t R = rnn_.output_size();
        Rng rng(init.seed ^ 0x5E9A5E9Aull);
        // PyTorch's defaults: nn.Linear U(-1/sqrt(in), 1/sqrt(in)), nn.Embedding N(0, 1)
        if (config.input == InputLayer::linear)
        {
            own_.add("input.weight", {E, F});
            own_.add("input.bias", {E});
            init::uniform(own_.value(0), E * F, 1.0 / std::sqrt(double(F)), rng);
            init::uniform(own_.value(1), E, 1.0 / std::sqrt(double(F)), rng);
        }
        else if (config.input == InputLayer::embedding)
        {
            own_.add("embedding.weight", {config.vocab, E});
            T* w = own_.value(0);
            for (std::size_t i = 0; i < config.vocab * E; ++i)
                w[i] = static_cast<T>(rng.normal());
        }
        const std::size_t hw = own_.add("head.weight", {C, R}), hb = own_.add("head.bias", {C});
        init::uniform(own_.value(hw), C * R, 1.0 / std::sqrt(double(R)), rng);
        init::uniform(own_.value(hb), C, 1.0 / std::sqrt(double(R)), rng);
    }

    template <class T>
    std::vector<ParamSpan<T>> SeqModel<T>::spans()
    {
        return {own_.span(), rnn_.params().span()};
    }

    template <class T>
    void SeqModel<T>::zero_grad()
    {
        own_.zero_grad();
        rnn_.params().zero_grad();
    }

    template <class T>
    double SeqModel<T>::forward(const Tensor3<T>& x, const std::vector<std::size_t>& lengths,
                                const BatchTargets* targets)
    {
        const SeqModelConfig& c = config_;
        XRNN_CHECK(x.dimension() == 3 && x.shape()[2] == c.features,
                   "input has shape " + detail::shape_str(x.shape()) + "; expected (steps, batch, "
                       + std::to_string(c.features) + ")");
        const std::size_t S = x.shape()[0], B = x.shape()[1], C = c.outputs, R = rnn_.output_size();
        const std::size_t H = c.rnn.hidden_size, D = rnn_.directions();
        steps_ = S;
        batch_ = B;
        lengths_ = lengths;
        const std::size_t* len = lengths.empty() ? nullptr : lengths.data();

        // ---- input layer
        const Tensor3<T>* in = &x;
        if (c.input == InputLayer::linear)
        {
            x_ = x; // for the weight gradient; callers may reuse theirs
            ensure_shape(xin_, std::array<std::size_t, 3>{S, B, c.input_size});
            linear_forward(xin_.data(), x.data(), own_.value(0), own_.value(1), S * B, c.features, c.input_size);
            in = &xin_;
        }
        else if (c.input == InputLayer::embedding)
        {
            tokens_.resize(S * B);
            for (std::size_t i = 0; i < S * B; ++i)
            {
                const T v = x.data()[i];
                const bool padded = len && i / B >= len[i % B];
                XRNN_CHECK(padded || (v >= 0 && v < T(c.vocab) && v == std::floor(v)),
                           "token id " + std::to_string(double(v)) + " at step " + std::to_string(i / B)
                               + ", sequence " + std::to_string(i % B) + " is not an integer in 0.."
                               + std::to_string(c.vocab - 1));
                tokens_[i] = padded ? 0 : static_cast<std::int32_t>(v);
            }
            ensure_shape(xin_, std::array<std::size_t, 3>{S, B, c.input_size});
            embedding_forward(xin_.data(), own_.value(0), tokens_.data(), S * B, c.input_size);
            in = &xin_;
        }

        // ---- recurrent stack
        RecurrentState<T> sT;
        rnn_.forward(*in, {}, y_, sT, lengths);

        // ---- head
        const std::size_t hw = own_.index("head.weight"), hb = own_.index("head.bias");
        const std::size_t rows = output_rows();
        out_.resize(rows * C);
        if (per_step())
            linear_forward(out_.data(), y_.data(), own_.value(hw), own_.value(hb), rows, R, C);
        else
        {
            pooled_.resize(B * R);
            argmax_.resize(B * R);
            pool_forward(pooled_.data(), argmax_.data(), y_.data(), len, S, B, H, D, c.pool);
            linear_forward(out_.data(), pooled_.data(), own_.value(hw), own_.value(hb), rows, R, C);
        }
        if (!targets)
            return 0;

        // ---- loss
        dout_.resize(rows * C);
        if (c.task == Task::regress)
        {
            XRNN_CHECK(targets->values.size() == B * C, "regression targets: " + std::to_string(targets->values.size())
                                                            + " values for a batch needing " + std::to_string(B * C));
            values_.assign(targets->values.begin(), targets->values.end());
            return mse_loss(dout_.data(), out_.data(), values_.data(), rows, C);
        }
        if (c.task == Task::ctc)
        {
            XRNN_CHECK(targets->label_lengths.size() == B, "ctc targets: " + std::to_string(targets->label_lengths.size())
                                                                + " label lengths for a batch of " + std::to_string(B));
            targets_ = targets->labels;
            ctc_frames_.resize(B);
            for (std::size_t b = 0; b < B; ++b)
                ctc_frames_[b] = static_cast<std::int32_t>(len ? len[b] : S);
            CtcOptions opt;
            opt.blank = 0;
            opt.reduction = CtcReduction::mean;
            opt.zero_infinity = c.zero_infinity;
            return ctc_loss(dout_.data(), nullptr, out_.data(), targets_.data(), ctc_frames_.data(),
                            targets->label_lengths.data(), S, B, C, targets_.size(), opt);
        }
        XRNN_CHECK(targets->labels.size() == rows, "targets: " + std::to_string(targets->labels.size())
                                                       + " labels for a batch needing " + std::to_string(rows));
        targets_ = targets->labels;
        if (c.task == Task::tag && len)
            mask_padded_targets(targets_.data(), len, S, B);
        check_targets(targets_.data(), rows, C);
        if (c.task == Task::classify) // every sequence has a class: none may be ignored
            for (std::size_t b = 0; b < B; ++b)
                XRNN_CHECK(targets_[b] >= 0, "class label " + std::to_string(targets_[b]) + " of sequence "
                                                 + std::to_string(b) + " is outside 0.." + std::to_string(C - 1));
        return softmax_xent(dout_.data(), out_.data(), targets_.data(), rows, C);
    }

    template <class T>
    void SeqModel<T>::backward()
    {
        XRNN_CHECK(steps_ > 0 && dout_.size() == out_.size(), "backward needs a forward with targets first");
        const SeqModelConfig& c = config_;
        const std::size_t S = steps_, B = batch_, C = c.outputs, R = rnn_.output_size();
        const std::size_t H = c.rnn.hidden_size, D = rnn_.directions();
        const std::size_t* len = lengths_.empty() ? nullptr : lengths_.data();
        const std::size_t hw = own_.index("head.weight"), hb = own_.index("head.bias");
        ensure_shape(dy_, std::array<std::size_t, 3>{S, B, R});
        if (per_step()) // ctc: padded frames have zero dlogits
            linear_backward(dy_.data(), own_.grad(hw), own_.grad(hb), dout_.data(), y_.data(), own_.value(hw), S * B, R, C);
        else
        {
            dpooled_.resize(B * R);
            linear_backward(dpooled_.data(), own_.grad(hw), own_.grad(hb), dout_.data(), pooled_.data(),
                            own_.value(hw), B, R, C);
            std::fill(dy_.begin(), dy_.end(), T(0));
            pool_backward(dy_.data(), dpooled_.data(), argmax_.data(), len, S, B, H, D, c.pool);
        }
        RecurrentState<T> ds0;
        rnn_.backward(dy_, {}, dxin_, ds0);
        if (c.input == InputLayer::linear) // padded rows of dxin are zero: they add nothing
            linear_backward<T>(nullptr, own_.grad(0), own_.grad(1), dxin_.data(), x_.data(), own_.value(0), S * B,
                               c.features, c.input_size);
        else if (c.input == InputLayer::embedding)
            embedding_backward(own_.grad(0), dxin_.data(), tokens_.data(), S * B, c.input_size);
    }

    template class SeqModel<float>;
    template class SeqModel<double>;
}
