// lib/bptt.cpp -- the layer stack over time (see bptt.hpp).
#include "xrnn/bptt.hpp"

#include "xrnn/check.hpp"
#include "xrnn/dropout.hpp"
#include "kernels.hpp"
#include "cells/cell_ops.hpp"

#include <cmath>

namespace xrnn
{
    template <class T>
    Recurrent<T>::Recurrent(const RecurrentConfig& config, const InitConfig& init)
        : config_(config), traits_(&cell_traits(config.cell))
    {
        XRNN_CHECK(config.input_size > 0, "input_size must be > 0, got 0");
        XRNN_CHECK(config.hidden_size > 0, "hidden_size must be > 0, got 0");
        XRNN_CHECK(config.num_layers > 0, "num_layers must be > 0, got 0");
        XRNN_CHECK(config.dropout >= 0.0 && config.dropout < 1.0,
                   "dropout must be in [0, 1), got " + std::to_string(config.dropout));
        XRNN_CHECK(config.weight_drop >= 0.0 && config.weight_drop < 1.0,
                   "weight_drop must be in [0, 1), got " + std::to_string(config.weight_drop));
        const std::size_t H = config.hidden_size;
        tensor_ids_.resize(config.num_layers);
        for (std::size_t l = 0; l < config.num_layers; ++l)
            for (const CellTensor& t : traits_->tensors) // the cell's tensors, by name
            {
                const std::size_t rows = (t.blocks ? t.blocks : traits_->gates) * H;
                const std::size_t in = l == 0 ? config.input_size : H;
                std::vector<std::size_t> shape{rows};
                if (t.cols != CellTensor::Cols::none)
                    shape.push_back(t.cols == CellTensor::Cols::input ? in : H);
                tensor_ids_[l].push_back(params_.add(std::string(t.name) + "_l" + std::to_string(l), shape));
            }
        caches_.resize(config.num_layers);
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
        if (init.forget_bias && traits_->forget_block < 0)
        {
            std::string with;
            for (CellKind k : cell_kinds())
                if (cell_traits(k).forget_block >= 0)
                    with += (with.empty() ? "" : ", ") + cell_name(k);
            detail::fail("forget_bias applies to cells with a forget gate (" + with + "), not "
                         + traits_->name);
        }
        Rng rng(init.seed);
        dropout_rng_.reseed(init.seed ^ 0xD50F0D50F0ull);
        const double bound = 1.0 / std::sqrt(static_cast<double>(H));
        for (std::size_t i = 0; i < params_.count(); ++i)
            init::uniform(params_.value(i), params_.table()[i].size, bound, rng);
        for (std::size_t l = 0; l < config_.num_layers; ++l)
        {
            const auto& id = tensor_ids_[l]; // weight_ih, weight_hh, bias_ih, bias_hh first
            T* w_hh = params_.value(id[1]);
            for (std::size_t g = 0; g < Gc; ++g)
            {
                if (init.recurrent == RecurrentInit::orthogonal)
                    init::orthogonal(w_hh + g * H * H, H, init.recurrent_gain, rng);
                else if (init.recurrent == RecurrentInit::identity)
                    init::identity(w_hh + g * H * H, H, init.recurrent_gain);
            }
            if (init.recurrent == RecurrentInit::identity)
                for (std::size_t k : {std::size_t(2), std::size_t(3)})
                    std::fill(params_.value(id[k]), params_.value(id[k]) + Gc * H, T(0));
            if (init.forget_bias)
            {
                const std::size_t f = static_cast<std::size_t>(traits_->forget_block) * H;
                std::fill(params_.value(id[2]) + f, params_.value(id[2]) + f + H,
                          static_cast<T>(*init.forget_bias));
                std::fill(params_.value(id[3]) + f, params_.value(id[3]) + f + H, T(0));
            }
        }
        params_.zero_grad();
    }

    template <class T>
    LayerParams<T> Recurrent<T>::layer_params(std::size_t l) const
    {
        const auto& id = tensor_ids_[l];
        const T* w_hh = weight_drop_active_ ? w_dropped_[l].data() : params_.value(id[1]);
        return {params_.value(id[0]), w_hh, params_.value(id[2]), params_.value(id[3]),
                id.size() > 4 ? params_.value(id[4]) : nullptr};
    }

    template <class T>
    LayerGrads<T> Recurrent<T>::layer_grads(std::size_t l)
    {
        const auto& id = tensor_ids_[l];
        T* dw_hh = weight_drop_active_ ? dw_dropped_[l].data() : params_.grad(id[1]);
        return {params_.grad(id[0]), dw_hh, params_.grad(id[2]), params_.grad(id[3]),
                id.size() > 4 ? params_.grad(id[4]) : nullptr};
    }

    template <class T>
    const T* Recurrent<T>::output_data() const
    {
        XRNN_CHECK(steps_ > 0, "no forward pass has run yet");
        return caches_.back().h.data() + batch_ * config_.hidden_size;
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
        XRNN_CHECK(traits_->cell_state || s.c.size() == 0,
                   std::string(what) + ".c is given but " + traits_->name
                       + " cells have no cell state");
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
        weight_drop_active_ = training_ && config_.weight_drop > 0.0;
        if (weight_drop_active_)
            draw_weight_masks();
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
            const T* cl = c0 && traits_->cell_state ? c0 + l * B * H : nullptr;
            const T* proj = l == 0 ? x_proj : nullptr;
            cell_ops<T>(config_.cell).forward(caches_[l], layer_params(l), in, hl, cl, d, config_.activation,
                                              config_.recurrent_activation, keep_pre_, proj);
            in = caches_[l].h.data() + B * H;
        }
    }

    template <class T>
    void Recurrent<T>::draw_weight_masks()
    {
        w_dropped_.resize(config_.num_layers);
        w_mask_.resize(config_.num_layers);
        dw_dropped_.resize(config_.num_layers);
        for (std::size_t l = 0; l < config_.num_layers; ++l)
        {
            const std::size_t i = tensor_ids_[l][1], n = params_.table()[i].size; // weight_hh
            w_dropped_[l].resize(n);
            w_mask_[l].resize(n);
            dw_dropped_[l].resize(n);
            dropout_forward(w_dropped_[l].data(), w_mask_[l].data(), params_.value(i), n,
                            config_.weight_drop, dropout_rng_);
        }
    }

    template <class T>
    void Recurrent<T>::write_final_state(RecurrentState<T>& s) const
    {
        const std::size_t L = config_.num_layers, B = batch_, H = config_.hidden_size, BH = B * H;
        ensure_shape(s.h, std::array<std::size_t, 3>{L, B, H});
        ensure_shape(s.c, std::array<std::size_t, 3>{traits_->cell_state ? L : 0, B, H});
        for (std::size_t l = 0; l < L; ++l)
        {
            const T* h = caches_[l].h.data();
            std::copy(h + steps_ * BH, h + (steps_ + 1) * BH, s.h.data() + l * BH);
            if (traits_->cell_state)
            {
                const T* c = caches_[l].c.data();
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
            const T* dcl = dcT && traits_->cell_state ? dcT + l * BH : nullptr;
            T* dh0l = dh0 ? dh0 + l * BH : nullptr;
            T* dc0l = dc0 && traits_->cell_state ? dc0 + l * BH : nullptr;
            caches_[l].trace = trace;
            if (weight_drop_active_)
                std::fill(dw_dropped_[l].begin(), dw_dropped_[l].end(), T(0));
            cell_ops<T>(config_.cell).backward(layer_grads(l), dxl, dh0l, dc0l, dyl, dhl, dcl, caches_[l],
                                               layer_params(l));
            if (weight_drop_active_) // W_used = M * W, so dL/dW += M * dL/dW_used
            {
                T* g = params_.grad(tensor_ids_[l][1]);
                const T* m = w_mask_[l].data();
                const T* dw = dw_dropped_[l].data();
                for (std::size_t i = 0; i < dw_dropped_[l].size(); ++i)
                    g[i] += m[i] * dw[i];
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
        ensure_shape(ds0.c, std::array<std::size_t, 3>{traits_->cell_state ? L : 0, batch_, H});
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
