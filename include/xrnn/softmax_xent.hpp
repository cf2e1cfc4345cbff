// xrnn/softmax_xent.hpp -- softmax cross-entropy over rows of logits, mean over rows (nats),
// fused with its backward: dlogits = (softmax(logits) - onehot(target)) / rows.
#ifndef XRNN_SOFTMAX_XENT_HPP
#define XRNN_SOFTMAX_XENT_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace xrnn
{
    // Returns the mean loss; writes dlogits (rows, V) when it is not null. Accumulates in
    // double: a mean over ~1e5 float terms would otherwise lose digits.
    template <class T>
    double softmax_xent(T* dlogits, const T* logits, const std::int32_t* targets, std::size_t rows, std::size_t V)
    {
        double total = 0;
        const T inv_rows = T(1) / static_cast<T>(rows);
        for (std::size_t r = 0; r < rows; ++r)
        {
            const T* z = logits + r * V;
            T mx = z[0];
            for (std::size_t j = 1; j < V; ++j)
                mx = z[j] > mx ? z[j] : mx;
            double sum = 0;
            for (std::size_t j = 0; j < V; ++j)
                sum += std::exp(static_cast<double>(z[j] - mx));
            const double log_sum = std::log(sum);
            total += log_sum - static_cast<double>(z[targets[r]] - mx);
            if (dlogits)
            {
                T* d = dlogits + r * V;
                const double inv_sum = 1.0 / sum;
                for (std::size_t j = 0; j < V; ++j)
                    d[j] = static_cast<T>(std::exp(static_cast<double>(z[j] - mx)) * inv_sum) * inv_rows;
                d[targets[r]] -= inv_rows;
            }
        }
        return total / static_cast<double>(rows);
    }
}

#endif
