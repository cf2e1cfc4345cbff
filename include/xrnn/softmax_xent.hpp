// xrnn/softmax_xent.hpp -- softmax cross-entropy over rows of logits, mean over rows (nats),
// fused with its backward: dlogits = (softmax(logits) - onehot(target)) / rows.
// A target of kIgnoreTarget (-1) marks a row that does not count (PyTorch's CrossEntropyLoss
// with ignore_index=-1): no loss, zero dlogits, and the mean is over the counted rows only.
// With mask_padded_targets that is the many-to-many (tagging) loss over the valid steps of
// sequences of different lengths.
#ifndef XRNN_SOFTMAX_XENT_HPP
#define XRNN_SOFTMAX_XENT_HPP

#include "xrnn/check.hpp"

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

namespace xrnn
{
    constexpr std::int32_t kIgnoreTarget = -1;

    // Returns the mean loss over the rows whose target is not kIgnoreTarget (0 when there are
    // none); writes dlogits (rows, V) when it is not null: ignored rows get zeros. dlogits may
    // alias logits (the char model overwrites its logits). Accumulates in double: a mean over
    // ~1e5 float terms would otherwise lose digits. Targets are not checked here (this is the
    // hot loop): check_targets validates them at the boundary.
    template <class T>
    double softmax_xent(T* dlogits, const T* logits, const std::int32_t* targets, std::size_t rows, std::size_t V)
    {
        std::size_t counted = 0;
        for (std::size_t r = 0; r < rows; ++r)
            counted += targets[r] != kIgnoreTarget;
        double total = 0;
        // when no row is ignored this is 1/rows, as before ignore_index existed (same bits)
        const T inv_rows = counted ? T(1) / static_cast<T>(counted) : T(0);
        for (std::size_t r = 0; r < rows; ++r)
        {
            const T* z = logits + r * V;
            if (targets[r] == kIgnoreTarget)
            {
                if (dlogits)
                    for (std::size_t j = 0; j < V; ++j)
                        dlogits[r * V + j] = T(0);
                continue;
            }
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
        return counted ? total / static_cast<double>(counted) : 0.0;
    }

    // Throws std::invalid_argument naming the first row whose target is neither in [0, V) nor
    // kIgnoreTarget. Call it where targets enter (data loading, a public API), not per step.
    inline void check_targets(const std::int32_t* targets, std::size_t rows, std::size_t V)
    {
        for (std::size_t r = 0; r < rows; ++r)
        {
            const std::int32_t t = targets[r];
            XRNN_CHECK(t == kIgnoreTarget || (t >= 0 && static_cast<std::size_t>(t) < V),
                       "softmax_xent: target " + std::to_string(t) + " at row " + std::to_string(r)
                           + " is outside [0, " + std::to_string(V) + ") and is not the ignore value "
                           + std::to_string(kIgnoreTarget));
        }
    }

    // targets (T, B), t-major as the rows of a Recurrent's y: targets[t*B + b] = kIgnoreTarget
    // for every step t >= lengths[b], so softmax_xent averages over the valid steps only.
    // lengths (B) may be null: all steps are valid, nothing changes.
    inline void mask_padded_targets(std::int32_t* targets, const std::size_t* lengths, std::size_t steps,
                                    std::size_t batch)
    {
        if (!lengths)
            return;
        for (std::size_t b = 0; b < batch; ++b)
            for (std::size_t t = lengths[b]; t < steps; ++t)
                targets[t * batch + b] = kIgnoreTarget;
    }
}

#endif
