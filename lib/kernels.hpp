// lib/kernels.hpp -- small row-wise loops and the batch split shared by the cells (private to lib/).
#ifndef XRNN_LIB_KERNELS_HPP
#define XRNN_LIB_KERNELS_HPP

#include "xrnn/blas.hpp"
#include "xrnn/layer.hpp"
#include "parallel.hpp"

#include <algorithm>
#include <cstddef>

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
