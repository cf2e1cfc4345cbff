// lib/cells/gru.cpp -- the GRU cell: layer forward and backward over a whole sequence.
//
// PyTorch's GRU (Cho et al. 2014), gate order r, z, n, with the reset gate applied to
// (W_hn h + b_hn) as PyTorch (and cuDNN, Keras reset_after=True) do:
//   r  = ra(W_ir x + b_ir + W_hr h + b_hr)     ra = recurrent_activation (default sigmoid)
//   z  = ra(W_iz x + b_iz + W_hz h + b_hz)
//   n  = a (W_in x + b_in + r * (W_hn h + b_hn))   a = activation (default tanh)
//   h' = (1 - z) * n + z * h
// Reference: https://pytorch.org/docs/stable/generated/torch.nn.GRU.html
//
// As in lstm.cpp: one input GEMM over all T*B rows, one recurrent GEMM per step, the
// weight gradients as large GEMMs after the sweep. The GRU's twist is that the reset gate
// scales (W_hn h + b_hn), so the recurrent product of each step is kept apart (cache.hh)
// instead of being summed into the input projections, and the hidden-side gradient of the
// n block differs from the input-side one by the factor r (dgh vs dgx).
#include "cell_ops.hpp"

#include "xrnn/blas.hpp"
#include "../kernels.hpp"

namespace xrnn
{
    template <class T>
    void gru_forward(CellCache<T>& cache, const LayerParams<T>& p, const T* x, const T* h0,
                     const T*, const LayerDims& d, const Activation& act, const Activation& ract,
                     bool keep_pre, const T* x_proj)
    {
        const std::size_t S = d.steps, B = d.batch, I = d.input_size, H = d.hidden_size;
        const std::size_t G = 3 * H, BH = B * H, N = d.total_rows();
        cache.dims = d;
        cache.activation = act;
        cache.recurrent_activation = ract;
        cache.x = x;
        keep_pre = keep_pre || derivative_needs_input(act) || derivative_needs_input(ract);
        ensure_shape(cache.gates, kernels::step_shape(d, G));
        ensure_shape(cache.pre, kernels::step_shape(d, keep_pre ? G : 0));
        ensure_shape(cache.hn, kernels::step_shape(d, H));
        ensure_shape(cache.h, kernels::state_shape(d, H));
        ensure_shape(cache.hh, std::array<std::size_t, 2>{B, G});

        T* gates = cache.gates.data();
        T* h = cache.h.data();
        T* hh = cache.hh.data();
        kernels::copy_or_zero(h, h0, BH);

        // gates (T*B, 3H) = x W_ih^T + b_ih
        kernels::input_projection(gates, x, x_proj, p.w_ih, N, G, I);
        kernels::add_bias_rows(gates, p.b_ih, N, G);

        const std::size_t parts = kernels::plan_sweep(cache.w_step, p.w_hh, H, G, true, d, false);
        // rows [r0, r1) and units [u0, u1) through all steps (kernels::sweep)
        kernels::sweep(d, cache.w_step, parts, [&](const kernels::SweepPart& q) {
            const std::size_t r0 = q.r0, u0 = q.u0, u1 = q.u1, nu = u1 - u0;
            for (std::size_t t = 0; t < S; ++t)
            {
                const std::size_t e = kernels::step_end(d, t, q.r1);
                if (e <= r0)
                    break;
                T* gt = gates + d.start(t) * G;
                const T* hp = h + d.state_row(t) * H;
                T* hnt = cache.hn.data() + d.start(t) * H;
                T* pt = keep_pre ? cache.pre.data() + d.start(t) * G : nullptr;
                // hh (B, 3H) = h[t] W_hh^T + b_hh
                cache.w_step.multiply(e - r0, hp + r0 * H, H, hh + r0 * G, G, false, q.unit_part);
                for (std::size_t b = r0; b < e; ++b)
                {
                    T* row = gt + b * G; // r | z | n
                    T* hrow = hh + b * G;
                    T* hnrow = hnt + b * H;
                    for (std::size_t g = 0; g < G; g += H)
                        for (std::size_t j = u0; j < u1; ++j)
                            hrow[g + j] += p.b_hh[g + j];
                    for (std::size_t j = u0; j < u1; ++j)
                    {
                        row[j] += hrow[j];
                        row[H + j] += hrow[H + j];
                    }
                    if (pt)
                    {
                        std::copy(row + u0, row + u1, pt + b * G + u0);
                        std::copy(row + H + u0, row + H + u1, pt + b * G + H + u0);
                    }
                    activation_forward(ract, row + u0, row + u0, nu);
                    activation_forward(ract, row + H + u0, row + H + u0, nu);
                    const T* r = row;
                    T* n = row + 2 * H;
                    for (std::size_t j = u0; j < u1; ++j)
                    {
                        hnrow[j] = hrow[2 * H + j];
                        n[j] += r[j] * hnrow[j];
                    }
                    if (pt)
                        std::copy(n + u0, n + u1, pt + b * G + 2 * H + u0);
                    activation_forward(act, n + u0, n + u0, nu);
                    const T* z = row + H;
                    const T* hprev = hp + b * H;
                    T* hnext = h + d.state_row(t + 1) * H + b * H;
                    for (std::size_t j = u0; j < u1; ++j)
                        hnext[j] = n[j] + z[j] * (hprev[j] - n[j]); // (1-z) n + z h
                }
                q.sync(); // h[t+1] complete before any part's next product reads it
            }
        });
    }

    template <class T>
    void gru_backward(const LayerGrads<T>& g, T* dx, T* dh0, T*, const T* dy, const T* dhT,
                      const T*, CellCache<T>& cache, const LayerParams<T>& p)
    {
        const LayerDims& d = cache.dims;
        const std::size_t S = d.steps, B = d.batch, I = d.input_size, H = d.hidden_size;
        const std::size_t G = 3 * H, BH = B * H, N = d.total_rows();
        const Activation& act = cache.activation;
        const Activation& ract = cache.recurrent_activation;
        const bool have_pre = cache.pre.size() > 0;
        ensure_shape(cache.dgh, kernels::step_shape(d, G));
        ensure_shape(cache.dh, std::array<std::size_t, 2>{B, H});
        ensure_shape(cache.hh, std::array<std::size_t, 2>{B, G});
        T* dgx = cache.gates.data();  // in place: each row's gates are saved before their gradient replaces them
        T* hh = cache.hh.data();
        T* dgh = cache.dgh.data();
        T* dh = cache.dh.data();
        kernels::copy_or_zero(dh, dhT, BH);
        FlowTrace* trace = cache.trace;
        if (trace)
            trace->reset(S, false);

        const std::size_t parts = kernels::plan_sweep(cache.w_step, p.w_hh, G, H, false, d, trace != nullptr);
        kernels::sweep(d, cache.w_step, parts, [&](const kernels::SweepPart& q) {
            const std::size_t r0 = q.r0, u0 = q.u0, u1 = q.u1, nu = u1 - u0;
            T* saved = hh + r0 * G; // r | z | n of the current row (this part's own hh row or units)
            for (std::size_t t = S; t-- > 0;)
            {
                const std::size_t e = kernels::step_end(d, t, q.r1);
                if (e <= r0)
                    continue;
                const T* pt = have_pre ? cache.pre.data() + d.start(t) * G : nullptr;
                const T* hnt = cache.hn.data() + d.start(t) * H;
                const T* hp = cache.h.data() + d.state_row(t) * H;
                const T* dyt = dy + d.start(t) * H;
                T* dgxt = dgx + d.start(t) * G;
                T* dght = dgh + d.start(t) * G;
                if (trace) // one part then: the trace sums over all rows
                    trace->add_state(t + 1, dh, dyt, static_cast<const T*>(nullptr), d.rows(t), H);
                for (std::size_t b = r0; b < e; ++b)
                {
                    T* dr = dgxt + b * G;
                    kernels::copy_units(saved, dr, 1, G, H, u0, u1);
                    const T* r = saved;
                    const T* z = r + H;
                    const T* n = r + 2 * H;
                    const T* hprev = hp + b * H;
                    const T* hnrow = hnt + b * H;
                    const T* pr = pt ? pt + b * G : nullptr;
                    T* dhrow = dh + b * H;
                    T* dz = dr + H;
                    T* dn = dr + 2 * H;
                    for (std::size_t j = u0; j < u1; ++j)
                    {
                        const T dht = dhrow[j] + dyt[b * H + j];
                        dn[j] = dht * (T(1) - z[j]);
                        dz[j] = dht * (hprev[j] - n[j]);
                        dhrow[j] = dht * z[j]; // direct path h[t] -> h[t+1]
                    }
                    activation_backward(act, dn + u0, dn + u0, pr ? pr + 2 * H + u0 : nullptr, n + u0, nu);
                    for (std::size_t j = u0; j < u1; ++j)
                        dr[j] = dn[j] * hnrow[j];
                    activation_backward(ract, dr + u0, dr + u0, pr ? pr + u0 : nullptr, r + u0, nu);
                    activation_backward(ract, dz + u0, dz + u0, pr ? pr + H + u0 : nullptr, z + u0, nu);
                    T* dhr = dght + b * G;
                    for (std::size_t j = u0; j < u1; ++j)
                    {
                        dhr[j] = dr[j];
                        dhr[H + j] = dz[j];
                        dhr[2 * H + j] = dn[j] * r[j];
                    }
                }
                q.sync(); // dgh[t] complete before any part's product reads it
                // dh[t] = direct path + dgh[t] W_hh
                cache.w_step.multiply(e - r0, dght + r0 * G, G, dh + r0 * H, H, true, q.unit_part);
            }
        });
        if (trace)
            trace->add_state(0, dh, static_cast<const T*>(nullptr), static_cast<const T*>(nullptr), B, H);
        if (dh0)
            std::copy(dh, dh + BH, dh0);

        const T* hprev = kernels::previous_states(cache.hprev, cache.h.data(), d);
        kernels::layer_weight_backward(g, dx, dgx, dgh, cache.x, hprev, p, N, G, I, H);
    }

    XRNN_CELL_OPS(gru)
}
