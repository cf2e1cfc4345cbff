// lib/bptt.cpp -- the layer stack over time (see bptt.hpp).
//
// Two row layouts. Dense (T, B): unidirectional calls without lengths, the char-LM's path,
// with no copy beyond the input. Packed (layer.hpp's LayerDims): calls with lengths or
// bidirectional; the input is gathered once into rows sorted longest first, every layer and
// direction runs on those rows, and the outputs are scattered back to (T, B) at the end. The
// reverse direction runs the same cells on reverse-time rows (rev_), so a bidirectional layer
// is two ordinary unidirectional sweeps plus two gathers.
#include "xrnn/bptt.hpp"

#include "xrnn/check.hpp"
#include "xrnn/dropout.hpp"
#include "kernels.hpp"
#include "parallel.hpp"
#include "cells/cell_ops.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace xrnn
{
    namespace
    {
        template <class T>
        void ensure_rows(Tensor3<T>& t, std::size_t rows, std::size_t cols)
        {
            ensure_shape(t, std::array<std::size_t, 3>{1, rows, cols});
        }

        // fn(d) for both directions, side by side when there are two threads
        template <class Fn>
        void both_directions(Fn&& fn)
        {
            if (parallel::threads() >= 2)
                parallel::run(2, [&](std::size_t d) { fn(d); });
            else
            {
                fn(0);
                fn(1);
            }
        }
    }

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
        const std::size_t H = config.hidden_size, D = directions();
        tensor_ids_.resize(units());
        for (std::size_t u = 0; u < units(); ++u) // PyTorch's state_dict order
        {
            const std::size_t l = u / D;
            const std::string suffix = "_l" + std::to_string(l) + (u % D ? "_reverse" : "");
            for (const CellTensor& t : traits_->tensors) // the cell's tensors, by name
            {
                const std::size_t rows = (t.blocks ? t.blocks : traits_->gates) * H;
                const std::size_t in = l == 0 ? config.input_size : D * H;
                std::vector<std::size_t> shape{rows};
                if (t.cols != CellTensor::Cols::none)
                    shape.push_back(t.cols == CellTensor::Cols::input ? in : H);
                tensor_ids_[u].push_back(params_.add(std::string(t.name) + suffix, shape));
            }
        }
        caches_.resize(units());
        dropped_.resize(config.num_layers - 1);
        mask_.resize(config.num_layers - 1);
        if (D == 2)
        {
            xrev_.resize(config.num_layers);
            cat_.resize(config.num_layers);
        }
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
        for (std::size_t u = 0; u < units(); ++u)
        {
            const auto& id = tensor_ids_[u]; // weight_ih, weight_hh, bias_ih, bias_hh first
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
    LayerParams<T> Recurrent<T>::layer_params(std::size_t u) const
    {
        const auto& id = tensor_ids_[u];
        const T* w_hh = weight_drop_active_ ? w_dropped_[u].data() : params_.value(id[1]);
        return {params_.value(id[0]), w_hh, params_.value(id[2]), params_.value(id[3]),
                id.size() > 4 ? params_.value(id[4]) : nullptr};
    }

    template <class T>
    LayerGrads<T> Recurrent<T>::layer_grads(std::size_t u)
    {
        const auto& id = tensor_ids_[u];
        T* dw_hh = weight_drop_active_ ? dw_dropped_[u].data() : params_.grad(id[1]);
        return {params_.grad(id[0]), dw_hh, params_.grad(id[2]), params_.grad(id[3]),
                id.size() > 4 ? params_.grad(id[4]) : nullptr};
    }

    template <class T>
    LayerDims Recurrent<T>::dims(std::size_t layer) const
    {
        LayerDims d{steps_, batch_, layer == 0 ? config_.input_size : output_size(),
                    config_.hidden_size};
        if (packed_)
        {
            d.step_rows = step_rows_.data();
            d.step_start = step_start_.data();
        }
        return d;
    }

    template <class T>
    const T* Recurrent<T>::output_data() const
    {
        XRNN_CHECK(steps_ > 0, "no forward pass has run yet");
        XRNN_CHECK(!packed_, "output_data() holds only unidirectional full-length outputs; calls "
                             "with lengths or bidirectional write them to y");
        return caches_.back().h.data() + batch_ * config_.hidden_size;
    }

    template <class T>
    void Recurrent<T>::check_state(View3<T> h, View3<T> c, std::size_t batch, const char* what) const
    {
        const std::array<std::size_t, 3> want{units(), batch, config_.hidden_size};
        const char* dims_name = directions() == 2 ? "(2 * num_layers, batch, hidden_size)"
                                                  : "(num_layers, batch, hidden_size)";
        auto ok = [&](const View3<T>& t) { return t.size() == 0 || t.shape == want; };
        XRNN_CHECK(ok(h), std::string(what) + ".h has shape " + detail::shape_str(h.shape)
                              + "; expected " + dims_name + " = " + detail::shape_str(want)
                              + " or empty for zeros");
        XRNN_CHECK(traits_->cell_state || c.size() == 0,
                   std::string(what) + ".c is given but " + traits_->name
                       + " cells have no cell state");
        XRNN_CHECK(ok(c), std::string(what) + ".c has shape " + detail::shape_str(c.shape)
                                + "; expected " + dims_name + " = " + detail::shape_str(want)
                                + " or empty for zeros");
    }

    template <class T>
    void Recurrent<T>::set_lengths(const std::vector<std::size_t>& lengths, std::size_t S, std::size_t B)
    {
        XRNN_CHECK(lengths.empty() || lengths.size() == B,
                   "lengths has " + std::to_string(lengths.size()) + " entries but the batch has "
                       + std::to_string(B) + " sequences (one length per sequence, or none)");
        for (std::size_t b = 0; b < lengths.size(); ++b)
            XRNN_CHECK(lengths[b] >= 1 && lengths[b] <= S,
                       "lengths[" + std::to_string(b) + "] = " + std::to_string(lengths[b])
                           + " is outside 1.." + std::to_string(S) + " (the input's seq_len)");
        lengths_ = lengths;
        packed_ = !lengths.empty() || config_.bidirectional;
        if (!packed_)
            return;
        auto len = [&](std::size_t b) { return lengths.empty() ? S : lengths[b]; };
        order_.resize(B);
        std::iota(order_.begin(), order_.end(), std::size_t(0));
        std::stable_sort(order_.begin(), order_.end(),
                         [&](std::size_t a, std::size_t b) { return len(a) > len(b); });
        step_rows_.assign(S, 0);
        for (std::size_t i = 0; i < B; ++i)
            for (std::size_t t = 0; t < len(order_[i]); ++t)
                ++step_rows_[t];
        step_start_.assign(S + 1, 0);
        for (std::size_t t = 0; t < S; ++t)
            step_start_[t + 1] = step_start_[t] + step_rows_[t];
        if (config_.bidirectional)
        {
            rev_.resize(step_start_[S]);
            for (std::size_t t = 0; t < S; ++t)
                for (std::size_t i = 0; i < step_rows_[t]; ++i)
                    rev_[step_start_[t] + i] = step_start_[len(order_[i]) - 1 - t] + i;
        }
    }

    template <class T>
    void Recurrent<T>::draw_weight_masks()
    {
        w_dropped_.resize(units());
        w_mask_.resize(units());
        dw_dropped_.resize(units());
        for (std::size_t u = 0; u < units(); ++u)
        {
            const std::size_t i = tensor_ids_[u][1], n = params_.table()[i].size; // weight_hh
            w_dropped_[u].resize(n);
            w_mask_[u].resize(n);
            dw_dropped_[u].resize(n);
            dropout_forward(w_dropped_[u].data(), w_mask_[u].data(), params_.value(i), n,
                            config_.weight_drop, dropout_rng_);
        }
    }

    // The stack over rows() rows of x (dense or packed); h0, c0 (units, B, H) in row order.
    template <class T>
    void Recurrent<T>::run_forward(const T* x, const T* h0, const T* c0, const T* x_proj)
    {
        const std::size_t B = batch_, H = config_.hidden_size, D = directions(), N = rows();
        const T* in = x;
        for (std::size_t l = 0; l < config_.num_layers; ++l)
        {
            const LayerDims d = dims(l);
            if (l > 0 && dropout_active_)
            {
                ensure_rows(dropped_[l - 1], N, D * H);
                ensure_rows(mask_[l - 1], N, D * H);
                dropout_forward(dropped_[l - 1].data(), mask_[l - 1].data(), in, N * D * H,
                                config_.dropout, dropout_rng_);
                in = dropped_[l - 1].data();
            }
            auto run = [&](std::size_t dir, const T* xin) {
                const std::size_t u = l * D + dir;
                const T* hu = h0 ? h0 + u * B * H : nullptr;
                const T* cu = c0 && traits_->cell_state ? c0 + u * B * H : nullptr;
                cell_ops<T>(config_.cell).forward(caches_[u], layer_params(u), xin, hu, cu, d,
                                                  config_.activation, config_.recurrent_activation,
                                                  keep_pre_, l == 0 ? x_proj : nullptr);
            };
            if (D == 1)
            {
                run(0, in);
                in = caches_[l].h.data() + B * H;
                continue;
            }
            const std::size_t I = d.input_size;
            ensure_rows(xrev_[l], N, I); // the reverse direction reads each sequence backwards
            for (std::size_t r = 0; r < N; ++r)
                std::copy(in + r * I, in + (r + 1) * I, xrev_[l].data() + rev_[r] * I);
            both_directions([&](std::size_t dir) { run(dir, dir ? xrev_[l].data() : in); });
            ensure_rows(cat_[l], N, 2 * H); // (forward | reverse) at each row's own time
            const T* hf = caches_[l * 2].h.data() + B * H;
            const T* hr = caches_[l * 2 + 1].h.data() + B * H;
            for (std::size_t r = 0; r < N; ++r)
            {
                T* o = cat_[l].data() + r * 2 * H;
                std::copy(hf + r * H, hf + (r + 1) * H, o);
                std::copy(hr + rev_[r] * H, hr + (rev_[r] + 1) * H, o + H);
            }
            in = cat_[l].data();
        }
    }

    template <class T>
    void Recurrent<T>::forward_impl(View3<T> x, View3<T> s0h, View3<T> s0c,
                                    const std::vector<std::size_t>& lengths, const T* x_proj)
    {
        XRNN_CHECK(x.shape[0] > 0 && x.shape[1] > 0,
                   "input must be (seq_len, batch, input_size) with seq_len, batch > 0; got "
                       + detail::shape_str(x.shape));
        XRNN_CHECK(x.shape[2] == config_.input_size,
                   "input has " + std::to_string(x.shape[2]) + " features per step (shape "
                       + detail::shape_str(x.shape) + ") but the model's input_size is "
                       + std::to_string(config_.input_size));
        const std::size_t S = x.shape[0], B = x.shape[1], I = config_.input_size;
        check_state(s0h, s0c, B, "initial state");
        set_lengths(lengths, S, B);
        XRNN_CHECK(!packed_ || !x_proj, "precomputed input projections need a dense call");
        steps_ = S;
        batch_ = B;
        dropout_active_ = training_ && config_.dropout > 0.0;
        weight_drop_active_ = training_ && config_.weight_drop > 0.0;
        if (weight_drop_active_)
            draw_weight_masks();
        const T* h0 = s0h.size() ? s0h.data : nullptr;
        const T* c0 = s0c.size() ? s0c.data : nullptr;
        if (!packed_)
        {
            ensure_shape(input_, x.shape);
            std::copy(x.data, x.data + x.size(), input_.begin());
            run_forward(input_.data(), h0, c0, x_proj);
            return;
        }
        ensure_rows(input_, rows(), I);
        for (std::size_t t = 0; t < S; ++t)
            for (std::size_t i = 0; i < step_rows_[t]; ++i)
            {
                const T* src = x.data + (t * B + order_[i]) * I;
                std::copy(src, src + I, input_.data() + (step_start_[t] + i) * I);
            }
        const T* s[2] = {h0, c0}; // initial states, rows reordered
        for (std::size_t k = 0; k < 2; ++k)
            if (s[k])
            {
                const std::size_t H = config_.hidden_size;
                ensure_shape(state0_[k], std::array<std::size_t, 3>{units(), B, H});
                for (std::size_t u = 0; u < units(); ++u)
                    for (std::size_t i = 0; i < B; ++i)
                        std::copy(s[k] + (u * B + order_[i]) * H, s[k] + (u * B + order_[i] + 1) * H,
                                  state0_[k].data() + (u * B + i) * H);
                s[k] = state0_[k].data();
            }
        run_forward(input_.data(), s[0], s[1], nullptr);
    }

    template <class T>
    const T* Recurrent<T>::top_output() const
    {
        if (directions() == 2)
            return cat_.back().data();
        return caches_.back().h.data() + batch_ * config_.hidden_size;
    }

    template <class T>
    void Recurrent<T>::write_output(Tensor3<T>& y) const
    {
        const std::size_t S = steps_, B = batch_, O = output_size();
        ensure_shape(y, std::array<std::size_t, 3>{S, B, O});
        const T* out = top_output();
        if (!packed_)
        {
            std::copy(out, out + y.size(), y.data());
            return;
        }
        std::fill(y.begin(), y.end(), T(0)); // PyTorch's pad_packed_sequence pads with zeros
        for (std::size_t t = 0; t < S; ++t)
            for (std::size_t i = 0; i < step_rows_[t]; ++i)
            {
                const T* src = out + (step_start_[t] + i) * O;
                std::copy(src, src + O, y.data() + (t * B + order_[i]) * O);
            }
    }

    template <class T>
    void Recurrent<T>::write_final_state(RecurrentState<T>& s) const
    {
        const std::size_t U = units(), B = batch_, H = config_.hidden_size, BH = B * H;
        ensure_shape(s.h, std::array<std::size_t, 3>{U, B, H});
        ensure_shape(s.c, std::array<std::size_t, 3>{traits_->cell_state ? U : 0, B, H});
        const LayerDims d = dims(0);
        for (std::size_t u = 0; u < U; ++u)
            for (int k = 0; k < (traits_->cell_state ? 2 : 1); ++k)
            {
                const T* src = (k ? caches_[u].c : caches_[u].h).data();
                T* dst = (k ? s.c : s.h).data() + u * BH;
                if (!packed_)
                {
                    std::copy(src + steps_ * BH, src + (steps_ + 1) * BH, dst);
                    continue;
                }
                for (std::size_t i = 0; i < B; ++i) // after each sequence's own last step
                {
                    const std::size_t len = lengths_.empty() ? steps_ : lengths_[order_[i]];
                    const T* row = src + (d.state_row(len) + i) * H;
                    std::copy(row, row + H, dst + order_[i] * H);
                }
            }
    }

    template <class T>
    void Recurrent<T>::forward(const Tensor3<T>& x, const RecurrentState<T>& s0, Tensor3<T>& y,
                               RecurrentState<T>& sT, const std::vector<std::size_t>& lengths)
    {
        forward(view3(x), view3(s0.h), view3(s0.c), y, sT, lengths);
    }

    template <class T>
    void Recurrent<T>::forward(View3<T> x, View3<T> h0, View3<T> c0, Tensor3<T>& y, RecurrentState<T>& sT,
                               const std::vector<std::size_t>& lengths)
    {
        forward_impl(x, h0, c0, lengths, nullptr);
        write_output(y);
        write_final_state(sT);
    }

    // Backward through the stack over rows() rows; dy (rows, D*H); dhT, dcT, dh0, dc0
    // (units, B, H) in row order; dx (rows, I) or null.
    template <class T>
    void Recurrent<T>::run_backward(const T* dy, const T* dhT, const T* dcT, T* dx, T* dh0, T* dc0)
    {
        const std::size_t L = config_.num_layers, B = batch_, H = config_.hidden_size;
        const std::size_t D = directions(), N = rows(), BH = B * H;
        for (std::size_t l = 1; l < L; ++l) // only the buffers in use: one for 2 layers
            ensure_rows(dbuf_[l % 2], N, D * H);
        const T* dyl = dy;
        traces_.resize(trace_on_ ? units() : 0);
        for (std::size_t l = L; l-- > 0;)
        {
            const std::size_t I = l == 0 ? config_.input_size : D * H;
            T* dxl = l == 0 ? dx : dbuf_[l % 2].data();
            auto run = [&](std::size_t dir, const T* dyu, T* dxu) {
                const std::size_t u = l * D + dir;
                caches_[u].trace = trace_on_ ? &traces_[u] : nullptr;
                if (weight_drop_active_)
                    std::fill(dw_dropped_[u].begin(), dw_dropped_[u].end(), T(0));
                cell_ops<T>(config_.cell).backward(
                    layer_grads(u), dxu, dh0 ? dh0 + u * BH : nullptr,
                    dc0 && traits_->cell_state ? dc0 + u * BH : nullptr, dyu,
                    dhT ? dhT + u * BH : nullptr, dcT && traits_->cell_state ? dcT + u * BH : nullptr,
                    caches_[u], layer_params(u));
                if (weight_drop_active_) // W_used = M * W, so dL/dW += M * dL/dW_used
                {
                    T* g = params_.grad(tensor_ids_[u][1]);
                    const T* m = w_mask_[u].data();
                    const T* dw = dw_dropped_[u].data();
                    for (std::size_t i = 0; i < dw_dropped_[u].size(); ++i)
                        g[i] += m[i] * dw[i];
                }
            };
            if (D == 1)
                run(0, dyl, dxl);
            else
            {
                for (std::size_t k = 0; k < 2; ++k)
                {
                    ensure_rows(dyd_[k], N, H);
                    ensure_rows(dxd_[k], dxl ? N : 0, I);
                }
                for (std::size_t r = 0; r < N; ++r) // split (forward | reverse), reverse to its own rows
                {
                    const T* src = dyl + r * 2 * H;
                    std::copy(src, src + H, dyd_[0].data() + r * H);
                    std::copy(src + H, src + 2 * H, dyd_[1].data() + rev_[r] * H);
                }
                both_directions([&](std::size_t dir) {
                    run(dir, dyd_[dir].data(), dxl ? dxd_[dir].data() : nullptr);
                });
                if (dxl)
                    for (std::size_t r = 0; r < N; ++r)
                    {
                        const T* f = dxd_[0].data() + r * I;
                        const T* b = dxd_[1].data() + rev_[r] * I;
                        for (std::size_t j = 0; j < I; ++j)
                            dxl[r * I + j] = f[j] + b[j];
                    }
            }
            if (l > 0 && dropout_active_) // gradient w.r.t. the dropped outputs -> the outputs
                dropout_backward(dxl, dxl, mask_[l - 1].data(), N * D * H);
            dyl = dxl;
        }
    }

    template <class T>
    void Recurrent<T>::backward_impl(View3<T> dy, View3<T> dsTh, View3<T> dsTc, Tensor3<T>* dx,
                                     RecurrentState<T>* ds0)
    {
        XRNN_CHECK(steps_ > 0, "backward called before any forward");
        const std::size_t S = steps_, B = batch_, H = config_.hidden_size, O = output_size();
        const std::size_t I = config_.input_size, U = units();
        const std::array<std::size_t, 3> want{S, B, O};
        XRNN_CHECK(dy.shape == want, "dy has shape " + detail::shape_str(dy.shape)
                                         + " but the last forward produced outputs of shape "
                                         + detail::shape_str(want));
        check_state(dsTh, dsTc, B, "final-state gradient");
        if (dx)
            ensure_shape(*dx, std::array<std::size_t, 3>{S, B, I});
        if (ds0)
        {
            ensure_shape(ds0->h, std::array<std::size_t, 3>{U, B, H});
            ensure_shape(ds0->c, std::array<std::size_t, 3>{traits_->cell_state ? U : 0, B, H});
        }
        const T* dhT = dsTh.size() ? dsTh.data : nullptr;
        const T* dcT = dsTc.size() ? dsTc.data : nullptr;
        if (!packed_)
        {
            run_backward(dy.data, dhT, dcT, dx ? dx->data() : nullptr, ds0 ? ds0->h.data() : nullptr,
                         ds0 && ds0->c.size() ? ds0->c.data() : nullptr);
            return;
        }
        const std::size_t N = rows();
        ensure_rows(dy_, N, O);
        for (std::size_t t = 0; t < S; ++t)
            for (std::size_t i = 0; i < step_rows_[t]; ++i)
            {
                const T* src = dy.data + (t * B + order_[i]) * O;
                std::copy(src, src + O, dy_.data() + (step_start_[t] + i) * O);
            }
        // state gradients in row order: ds_[0], ds_[1] = dhT, dcT; ds_[2], ds_[3] = dh0, dc0
        auto to_rows = [&](const T* s, Tensor3<T>& buf) -> const T* {
            if (!s)
                return nullptr;
            ensure_shape(buf, std::array<std::size_t, 3>{U, B, H});
            for (std::size_t u = 0; u < U; ++u)
                for (std::size_t i = 0; i < B; ++i)
                    std::copy(s + (u * B + order_[i]) * H, s + (u * B + order_[i] + 1) * H,
                              buf.data() + (u * B + i) * H);
            return buf.data();
        };
        dhT = to_rows(dhT, ds_[0]);
        dcT = to_rows(dcT, ds_[1]);
        const bool want_c = ds0 && traits_->cell_state;
        if (ds0)
        {
            ensure_shape(ds_[2], std::array<std::size_t, 3>{U, B, H});
            ensure_shape(ds_[3], std::array<std::size_t, 3>{want_c ? U : 0, B, H});
        }
        if (dx)
            ensure_rows(dx_, N, I);
        run_backward(dy_.data(), dhT, dcT, dx ? dx_.data() : nullptr, ds0 ? ds_[2].data() : nullptr,
                     want_c ? ds_[3].data() : nullptr);
        if (dx)
        {
            std::fill(dx->begin(), dx->end(), T(0)); // padded inputs get no gradient
            for (std::size_t t = 0; t < S; ++t)
                for (std::size_t i = 0; i < step_rows_[t]; ++i)
                {
                    const T* src = dx_.data() + (step_start_[t] + i) * I;
                    std::copy(src, src + I, dx->data() + (t * B + order_[i]) * I);
                }
        }
        if (ds0)
            for (int k = 0; k < (want_c ? 2 : 1); ++k)
            {
                const T* src = ds_[2 + k].data();
                T* dst = (k ? ds0->c : ds0->h).data();
                for (std::size_t u = 0; u < U; ++u)
                    for (std::size_t i = 0; i < B; ++i)
                        std::copy(src + (u * B + i) * H, src + (u * B + i + 1) * H,
                                  dst + (u * B + order_[i]) * H);
            }
    }

    template <class T>
    void Recurrent<T>::backward(const Tensor3<T>& dy, const RecurrentState<T>& dsT, Tensor3<T>& dx,
                                RecurrentState<T>& ds0)
    {
        backward_impl(view3(dy), view3(dsT.h), view3(dsT.c), &dx, &ds0);
    }

    template <class T>
    void Recurrent<T>::backward(View3<T> dy, View3<T> dhT, View3<T> dcT, Tensor3<T>& dx, RecurrentState<T>& ds0)
    {
        backward_impl(dy, dhT, dcT, &dx, &ds0);
    }

    template <class T>
    void Recurrent<T>::forward_stateful(const Tensor3<T>& x, Tensor3<T>& y,
                                        const std::vector<std::size_t>& lengths)
    {
        XRNN_CHECK(x.dimension() == 3, "input must be 3-D (seq_len, batch, input_size)");
        if (carried_.h.size() > 0)
            XRNN_CHECK(carried_.h.shape()[1] == x.shape()[1],
                       "batch size changed from " + std::to_string(carried_.h.shape()[1]) + " to "
                           + std::to_string(x.shape()[1])
                           + " between stateful chunks; call reset_state() first");
        forward_impl(view3(x), view3(carried_.h), view3(carried_.c), lengths, nullptr);
        write_output(y);
        write_final_state(carried_); // the caches hold their own copy of the initial state
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
        forward_impl(view3(x), view3(carried_.h), view3(carried_.c), {}, x_proj);
        write_final_state(carried_);
    }

    template <class T>
    void Recurrent<T>::set_carried_state(const RecurrentState<T>& s)
    {
        if (s.h.size() == 0)
        {
            reset_state();
            return;
        }
        check_state(view3(s.h), view3(s.c), s.h.shape()[1], "carried state");
        carried_ = s;
    }

    template <class T>
    void Recurrent<T>::backward_stateful(const Tensor3<T>& dy, Tensor3<T>* dx)
    {
        backward_impl(view3(dy), View3<T>{}, View3<T>{}, dx, nullptr);
    }

    template <class T>
    void Recurrent<T>::reset_state()
    {
        carried_ = RecurrentState<T>{};
    }

    template class Recurrent<float>;
    template class Recurrent<double>;
}
