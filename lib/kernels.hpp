// lib/kernels.hpp -- small row-wise loops shared by the cells (private to lib/).
#ifndef XRNN_LIB_KERNELS_HPP
#define XRNN_LIB_KERNELS_HPP

#include <algorithm>
#include <cstddef>

namespace xrnn::kernels
{
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
