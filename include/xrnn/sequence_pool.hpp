// xrnn/sequence_pool.hpp -- many-to-one heads: reduce a Recurrent's output y (T, B, D*H) over
// time to one row per sequence, out (B, D*H), and the backward that routes dout back into dy.
//
//   last: PyTorch's h_n of the top layer. The forward direction (columns [0,H)) ends at step
//         len_b - 1; the reverse direction (columns [H,2H)) runs from len_b - 1 down to 0, so
//         its final state is the output at step 0.
//   mean: average over the valid steps t < len_b.
//   max:  elementwise max over the valid steps; argmax (B, D*H) keeps the winning step for
//         backward (the subgradient goes to that one step; ties go to the earliest).
// Steps at or past a sequence's length are never read and never receive gradient, so padding
// may hold anything. Not here: attention pooling, masks other than lengths.
#ifndef XRNN_SEQUENCE_POOL_HPP
#define XRNN_SEQUENCE_POOL_HPP

#include "xrnn/check.hpp"
#include "xrnn/detail/name_table.hpp"

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace xrnn
{
    enum class PoolKind
    {
        last,
        mean,
        max,
    };

    inline constexpr std::array<detail::Named<PoolKind>, 3> pool_table{
        {{PoolKind::last, "last"}, {PoolKind::mean, "mean"}, {PoolKind::max, "max"}}};
    // throws std::invalid_argument "xrnn: unknown pool 'x'; valid: last, mean, max"
    inline PoolKind pool_from_name(std::string_view name) { return detail::from_name(pool_table, name, "pool"); }
    inline std::string pool_name(PoolKind k) { return detail::name_of(pool_table, k); }
    inline std::vector<std::string> pool_names() { return detail::names_of(pool_table); }

    namespace detail
    {
        // lengths may be null (every sequence runs all steps); checked once per call, per row
        inline std::size_t pool_length(const std::size_t* lengths, std::size_t b, std::size_t steps)
        {
            const std::size_t len = lengths ? lengths[b] : steps;
            XRNN_CHECK(len >= 1 && len <= steps, "pool: length " + std::to_string(len) + " of sequence "
                                                     + std::to_string(b) + " is outside 1.." + std::to_string(steps));
            return len;
        }
    }

    // ----------------------------------------------------------------------------------------
    // out (B, D*H) from y (T, B, D*H); argmax (B, D*H) is written for max (required there, may
    // be null otherwise); lengths (B) may be null: all T.
    template <class T>
    void pool_forward(T* out, std::size_t* argmax, const T* y, const std::size_t* lengths, std::size_t steps,
                      std::size_t batch, std::size_t hidden, std::size_t directions, PoolKind kind)
    {
        XRNN_CHECK(directions == 1 || directions == 2, "pool: directions must be 1 or 2, got " + std::to_string(directions));
        XRNN_CHECK(kind != PoolKind::max || argmax, "pool: max needs an argmax buffer (B, D*H) for its backward");
        const std::size_t C = directions * hidden, stride = batch * C; // stride: one step of y
        for (std::size_t b = 0; b < batch; ++b)
        {
            const std::size_t len = detail::pool_length(lengths, b, steps);
            T* o = out + b * C;
            const T* yb = y + b * C; // row b at step 0
            switch (kind)
            {
            case PoolKind::last:
                for (std::size_t c = 0; c < C; ++c)
                    o[c] = c < hidden ? yb[(len - 1) * stride + c] : yb[c]; // reverse: step 0
                break;
            case PoolKind::mean:
                for (std::size_t c = 0; c < C; ++c)
                    o[c] = T(0);
                for (std::size_t t = 0; t < len; ++t)
                    for (std::size_t c = 0; c < C; ++c)
                        o[c] += yb[t * stride + c];
                for (std::size_t c = 0; c < C; ++c)
                    o[c] /= static_cast<T>(len);
                break;
            case PoolKind::max:
            {
                std::size_t* a = argmax + b * C;
                for (std::size_t c = 0; c < C; ++c)
                {
                    o[c] = yb[c];
                    a[c] = 0;
                }
                for (std::size_t t = 1; t < len; ++t)
                    for (std::size_t c = 0; c < C; ++c)
                        if (yb[t * stride + c] > o[c])
                        {
                            o[c] = yb[t * stride + c];
                            a[c] = t;
                        }
                break;
            }
            }
        }
    }

    // dy (T, B, D*H) += d out / d y applied to dout (B, D*H); argmax from the forward (max only).
    // Steps past a length are left as they were.
    template <class T>
    void pool_backward(T* dy, const T* dout, const std::size_t* argmax, const std::size_t* lengths,
                       std::size_t steps, std::size_t batch, std::size_t hidden, std::size_t directions,
                       PoolKind kind)
    {
        XRNN_CHECK(directions == 1 || directions == 2, "pool: directions must be 1 or 2, got " + std::to_string(directions));
        XRNN_CHECK(kind != PoolKind::max || argmax, "pool: max backward needs the forward's argmax");
        const std::size_t C = directions * hidden, stride = batch * C;
        for (std::size_t b = 0; b < batch; ++b)
        {
            const std::size_t len = detail::pool_length(lengths, b, steps);
            const T* d = dout + b * C;
            T* dyb = dy + b * C;
            switch (kind)
            {
            case PoolKind::last:
                for (std::size_t c = 0; c < C; ++c)
                    dyb[(c < hidden ? (len - 1) * stride : 0) + c] += d[c];
                break;
            case PoolKind::mean:
                for (std::size_t t = 0; t < len; ++t)
                    for (std::size_t c = 0; c < C; ++c)
                        dyb[t * stride + c] += d[c] / static_cast<T>(len);
                break;
            case PoolKind::max:
                for (std::size_t c = 0; c < C; ++c)
                    dyb[argmax[b * C + c] * stride + c] += d[c];
                break;
            }
        }
    }
}

#endif
