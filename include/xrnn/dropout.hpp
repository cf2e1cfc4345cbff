// xrnn/dropout.hpp -- inverted dropout (Srivastava et al. 2014) over a flat buffer.
//
// Training: keep each element with probability 1-p and scale it by 1/(1-p), so evaluation is
// the identity. The mask (0 or 1/(1-p)) is kept for backward. Deterministic given the Rng.
#ifndef XRNN_DROPOUT_HPP
#define XRNN_DROPOUT_HPP

#include "xrnn/random.hpp"

#include <cstddef>

namespace xrnn
{
    // y = x * mask with a fresh mask; y may alias x.
    template <class T>
    void dropout_forward(T* y, T* mask, const T* x, std::size_t n, double p, Rng& rng)
    {
        const T scale = static_cast<T>(1.0 / (1.0 - p));
        // 64 random bits give 4 draws of 16 bits: the keep test needs no more resolution
        const auto threshold = static_cast<std::uint32_t>(p * 65536.0);
        std::uint64_t bits = 0;
        for (std::size_t i = 0; i < n; ++i)
        {
            if (i % 4 == 0)
                bits = rng.next_u64();
            const auto u = static_cast<std::uint32_t>(bits & 0xFFFF);
            bits >>= 16;
            mask[i] = u >= threshold ? scale : T(0);
            y[i] = x[i] * mask[i];
        }
    }

    // dx = dy * mask; dx may alias dy.
    template <class T>
    void dropout_backward(T* dx, const T* dy, const T* mask, std::size_t n)
    {
        for (std::size_t i = 0; i < n; ++i)
            dx[i] = dy[i] * mask[i];
    }
}

#endif
