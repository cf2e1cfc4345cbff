// xrnn/linear.hpp -- a dense layer y = x W^T + b over many rows at once (the char model's head).
#ifndef XRNN_LINEAR_HPP
#define XRNN_LINEAR_HPP

#include "xrnn/blas.hpp"

#include <cstddef>

namespace xrnn
{
    // y (rows, out) = x (rows, in) W^T + b;  W is (out, in) as in PyTorch's nn.Linear.
    template <class T>
    void linear_forward(T* y, const T* x, const T* w, const T* b, std::size_t rows, std::size_t in, std::size_t out)
    {
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t j = 0; j < out; ++j)
                y[r * out + j] = b[j];
        blas::gemm<T>(false, true, rows, out, in, T(1), x, in, w, in, T(1), y, out);
    }

    // dW += dy^T x, db += column sums of dy, dx = dy W (written, if dx is not null).
    template <class T>
    void linear_backward(T* dx, T* dw, T* db, const T* dy, const T* x, const T* w, std::size_t rows,
                         std::size_t in, std::size_t out)
    {
        blas::gemm<T>(true, false, out, in, rows, T(1), dy, out, x, in, T(1), dw, in);
        for (std::size_t r = 0; r < rows; ++r)
            for (std::size_t j = 0; j < out; ++j)
                db[j] += dy[r * out + j];
        if (dx)
            blas::gemm<T>(false, false, rows, in, out, T(1), dy, out, w, in, T(0), dx, in);
    }
}

#endif
