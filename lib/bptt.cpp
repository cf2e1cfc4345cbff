// lib/bptt.cpp -- the layer stack over time (see bptt.hpp).
#include "xrnn/bptt.hpp"

#include "xrnn/check.hpp"
#include "xrnn/dropout.hpp"
#include "kernels.hpp"

#include <cmath>

namespace xrnn
{
    CellKind cell_from_name(std::string_view name)
    {
        if (name == "rnn")
            return CellKind::rnn;
        if (name == "gru")
            return CellKind::gru;
        if (name == "lstm")
            return CellKind::lstm;
        detail::fail("unknown cell '" + std::string(name) + "'; valid cells: rnn, gru, lstm");
    }

    std::string cell_name(CellKind k)
    {
        return k == CellKind::rnn ? "rnn" : (k == CellKind::gru ? "gru" : "lstm");
    }

    template <class T>
    Recurrent<T>::Recurrent(const RecurrentConfig& config, const InitConfig& init) : config_(config)
    {
        XRNN_CHECK(config.input_size > 0, "input_size must be > 0, got 0");
        XRNN_CHECK(config.hidden_size > 0, "hidden_size must be > 0, got 0");
        XRNN_CHECK(config.num_layers > 0, "num_layers must be > 0, got 0");
        XRNN_CHECK(config.dropout >= 0.0 && config.dropout < 1.0,
                   "dropout must be in [0, 1), got " + std::to_string(config.dropout));
        const std::size_t H = config.hidden_size, G = gate_count(config.cell) * H;
        for (std::size_t l = 0; l < config.num_layers; ++l)
        {
            const std::string k = std::to_string(l);
            params_.add("weight_ih_l" + k, {G, l == 0 ? config.input_size : H});
            params_.add("weight_hh_l" + k, {G, H});
            params_.add("bias_ih_l" + k, {G});
            params_.add("bias_hh_l" + k, {G});
        }
        rnn_.resize(config.cell == CellKind::rnn ? config.num_layers : 0);
        gru_.resize(config.cell == CellKind::gru ? config.num_layers : 0);
        lstm_.resize(config.cell == CellKind::lstm ? config.num_layers : 0);
        dropped_.resize(config.num_layers - 1);
        mask_.resize(config.num_layers - 1);
        initialize(init);
    }

    template <class T>
    void Recurrent<T>::initialize(const InitConfig& init)
    {
        const std::size_t H = config_.hidden_size, Gc = gate_count(config_.cell);
        XRNN_CHECK(std::isfinite(init.recurrent_gain),
                   "recurrent_gain must be finite, got " + std::to_string(init.recurrent_gain));
        XRNN_CHECK(!init.forget_bias || config_.cell == CellKind::lstm,
                   "forget_bias applies to lstm cells only, not " + cell_name(config_.cell));
        Rng rng(init.seed);
        dropout_rng_.reseed(init.seed ^ 0xD50F0D50F0ull);
        const double bound = 1.0 / std::sqrt(static_cast<double>(H));
        for (std::size_t i = 0; i < params_.count(); ++i)
            init::uniform(params_.value(i), params_.table()[i].size, bound, rng);
        for (std::size_t l = 0; l < config_.num_layers; ++l)
        {
            T* w_hh = params_.value(4 * l + 1);
            for (std::size_t g = 0; g < Gc; ++g)
            {
                if (init.recurrent == RecurrentInit::orthogonal)
                    init::orthogonal(w_hh + g * H * H, H, init.recurrent_gain, rng);
                else if (init.recurrent == RecurrentInit::identity)
                    init::identity(w_hh + g * H * H, H, init.recurrent_gain);
            }
            if (init.recurrent == RecurrentInit::identity)
                for (std::size_t k : {std::size_t(2), std::size_t(3)})
                    std::fill(params_.value(4 * l + k), params_.value(4 * l + k) + Gc * H, T(0));
            if (init.forget_bias)
            {
                std::fill(params_.value(4 * l + 2) + H, params_.value(4 * l + 2) + 2 * H,
                          static_cast<T>(*init.forget_bias));
                std::fill(params_.value(4 * l + 3) + H, params_.value(4 * l + 3) + 2 * H, T(0));
            }
        }
        params_.zero_grad();
    }

    template <class T>
    LayerParams<T> Recurrent<T>::layer_params(std::size_t l) const
    {
        return {params_.value(4 * l), params_.value(4 * l + 1), params_.value(4 * l + 2),
                params_.value(4 * l + 3)};
    }

    template <class T>
    LayerGrads<T> Recurrent<T>::layer_grads(std::size_t l)
    {
        return {params_.grad(4 * l), params_.grad(4 * l + 1), params_.grad(4 * l + 2),
                params_.grad(4 * l + 3)};
    }

    template <class T>
    const T* Recurrent<T>::output_data() const
    {
        XRNN_CHECK(steps_ > 0, "no forward pass has run yet");
        const std::size_t top = config_.num_layers - 1, BH = batch_ * config_.hidden_size;
        switch (config_.cell)
        {
        case CellKind::rnn: return rnn_[top].h.data() + BH;
        case CellKind::gru: return gru_[top].h.data() + BH;
        case CellKind::lstm: break;
        }
        return lstm_[top].h.data() + BH;
    }

    template <class T>
    void Recurrent<T>::check_state(const RecurrentState<T>& s, std::size_t batch, const char* what) const
    {
        const std::array<std::size_t, 3> want{config_.num_layers, batch, config_.hidden_size};
        auto ok = [&](const Tensor3<T>& t) {
            return t.size() == 0 || std::equal(want.begin(), want.end(), t.shape().begin());
        };
        XRNN_CHECK(ok(s.h), std::string(what) + ".h has shape " + detail::shape_str(s.h.shape())
                                + "; expected (num_layers, batch, hidden_size) = "
                                + detail::shape_str(want) + " or empty for zeros");
        XRNN_CHECK(config_.cell == CellKind::lstm || s.c.size() == 0,
                   std::string(what) + ".c is given but only lstm cells have a cell state");
        XRNN_CHECK(ok(s.c), std::string(what) + ".c has shape " + detail::shape_str(s.c.shape())
                                + "; expected (num_layers, batch, hidden_size) = "
                                + detail::shape_str(want) + " or empty for zeros");
    }

    template <class T>
    void Recurrent<T>::forward_impl(const Tensor3<T>& x, const T* h0, const T* c0, const T* x_proj)
    {
        XRNN_CHECK(x.dimension() == 3 && x.shape()[0] > 0 && x.shape()[1] > 0,
                   "input must be (seq_len, batch, input_size) with seq_len, batch > 0; got "
                       + detail::shape_str(x.shape()));
        XRNN_CHECK(x.shape()[2] == config_.input_size,
                   "input has " + std::to_string(x.shape()[2]) + " features per step (shape "
                       + detail::shape_str(x.shape()) + ") but the model's input_size is "
                       + std::to_string(config_.input_size));
        const std::size_t S = x.shape()[0], B = x.shape()[1], H = config_.hidden_size;
        ensure_shape(input_, x.shape());
        std::copy(x.begin(), x.end(), input_.begin());
        steps_ = S;
        batch_ = B;
        dropout_active_ = training_ && config_.dropout > 0.0;
        const T* in = input_.data();
        for (std::size_t l = 0; l < config_.num_layers; ++l)
        {
            if (l > 0 && dropout_active_)
            {
                ensure_shape(dropped_[l - 1], std::array<std::size_t, 3>{S, B, H});
                ensure_shape(mask_[l - 1], std::array<std::size_t, 3>{S, B, H});
                dropout_forward(dropped_[l - 1].data(), mask_[l - 1].data(), in, S * B * H,
                                config_.dropout, dropout_rng_);
                in = dropped_[l - 1].data();
            }
            const LayerDims d{S, B, l == 0 ? config_.input_size : H, H};
            const T* hl = h0 ? h0 + l * B * H : nullptr;
            const T* cl = c0 ? c0 + l * B * H : nullptr;
            const T* proj = l == 0 ? x_proj : nullptr;
            switch (config_.cell)
            {
            case CellKind::rnn:
                rnn_forward(rnn_[l], layer_params(l), in, hl, d, config_.activation, keep_pre_, proj);
                in = rnn_[l].h.data() + B * H;
                break;
            case CellKind::gru:
                gru_forward(gru_[l], layer_params(l), in, hl, d, config_.activation,
                            config_.recurrent_activation, keep_pre_, proj);
                in = gru_[l].h.data() + B * H;
                break;
            case CellKind::lstm:
                lstm_forward(lstm_[l], layer_params(l), in, hl, cl, d, config_.activation,
                             config_.recurrent_activation, keep_pre_, proj);
                in = lstm_[l].h.data() + B * H;
                break;
            }
        }
    }

    template <class T>
    void Recurrent<T>::write_final_state(RecurrentState<T>& s) const
    {
        const std::size_t L = config_.num_layers, B = batch_, H = config_.hidden_size, BH = B * H;
        ensure_shape(s.h, std::array<std::size_t, 3>{L, B, H});
        ensure_shape(s.c, std::array<std::size_t, 3>{config_.cell == CellKind::lstm ? L : 0, B, H});
        for (std::size_t l = 0; l < L; ++l)
        {
            const T* h = config_.cell == CellKind::rnn   ? rnn_[l].h.data()
                         : config_.cell == CellKind::gru ? gru_[l].h.data()
                                                         : lstm_[l].h.data();
            std::copy(h + steps_ * BH, h + (steps_ + 1) * BH, s.h.data() + l * BH);
            if (config_.cell == CellKind::lstm)
            {
                const T* c = lstm_[l].c.data();
                std::copy(c + steps_ * BH, c + (steps_ + 1) * BH, s.c.data() + l * BH);
            }
        }
    }

    template <class T>
    void Recurrent<T>::forward(const Tensor3<T>& x, const RecurrentState<T>& s0, Tensor3<T>& y,
                               RecurrentState<T>& sT)
    {
        XRNN_CHECK(x.dimension() == 3, "input must be 3-D (seq_len, batch, input_size)");
        check_state(s0, x.shape()[1], "initial state");
        forward_impl(x, s0.h.size() ? s0.h.data() : nullptr, s0.c.size() ? s0.c.data() : nullptr);
        const T* out = output_data();
        ensure_shape(y, std::array<std::size_t, 3>{steps_, batch_, config_.hidden_size});
        std::copy(out, out + y.size(), y.data());
        write_final_state(sT);
    }

    template <class T>
    void Recurrent<T>::backward_impl(const T* dy, const T* dhT, const T* dcT, T* dx, T* dh0, T* dc0)
    {
        const std::size_t L = config_.num_layers, S = steps_, B = batch_, H = config_.hidden_size;
        const std::size_t BH = B * H;
        for (std::size_t l = 1; l < L; ++l) // only the buffers in use: one for 2 layers
            ensure_shape(dbuf_[l % 2], std::array<std::size_t, 3>{S, B, H});
        const T* dyl = dy;
        traces_.resize(trace_on_ ? L : 0);
        for (std::size_t l = L; l-- > 0;)
        {
            FlowTrace* trace = trace_on_ ? &traces_[l] : nullptr;
            T* dxl = l == 0 ? dx : dbuf_[l % 2].data();
            const T* dhl = dhT ? dhT + l * BH : nullptr;
            const T* dcl = dcT ? dcT + l * BH : nullptr;
            T* dh0l = dh0 ? dh0 + l * BH : nullptr;
            T* dc0l = dc0 ? dc0 + l * BH : nullptr;
            switch (config_.cell)
            {
            case CellKind::rnn:
                rnn_[l].trace = trace;
                rnn_backward(layer_grads(l), dxl, dh0l, dyl, dhl, rnn_[l], layer_params(l));
                break;
            case CellKind::gru:
                gru_[l].trace = trace;
                gru_backward(layer_grads(l), dxl, dh0l, dyl, dhl, gru_[l], layer_params(l));
                break;
            case CellKind::lstm:
                lstm_[l].trace = trace;
                lstm_backward(layer_grads(l), dxl, dh0l, dc0l, dyl, dhl, dcl, lstm_[l], layer_params(l));
                break;
            }
            if (l > 0 && dropout_active_) // gradient w.r.t. the dropped outputs -> the outputs
                dropout_backward(dxl, dxl, mask_[l - 1].data(), S * BH);
            dyl = dxl;
        }
    }

    template <class T>
    void Recurrent<T>::backward(const Tensor3<T>& dy, const RecurrentState<T>& dsT, Tensor3<T>& dx,
                                RecurrentState<T>& ds0)
    {
        XRNN_CHECK(steps_ > 0, "backward called before any forward");
        const std::array<std::size_t, 3> want{steps_, batch_, config_.hidden_size};
        XRNN_CHECK(dy.dimension() == 3 && std::equal(want.begin(), want.end(), dy.shape().begin()),
                   "dy has shape " + detail::shape_str(dy.shape())
                       + " but the last forward produced outputs of shape " + detail::shape_str(want));
        check_state(dsT, batch_, "final-state gradient");
        ensure_shape(dx, std::array<std::size_t, 3>{steps_, batch_, config_.input_size});
        const std::size_t L = config_.num_layers, H = config_.hidden_size;
        ensure_shape(ds0.h, std::array<std::size_t, 3>{L, batch_, H});
        ensure_shape(ds0.c, std::array<std::size_t, 3>{config_.cell == CellKind::lstm ? L : 0, batch_, H});
        backward_impl(dy.data(), dsT.h.size() ? dsT.h.data() : nullptr,
                      dsT.c.size() ? dsT.c.data() : nullptr, dx.data(), ds0.h.data(),
                      ds0.c.size() ? ds0.c.data() : nullptr);
    }

    template <class T>
    void Recurrent<T>::forward_stateful(const Tensor3<T>& x, Tensor3<T>& y)
    {
        forward_stateful(x);
        const T* out = output_data();
        ensure_shape(y, std::array<std::size_t, 3>{steps_, batch_, config_.hidden_size});
        std::copy(out, out + y.size(), y.data());
    }

    template <class T>
    void Recurrent<T>::forward_stateful(const Tensor3<T>& x)
    {
        forward_stateful_projected(x, nullptr);
    }

    template <class T>
    void Recurrent<T>::forward_stateful_projected(const Tensor3<T>& x, const T* x_proj)
    {
        XRNN_CHECK(x.dimension() == 3, "input must be 3-D (seq_len, batch, input_size)");
        if (carried_.h.size() > 0)
            XRNN_CHECK(carried_.h.shape()[1] == x.shape()[1],
                       "batch size changed from " + std::to_string(carried_.h.shape()[1]) + " to "
                           + std::to_string(x.shape()[1])
                           + " between stateful chunks; call reset_state() first");
        forward_impl(x, carried_.h.size() ? carried_.h.data() : nullptr,
                     carried_.c.size() ? carried_.c.data() : nullptr, x_proj);
        write_final_state(carried_); // the caches hold their own copy of the initial state
    }

    template <class T>
    void Recurrent<T>::set_carried_state(const RecurrentState<T>& s)
    {
        if (s.h.size() == 0)
        {
            reset_state();
            return;
        }
        check_state(s, s.h.shape()[1], "carried state");
        carried_ = s;
    }

    template <class T>
    void Recurrent<T>::backward_stateful(const Tensor3<T>& dy, Tensor3<T>* dx)
    {
        XRNN_CHECK(steps_ > 0, "backward called before any forward");
        const std::array<std::size_t, 3> want{steps_, batch_, config_.hidden_size};
        XRNN_CHECK(dy.dimension() == 3 && std::equal(want.begin(), want.end(), dy.shape().begin()),
                   "dy has shape " + detail::shape_str(dy.shape())
                       + " but the last forward produced outputs of shape " + detail::shape_str(want));
        if (dx)
            ensure_shape(*dx, std::array<std::size_t, 3>{steps_, batch_, config_.input_size});
        backward_impl(dy.data(), nullptr, nullptr, dx ? dx->data() : nullptr, nullptr, nullptr);
    }

    template <class T>
    void Recurrent<T>::reset_state()
    {
        carried_ = RecurrentState<T>{};
    }

    template class Recurrent<float>;
    template class Recurrent<double>;
}
