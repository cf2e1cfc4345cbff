// lib/kernels.hpp -- small row-wise loops and the batch split shared by the cells (private to lib/).
#ifndef XRNN_LIB_KERNELS_HPP
#define XRNN_LIB_KERNELS_HPP

#include "xrnn/blas.hpp"
#include "xrnn/layer.hpp"
#include "xrnn/tensor.hpp"
#include "parallel.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <type_traits>

namespace xrnn::kernels
{
    // How many threads a sweep over the batch runs on. Rows of the batch are independent
    // through time, so each thread takes a block of rows through all steps without ever
    // waiting for the other: one fork and join per sweep instead of one BLAS wake-up per
    // step. One part when the products are BLAS calls (not `packed`: they split
    // themselves), for tiny sweeps, or when `serial` (the flow trace sums over all rows).
    inline std::size_t row_parts(bool packed, std::size_t rows, double flops, bool serial)
    {
        const int threads = blas::threads();
        if (!packed || serial || threads < 2 || flops < 5e5)
            return 1;
        return std::min<std::size_t>(static_cast<std::size_t>(threads), rows);
    }

    // Calls fn(r0, r1, part) for `parts` contiguous blocks of [0, rows), block 0 on this thread.
    template <class Fn>
    void split_rows(std::size_t rows, std::size_t parts, Fn&& fn)
    {
        if (parts <= 1)
        {
            fn(std::size_t(0), rows, std::size_t(0));
            return;
        }
        parallel::run(parts, [&](std::size_t part) {
            fn(rows * part / parts, rows * (part + 1) / parts, part);
        });
    }

    // The same over the batch of a layer call: for packed dims (sorted longest first) the
    // blocks hold equal shares of valid steps rather than of rows, so no thread idles while
    // the other runs the long sequences. Each part loops over steps and takes
    // [r0, min(r1, d.rows(t))) of every step.
    template <class Fn>
    void split_rows(const LayerDims& d, std::size_t parts, Fn&& fn)
    {
        if (parts <= 1 || !d.packed())
            return split_rows(d.batch, parts, fn);
        std::size_t bounds[9] = {0};
        parts = std::min<std::size_t>(parts, 8);
        const std::size_t total = d.total_rows();
        // rows 0..r-1 hold sum over steps of min(rows(t), r) valid steps: walk r up
        std::size_t r = 0, done = 0;
        for (std::size_t p = 1; p < parts; ++p)
        {
            const std::size_t want = total * p / parts;
            while (r < d.batch && done < want)
            {
                std::size_t len = 0; // length of row r: steps with more than r rows
                while (len < d.steps && d.rows(len) > r)
                    ++len;
                done += len;
                ++r;
            }
            bounds[p] = r;
        }
        bounds[parts] = d.batch;
        parallel::run(parts, [&](std::size_t part) { fn(bounds[part], bounds[part + 1], part); });
    }

    // rows [r0, r1) of a part, clipped to the rows step t still has
    inline std::size_t step_end(const LayerDims& d, std::size_t t, std::size_t r1)
    {
        return std::min(r1, d.rows(t));
    }

    // One thread's share of a sweep: batch rows [r0, r1) (clipped per step by step_end) and
    // hidden units [u0, u1) of every gate; `unit_part` goes to StepWeights::multiply. sync()
    // is a unit split's meeting once per step, after this part's writes that the others read.
    struct SweepPart
    {
        std::size_t r0, r1, u0, u1, index, unit_part;
        parallel::Barrier* barrier;
        void sync() const
        {
            if (barrier)
                barrier->wait();
        }
    };

    // Sets w to W_hh as op(W) (k x n) for a sweep over d and returns how many parts it runs
    // on: split by hidden units when detail::prefer_units says so (each thread then reads
    // only its share of W every step), else by rows as row_parts says. `serial` as row_parts.
    template <class T>
    std::size_t plan_sweep(detail::StepWeights<T>& w, const T* w_hh, std::size_t k, std::size_t n,
                           bool transposed, const LayerDims& d, bool serial)
    {
        const std::size_t N = d.total_rows(), H = d.hidden_size;
        const double flops = 2.0 * N * k * n;
        if constexpr (std::is_same_v<T, float>)
        {
            const std::size_t threads = static_cast<std::size_t>(std::max(blas::threads(), 1));
            if (N >= w.min_rows && !serial && threads > 1 && flops >= 5e5 && H >= 32 * threads
                && detail::prefer_units(k, n, threads))
            {
                w.set_units(w_hh, k, n, transposed, H, threads);
                return threads;
            }
        }
        w.set(w_hh, k, n, transposed, N);
        return row_parts(w.packed, d.batch, flops, serial);
    }

    // Runs fn(SweepPart) for every part of a sweep planned by plan_sweep: by units on
    // concurrent threads (or, when the pool cannot give them, as one part over all units on
    // this thread), else by rows (split_rows).
    template <class T, class Fn>
    void sweep(const LayerDims& d, const detail::StepWeights<T>& w, std::size_t parts, Fn&& fn)
    {
        const std::size_t H = d.hidden_size, all = detail::StepWeights<T>::all_units;
        if (w.parts > 1)
        {
            parallel::Barrier barrier(w.parts);
            const bool ran = parallel::run_concurrent(w.parts, [&](std::size_t p) {
                fn(SweepPart{0, d.batch, w.unit_bounds[p], w.unit_bounds[p + 1], p, p, &barrier});
            });
            if (!ran)
                fn(SweepPart{0, d.batch, 0, H, 0, all, nullptr});
            return;
        }
        split_rows(d, parts, [&](std::size_t r0, std::size_t r1, std::size_t part) {
            fn(SweepPart{r0, r1, 0, H, part, all, nullptr});
        });
    }

    // Calls fn(offset, count) over units [u0, u1) of `rows` rows H wide: one call when that is
    // every unit (the block is contiguous), else one per row.
    template <class Fn>
    void unit_spans(std::size_t rows, std::size_t H, std::size_t u0, std::size_t u1, Fn&& fn)
    {
        if (u0 == 0 && u1 == H)
            return fn(std::size_t(0), rows * H);
        for (std::size_t r = 0; r < rows; ++r)
            fn(r * H + u0, u1 - u0);
    }

    // dst = src on columns g*H + [u0, u1) of every gate g of `rows` rows G = gates*H wide
    template <class T>
    void copy_units(T* dst, const T* src, std::size_t rows, std::size_t G, std::size_t H,
                    std::size_t u0, std::size_t u1)
    {
        if (u0 == 0 && u1 == H)
            return void(std::copy(src, src + rows * G, dst));
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t g = 0; g < G; g += H)
                std::copy(src + r * G + g + u0, src + r * G + g + u1, dst + r * G + g + u0);
    }

    // Shapes of per-step buffers (rows of every step, `cols` wide) and of state buffers
    // (h[0] then every step's rows): (T, B, cols) and (T+1, B, H) when dense; packed, the
    // same rows as (1, total, cols) and (1, B + total, H) (layer.hpp's LayerDims).
    inline std::array<std::size_t, 3> step_shape(const LayerDims& d, std::size_t cols)
    {
        if (d.packed())
            return {1, d.total_rows(), cols};
        return {d.steps, d.batch, cols};
    }
    inline std::array<std::size_t, 3> state_shape(const LayerDims& d, std::size_t H)
    {
        if (d.packed())
            return {1, d.batch + d.total_rows(), H};
        return {d.steps + 1, d.batch, H};
    }

    // h[t] rows 0..rows(t)-1 for every step, stacked like the per-step buffers: the left
    // operand of dW_hh's one GEMM. Dense, that is h[0..T-1] itself; packed, the prefix of
    // each h[t] that step t used is gathered into `scratch`.
    template <class T, class Buf>
    const T* previous_states(Buf& scratch, const T* h, const LayerDims& d)
    {
        if (!d.packed())
            return h;
        const std::size_t H = d.hidden_size;
        ensure_shape(scratch, std::array<std::size_t, 3>{1, d.total_rows(), H});
        for (std::size_t t = 0; t < d.steps; ++t)
            std::copy(h + d.state_row(t) * H, h + (d.state_row(t) + d.rows(t)) * H,
                      scratch.data() + d.start(t) * H);
        return scratch.data();
    }

    // out (rows, G) = x (rows, I) W_ih^T, or a copy of x_proj when the caller has it
    template <class T>
    void input_projection(T* out, const T* x, const T* x_proj, const T* w_ih, std::size_t rows,
                          std::size_t G, std::size_t I)
    {
        if (x_proj)
            std::copy(x_proj, x_proj + rows * G, out);
        else
            blas::gemm<T>(false, true, rows, G, I, T(1), x, I, w_ih, I, T(0), out, G);
    }

    // y[r, c] += bias[c] for a (rows, cols) row-major matrix
    template <class T>
    void add_bias_rows(T* y, const T* bias, std::size_t rows, std::size_t cols)
    {
        for (std::size_t r = 0; r < rows; ++r)
        {
            T* row = y + r * cols;
            for (std::size_t c = 0; c < cols; ++c)
                row[c] += bias[c];
        }
    }

    // db[c] += sum over rows of m[r, c]; m has row stride ld
    template <class T>
    void add_column_sums(T* db, const T* m, std::size_t rows, std::size_t cols, std::size_t ld)
    {
        for (std::size_t r = 0; r < rows; ++r)
        {
            const T* row = m + r * ld;
            for (std::size_t c = 0; c < cols; ++c)
                db[c] += row[c];
        }
    }

    // The end of every layer's backward: with dgx (T*B, G) = dL/d(input-side pre-activations),
    // dgh (T*B, G) = dL/d(W_hh h + b_hh), x (T*B, I) the layer input and h (T*B, H) the hidden
    // states h[0..T-1], the weight gradients are single GEMMs over all T*B rows, and dx is written.
    template <class T>
    void layer_weight_backward(const LayerGrads<T>& g, T* dx, const T* dgx, const T* dgh, const T* x, const T* h,
                               const LayerParams<T>& p, std::size_t rows, std::size_t G, std::size_t I, std::size_t H)
    {
        blas::gemm<T>(true, false, G, I, rows, T(1), dgx, G, x, I, T(1), g.w_ih, I);
        blas::gemm<T>(true, false, G, H, rows, T(1), dgh, G, h, H, T(1), g.w_hh, H);
        add_column_sums(g.b_ih, dgx, rows, G, G);
        add_column_sums(g.b_hh, dgh, rows, G, G);
        if (dx)
            blas::gemm<T>(false, false, rows, I, G, T(1), dgx, G, p.w_ih, I, T(0), dx, I);
    }

    // dst = src, or zeros when src is null
    template <class T>
    void copy_or_zero(T* dst, const T* src, std::size_t n)
    {
        if (src)
            std::copy(src, src + n, dst);
        else
            std::fill(dst, dst + n, T(0));
    }
}

#endif
