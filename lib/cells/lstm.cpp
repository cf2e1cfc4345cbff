// lib/cells/lstm.cpp -- the LSTM cell: layer forward and backward over a whole sequence.
//
// PyTorch's LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000),
// gate order i, f, g, o, with Keras's activation choices:
//   i = ra(W_ii x + b_ii + W_hi h + b_hi)     ra = recurrent_activation (default sigmoid)
//   f = ra(W_if x + b_if + W_hf h + b_hf)
//   g = a (W_ig x + b_ig + W_hg h + b_hg)     a  = activation (default tanh)
//   o = ra(W_io x + b_io + W_ho h + b_ho)
//   c' = f * c + i * g
//   h' = o * a(c')
// Reference: https://pytorch.org/docs/stable/generated/torch.nn.LSTM.html
// Not here: stacking layers and carrying state across chunks (bptt.hpp).
//
// Hot path: one GEMM for the input projections of all T*B rows, one GEMM per step for the
// recurrence (accumulated with beta = 1 into the gate buffer), element-wise passes per row,
// and after the backward sweep the weight gradients as two large GEMMs over all T*B rows.
// The per-step products use W_hh packed once per sweep, and the batch rows are split across
// threads for whole sweeps (detail/packed_gemm.hpp, kernels::split_rows). Nothing is allocated
// inside the time loops. Memory: the forward keeps the gates, c and h
// (6H per row and step); activation(c) is recomputed in backward, and the gate gradients are
// written over the gates they came from.
#include "cell_ops.hpp"

#include "xrnn/blas.hpp"
#include "../kernels.hpp"

namespace xrnn
{
    template <class T>
    void lstm_forward(CellCache<T>& cache, const LayerParams<T>& p, const T* x, const T* h0,
                      const T* c0, const LayerDims& d, const Activation& act,
                      const Activation& ract, bool keep_pre, const T* x_proj)
    {
        const std::size_t S = d.steps, B = d.batch, I = d.input_size, H = d.hidden_size;
        const std::size_t G = 4 * H, BH = B * H, N = d.total_rows();
        cache.dims = d;
        cache.activation = act;
        cache.recurrent_activation = ract;
        cache.x = x;
        keep_pre = keep_pre || derivative_needs_input(act) || derivative_needs_input(ract);
        ensure_shape(cache.gates, kernels::step_shape(d, G));
        ensure_shape(cache.pre, kernels::step_shape(d, keep_pre ? G : 0));
        ensure_shape(cache.c, kernels::state_shape(d, H));
        ensure_shape(cache.h, kernels::state_shape(d, H));
        ensure_shape(cache.bias, std::array<std::size_t, 1>{G});
        for (std::size_t j = 0; j < G; ++j)
            cache.bias(j) = p.b_ih[j] + p.b_hh[j];

        T* gates = cache.gates.data();
        T* c = cache.c.data();
        T* h = cache.h.data();
        kernels::copy_or_zero(h, h0, BH);
        kernels::copy_or_zero(c, c0, BH);

        // all input projections at once: gates (T*B, 4H) = x (T*B, I) W_ih^T + (b_ih + b_hh)
        kernels::input_projection(gates, x, x_proj, p.w_ih, N, G, I);
        kernels::add_bias_rows(gates, cache.bias.data(), N, G);

        const std::size_t parts = kernels::plan_sweep(cache.w_step, p.w_hh, H, G, true, d, false);
        ensure_shape(cache.row, std::array<std::size_t, 2>{parts, 5 * H});
        // rows [r0, r1) and units [u0, u1) through all steps (kernels::sweep)
        kernels::sweep(d, cache.w_step, parts, [&](const kernels::SweepPart& q) {
            T* ac = cache.row.data() + q.index * 5 * H; // activation(c') of the current row
            const std::size_t r0 = q.r0, u0 = q.u0, u1 = q.u1, nu = u1 - u0;
            for (std::size_t t = 0; t < S; ++t)
            {
                const std::size_t e = kernels::step_end(d, t, q.r1);
                if (e <= r0)
                    break;
                T* gt = gates + d.start(t) * G;
                const T* hp = h + d.state_row(t) * H;
                // recurrence: gates[t] += h[t] W_hh^T
                cache.w_step.multiply(e - r0, hp + r0 * H, H, gt + r0 * G, G, true, q.unit_part);
                if (keep_pre)
                    kernels::copy_units(cache.pre.data() + (d.start(t) + r0) * G, gt + r0 * G, e - r0, G, H, u0, u1);
                const T* cp = c + d.state_row(t) * H;
                T* cn = c + d.state_row(t + 1) * H;
                T* hn = h + d.state_row(t + 1) * H;
                for (std::size_t b = r0; b < e; ++b)
                {
                    T* row = gt + b * G; // i | f | g | o
                    activation_forward(ract, row + u0, row + u0, nu);
                    activation_forward(ract, row + H + u0, row + H + u0, nu);
                    activation_forward(act, row + 2 * H + u0, row + 2 * H + u0, nu);
                    activation_forward(ract, row + 3 * H + u0, row + 3 * H + u0, nu);
                    const T* gi = row;
                    const T* gf = row + H;
                    const T* gg = row + 2 * H;
                    const T* go = row + 3 * H;
                    const T* crow = cp + b * H;
                    T* cnrow = cn + b * H;
                    T* hrow = hn + b * H;
                    for (std::size_t j = u0; j < u1; ++j)
                        cnrow[j] = gf[j] * crow[j] + gi[j] * gg[j];
                    activation_forward(act, cnrow + u0, ac + u0, nu);
                    for (std::size_t j = u0; j < u1; ++j)
                        hrow[j] = go[j] * ac[j];
                }
                q.sync(); // h[t+1] complete before any part's next product reads it
            }
        });
    }

    template <class T>
    void lstm_backward(const LayerGrads<T>& g, T* dx, T* dh0, T* dc0, const T* dy, const T* dhT,
                       const T* dcT, CellCache<T>& cache, const LayerParams<T>& p)
    {
        const LayerDims& d = cache.dims;
        const std::size_t S = d.steps, B = d.batch, I = d.input_size, H = d.hidden_size;
        const std::size_t G = 4 * H, BH = B * H, N = d.total_rows();
        const Activation& act = cache.activation;
        const Activation& ract = cache.recurrent_activation;
        const bool have_pre = cache.pre.size() > 0;
        ensure_shape(cache.dh, std::array<std::size_t, 2>{B, H});
        ensure_shape(cache.dc, std::array<std::size_t, 2>{B, H});
        T* dgates = cache.gates.data(); // in place: see LstmCache::gates
        T* dh = cache.dh.data();
        T* dc = cache.dc.data();
        kernels::copy_or_zero(dh, dhT, BH);
        kernels::copy_or_zero(dc, dcT, BH);
        FlowTrace* trace = cache.trace;
        if (trace)
            trace->reset(S, true);

        const std::size_t parts = kernels::plan_sweep(cache.w_step, p.w_hh, G, H, false, d, trace != nullptr);
        ensure_shape(cache.row, std::array<std::size_t, 2>{parts, 5 * H});
        kernels::sweep(d, cache.w_step, parts, [&](const kernels::SweepPart& q) {
            T* saved = cache.row.data() + q.index * 5 * H; // this row's i | f | g | o, then activation(c')
            const std::size_t r0 = q.r0, u0 = q.u0, u1 = q.u1, nu = u1 - u0;
            for (std::size_t t = S; t-- > 0;)
            {
                const std::size_t e = kernels::step_end(d, t, q.r1);
                if (e <= r0)
                    continue;
                const T* pt = have_pre ? cache.pre.data() + d.start(t) * G : nullptr;
                T* dgt = dgates + d.start(t) * G;
                const T* dyt = dy + d.start(t) * H;
                if (trace) // one part then: the trace sums over all rows
                    trace->add_state(t + 1, dh, dyt, static_cast<const T*>(dc), d.rows(t), H);
                for (std::size_t b = r0; b < e; ++b)
                {
                    T* drow = dgt + b * G;
                    kernels::copy_units(saved, drow, 1, G, H, u0, u1); // the gates, before their gradients replace them
                    const T* gi = saved;
                    const T* gf = saved + H;
                    const T* gg = saved + 2 * H;
                    const T* go = saved + 3 * H;
                    const T* cprev = cache.c.data() + d.state_row(t) * H + b * H;
                    const T* cnext = cache.c.data() + d.state_row(t + 1) * H + b * H;
                    T* ac = saved + G;
                    activation_forward(act, cnext + u0, ac + u0, nu); // as in forward, bit for bit
                    if (trace)
                        trace->add_gate_row(gf, H, N);
                    T* dhrow = dh + b * H;
                    T* dcrow = dc + b * H;
                    T* di = drow;
                    T* df = drow + H;
                    T* dg = drow + 2 * H;
                    T* dout = drow + 3 * H;
                    const T* pr = pt ? pt + b * G : nullptr;
                    // dh_total = dy[t] + dh (from step t+1); do = dh_total * a(c'); d(a(c')) = dh_total * o
                    for (std::size_t j = u0; j < u1; ++j)
                    {
                        const T dht = dhrow[j] + dyt[b * H + j];
                        dout[j] = dht * ac[j];
                        dhrow[j] = dht * go[j]; // reuse dh as d(a(c')) for the next pass
                    }
                    activation_backward(act, dhrow + u0, dhrow + u0, cnext + u0, ac + u0, nu); // d(a(c'))/dc'
                    if (trace)
                        trace->add_cell_total_row(t + 1, dcrow, dhrow, d.rows(t), H);
                    for (std::size_t j = u0; j < u1; ++j)
                    {
                        const T dct = dcrow[j] + dhrow[j];
                        di[j] = dct * gg[j];
                        df[j] = dct * cprev[j];
                        dg[j] = dct * gi[j];
                        dcrow[j] = dct * gf[j]; // dL/dc[t], carried to step t-1
                    }
                    activation_backward(ract, di + u0, di + u0, pr ? pr + u0 : nullptr, gi + u0, nu);
                    activation_backward(ract, df + u0, df + u0, pr ? pr + H + u0 : nullptr, gf + u0, nu);
                    activation_backward(act, dg + u0, dg + u0, pr ? pr + 2 * H + u0 : nullptr, gg + u0, nu);
                    activation_backward(ract, dout + u0, dout + u0, pr ? pr + 3 * H + u0 : nullptr, go + u0, nu);
                }
                q.sync(); // dgates[t] complete before any part's product reads it
                // dh[t] = dgates[t] W_hh  (B, 4H) x (4H, H)
                cache.w_step.multiply(e - r0, dgt + r0 * G, G, dh + r0 * H, H, false, q.unit_part);
            }
        });
        if (trace)
        {
            trace->add_state(0, dh, static_cast<const T*>(nullptr), static_cast<const T*>(dc), B, H);
            trace->c_total[0] = trace->c_carry[0];
        }
        if (dh0)
            std::copy(dh, dh + BH, dh0);
        if (dc0)
            std::copy(dc, dc + BH, dc0);

        // input and hidden side share the gate gradients: W_ih x and W_hh h enter the sum alike
        const T* hprev = kernels::previous_states(cache.hprev, cache.h.data(), d);
        kernels::layer_weight_backward(g, dx, dgates, dgates, cache.x, hprev, p, N, G, I, H);
    }

    XRNN_CELL_OPS(lstm)
}
