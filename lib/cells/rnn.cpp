// lib/cells/rnn.cpp -- the vanilla (Elman) RNN cell: layer forward and backward over a whole sequence.
//
//   h' = a(W_ih x + b_ih + W_hh h + b_hh)     a = activation (PyTorch: tanh or relu; here any)
// Reference: https://pytorch.org/docs/stable/generated/torch.nn.RNN.html
//
// The outputs h[1..T] are first filled with the input projections of all steps (one GEMM),
// then each step adds h[t] W_hh^T in place (beta = 1) and applies the activation in place.
// Packed calls (layer.hpp) run step t over its first rows(t) rows only.
#include "cell_ops.hpp"

#include "xrnn/blas.hpp"
#include "../kernels.hpp"

namespace xrnn
{
    template <class T>
    void rnn_forward(CellCache<T>& cache, const LayerParams<T>& p, const T* x, const T* h0,
                     const T*, const LayerDims& d, const Activation& act, const Activation&,
                     bool keep_pre, const T* x_proj)
    {
        const std::size_t B = d.batch, I = d.input_size, H = d.hidden_size;
        const std::size_t N = d.total_rows(), BH = B * H;
        cache.dims = d;
        cache.activation = act;
        cache.x = x;
        keep_pre = keep_pre || derivative_needs_input(act);
        ensure_shape(cache.h, kernels::state_shape(d, H));
        ensure_shape(cache.pre, kernels::step_shape(d, keep_pre ? H : 0));
        ensure_shape(cache.bias, std::array<std::size_t, 1>{H});
        for (std::size_t j = 0; j < H; ++j)
            cache.bias(j) = p.b_ih[j] + p.b_hh[j];
        T* h = cache.h.data();
        kernels::copy_or_zero(h, h0, BH);

        kernels::input_projection(h + BH, x, x_proj, p.w_ih, N, H, I);
        kernels::add_bias_rows(h + BH, cache.bias.data(), N, H);
        cache.w_step.set(p.w_hh, H, H, true, N);
        const std::size_t parts = kernels::row_parts(cache.w_step.packed, B, 2.0 * N * H * H, false);
        // rows [r0, r1) of the batch through all steps (kernels::split_rows)
        kernels::split_rows(d, parts, [&](std::size_t r0, std::size_t r1, std::size_t) {
            for (std::size_t t = 0; t < d.steps; ++t)
            {
                const std::size_t e = kernels::step_end(d, t, r1);
                if (e <= r0)
                    break;
                const std::size_t n = (e - r0) * H;
                T* hn = h + d.state_row(t + 1) * H + r0 * H;
                cache.w_step.multiply(e - r0, h + d.state_row(t) * H + r0 * H, H, hn, H, true);
                if (keep_pre)
                    std::copy(hn, hn + n, cache.pre.data() + d.start(t) * H + r0 * H);
                activation_forward(act, hn, hn, n);
            }
        });
    }

    template <class T>
    void rnn_backward(const LayerGrads<T>& g, T* dx, T* dh0, T*, const T* dy, const T* dhT,
                      const T*, CellCache<T>& cache, const LayerParams<T>& p)
    {
        const LayerDims& d = cache.dims;
        const std::size_t B = d.batch, I = d.input_size, H = d.hidden_size;
        const std::size_t N = d.total_rows(), BH = B * H;
        const bool have_pre = cache.pre.size() > 0;
        ensure_shape(cache.dpre, kernels::step_shape(d, H));
        ensure_shape(cache.dh, std::array<std::size_t, 2>{B, H});
        T* dpre = cache.dpre.data();
        T* dh = cache.dh.data(); // rows not yet started hold their dL/d(final state)
        kernels::copy_or_zero(dh, dhT, BH);
        FlowTrace* trace = cache.trace;
        if (trace)
            trace->reset(d.steps, false);

        cache.w_step.set(p.w_hh, H, H, false, N);
        const std::size_t parts = kernels::row_parts(cache.w_step.packed, B, 2.0 * N * H * H,
                                                     trace != nullptr);
        kernels::split_rows(d, parts, [&](std::size_t r0, std::size_t r1, std::size_t) {
            const std::size_t o = r0 * H;
            for (std::size_t t = d.steps; t-- > 0;)
            {
                const std::size_t e = kernels::step_end(d, t, r1);
                if (e <= r0)
                    continue;
                const std::size_t n = (e - r0) * H, st = d.start(t) * H;
                T* dpt = dpre + st + o;
                const T* dyt = dy + st + o;
                if (trace) // one part then: the trace sums over all rows
                    trace->add_state(t + 1, dh, dy + st, static_cast<const T*>(nullptr), d.rows(t), H);
                for (std::size_t i = 0; i < n; ++i)
                    dpt[i] = dh[o + i] + dyt[i];
                activation_backward(cache.activation, dpt, dpt,
                                    have_pre ? cache.pre.data() + st + o : nullptr,
                                    cache.h.data() + d.state_row(t + 1) * H + o, n);
                cache.w_step.multiply(e - r0, dpt, H, dh + o, H, false);
            }
        });
        if (trace)
            trace->add_state(0, dh, static_cast<const T*>(nullptr), static_cast<const T*>(nullptr), B, H);
        if (dh0)
            std::copy(dh, dh + BH, dh0);

        const T* hprev = kernels::previous_states(cache.hprev, cache.h.data(), d);
        kernels::layer_weight_backward(g, dx, dpre, dpre, cache.x, hprev, p, N, H, I, H);
    }

    XRNN_CELL_OPS(rnn)
}
