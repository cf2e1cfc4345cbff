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
        const std::size_t parts = kernels::plan_sweep(cache.w_step, p.w_hh, H, H, true, d, false);
        // rows [r0, r1) and units [u0, u1) through all steps (kernels::sweep)
        kernels::sweep(d, cache.w_step, parts, [&](const kernels::SweepPart& q) {
            const std::size_t r0 = q.r0;
            for (std::size_t t = 0; t < d.steps; ++t)
            {
                const std::size_t e = kernels::step_end(d, t, q.r1);
                if (e <= r0)
                    break;
                T* hn = h + d.state_row(t + 1) * H + r0 * H;
                T* pt = keep_pre ? cache.pre.data() + d.start(t) * H + r0 * H : nullptr;
                cache.w_step.multiply(e - r0, h + d.state_row(t) * H + r0 * H, H, hn, H, true, q.unit_part);
                kernels::unit_spans(e - r0, H, q.u0, q.u1, [&](std::size_t o, std::size_t n) {
                    if (pt)
                        std::copy(hn + o, hn + o + n, pt + o);
                    activation_forward(act, hn + o, hn + o, n);
                });
                q.sync(); // h[t+1] complete before any part's next product reads it
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

        const std::size_t parts = kernels::plan_sweep(cache.w_step, p.w_hh, H, H, false, d, trace != nullptr);
        kernels::sweep(d, cache.w_step, parts, [&](const kernels::SweepPart& q) {
            const std::size_t o = q.r0 * H;
            for (std::size_t t = d.steps; t-- > 0;)
            {
                const std::size_t e = kernels::step_end(d, t, q.r1);
                if (e <= q.r0)
                    continue;
                const std::size_t st = d.start(t) * H;
                T* dpt = dpre + st + o;
                const T* dyt = dy + st + o;
                const T* pre = have_pre ? cache.pre.data() + st + o : nullptr;
                const T* hn = cache.h.data() + d.state_row(t + 1) * H + o;
                if (trace) // one part then: the trace sums over all rows
                    trace->add_state(t + 1, dh, dy + st, static_cast<const T*>(nullptr), d.rows(t), H);
                kernels::unit_spans(e - q.r0, H, q.u0, q.u1, [&](std::size_t u, std::size_t n) {
                    for (std::size_t i = u; i < u + n; ++i)
                        dpt[i] = dh[o + i] + dyt[i];
                    activation_backward(cache.activation, dpt + u, dpt + u, pre ? pre + u : nullptr, hn + u, n);
                });
                q.sync(); // dpre[t] complete before any part's product reads it
                cache.w_step.multiply(e - q.r0, dpt, H, dh + o, H, false, q.unit_part);
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
