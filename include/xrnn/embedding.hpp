// xrnn/embedding.hpp -- token embedding: a lookup table of rows, and its scatter-add backward.
#ifndef XRNN_EMBEDDING_HPP
#define XRNN_EMBEDDING_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>

namespace xrnn
{
    // out (n, dim) = table[tokens[i]] for each of the n tokens; table is (vocab, dim).
    template <class T>
    void embedding_forward(T* out, const T* table, const std::int32_t* tokens, std::size_t n, std::size_t dim)
    {
        for (std::size_t i = 0; i < n; ++i)
            std::copy(table + std::size_t(tokens[i]) * dim, table + (std::size_t(tokens[i]) + 1) * dim, out + i * dim);
    }

    // dtable[tokens[i]] += dout[i]  (accumulates, as every backward here)
    template <class T>
    void embedding_backward(T* dtable, const T* dout, const std::int32_t* tokens, std::size_t n, std::size_t dim)
    {
        for (std::size_t i = 0; i < n; ++i)
        {
            T* row = dtable + std::size_t(tokens[i]) * dim;
            const T* d = dout + i * dim;
            for (std::size_t j = 0; j < dim; ++j)
                row[j] += d[j];
        }
    }
}

#endif
