// xrnn/fast_math.hpp -- branch-free float exp, expm1, log1p, tanh, sigmoid and normal cdf that
// the compiler can vectorize (private to activation.hpp).
//
// Why: libm's expf/tanhf/erff are opaque calls, so without -ffast-math a loop calling them
// stays scalar, and in an LSTM the gate activations then cost as much as the GEMMs. These
// are plain arithmetic, selects and bit moves (memcpy, never unions), so a loop over them
// becomes SIMD code. Accuracy: a few ulp against the correctly rounded result over the whole
// float range (checked in tests/test_activation.cpp); finite in, finite out where the true
// value is finite; NaN propagates. Selects are written `x < lo ? lo : x` so that a NaN x
// falls through to the result. Double stays on std:: (the gradient checks need it exact).
#ifndef XRNN_FAST_MATH_HPP
#define XRNN_FAST_MATH_HPP

#include <cstdint>
#include <cstring>

#if defined(__GNUC__)
#define XRNN_ALWAYS_INLINE inline __attribute__((always_inline))
#else
#define XRNN_ALWAYS_INLINE inline
#endif

namespace xrnn::fast
{
    namespace detail
    {
        XRNN_ALWAYS_INLINE std::uint32_t bits(float f)
        {
            std::uint32_t u;
            std::memcpy(&u, &f, sizeof u);
            return u;
        }
        XRNN_ALWAYS_INLINE float from_bits(std::uint32_t u)
        {
            float f;
            std::memcpy(&f, &u, sizeof f);
            return f;
        }
        // 2^k for a normal exponent, -126 <= k <= 127, built in the exponent field.
        XRNN_ALWAYS_INLINE float pow2(std::int32_t k)
        {
            return from_bits(static_cast<std::uint32_t>(k + 127) << 23);
        }

        constexpr float log2e = 1.44269504088896341f;
        // ln 2 = ln2_hi + ln2_lo with ln2_hi = 355/512: n * ln2_hi is exact for |n| < 2^15,
        // so x - n ln 2 loses nothing to cancellation (Cody and Waite).
        constexpr float ln2_hi = 0.693359375f;
        constexpr float ln2_lo = -2.12194440e-4f;
        // Adding 1.5 * 2^23 rounds a float with |f| < 2^22 to an integer (round to nearest
        // even, no libm call, no float-to-int conversion that a NaN would make undefined);
        // the integer then sits in the low mantissa bits of the sum.
        constexpr float round_magic = 12582912.0f;

        // Splits x = n ln 2 + r, |r| <= ln 2 / 2 (plus rounding), for |x| < 2^21.
        struct Reduced
        {
            float r;
            std::int32_t n;
        };
        XRNN_ALWAYS_INLINE Reduced reduce_ln2(float x)
        {
            const float shifted = x * log2e + round_magic;
            const float n = shifted - round_magic;
            // unsigned wrap-around, then the implementation-defined (two's complement in
            // gcc and clang) conversion: no signed overflow even for NaN bit patterns
            const std::int32_t k = static_cast<std::int32_t>(bits(shifted) - bits(round_magic));
            const float r = (x - n * ln2_hi) - n * ln2_lo;
            return {r, k};
        }

        // exp(r) - 1 - r over |r| <= ln 2 / 2 as r^2 * poly(r): Cephes expf's minimax
        // coefficients, about 1 ulp in float.
        XRNN_ALWAYS_INLINE float expm1_reduced(float r)
        {
            float p = 1.9875691500e-4f;
            p = p * r + 1.3981999507e-3f;
            p = p * r + 8.3334519073e-3f;
            p = p * r + 4.1665795894e-2f;
            p = p * r + 1.6666665459e-1f;
            p = p * r + 5.0000001201e-1f;
            return p * (r * r) + r;
        }
    }

    // e^x. Clamped to [-105, 89]: outside, the result is 0 or inf anyway, and inside, 2^n is
    // applied as two normal factors 2^(n/2) 2^(n - n/2) so results down to the smallest
    // denormal come out graded instead of flushed.
    XRNN_ALWAYS_INLINE float exp(float x)
    {
        x = x < -105.0f ? -105.0f : x;
        x = x > 89.0f ? 89.0f : x;
        const detail::Reduced red = detail::reduce_ln2(x);
        const std::int32_t n_half = red.n >> 1;
        const float y = detail::expm1_reduced(red.r) + 1.0f;
        return y * detail::pow2(n_half) * detail::pow2(red.n - n_half);
    }

    // e^x - 1, accurate in relative terms near 0 (where e^x - 1 cancels).
    // With s = 2^(n-1): e^x - 1 = 2^n (e^r - 1) + 2^n - 1 = 2 (s q + (s - 1/2)); s - 1/2 is
    // exact for the n that matter, and the factor 2 keeps n = 128 (x near 88.7) in range.
    XRNN_ALWAYS_INLINE float expm1(float x)
    {
        x = x < -30.0f ? -30.0f : x; // e^-30 < 2^-24 ulp(1)/2: the result is -1 from here down
        x = x > 89.0f ? 89.0f : x;
        const detail::Reduced red = detail::reduce_ln2(x);
        const float q = detail::expm1_reduced(red.r);
        const float s = detail::pow2(red.n - 1);
        return 2.0f * (s * q + (s - 0.5f));
    }

    // log(1 + u) for 0 <= u <= 1 (what softplus needs: u = e^-|x|), relative error ~1 ulp.
    // log(1 + u) = 2 atanh(s) with s = u / (2 + u) <= 1/3, so the odd series
    // 2 (s + s^3/3 + s^5/5 + ...) converges by 1/9 per term; eight terms reach 1e-9.
    XRNN_ALWAYS_INLINE float log1p_unit(float u)
    {
        const float s = u / (2.0f + u);
        const float z = s * s;
        float p = 1.0f / 17.0f;
        p = p * z + 1.0f / 15.0f;
        p = p * z + 1.0f / 13.0f;
        p = p * z + 1.0f / 11.0f;
        p = p * z + 1.0f / 9.0f;
        p = p * z + 1.0f / 7.0f;
        p = p * z + 1.0f / 5.0f;
        p = p * z + 1.0f / 3.0f;
        const float two_s = 2.0f * s;
        return two_s + two_s * (z * p);
    }

    // 1 / (1 + e^-x), from e = e^-|x| so nothing overflows: 1/(1+e) for x >= 0 and
    // e/(1+e) for x < 0, where 1 - 1/(1+e) would cancel.
    XRNN_ALWAYS_INLINE float sigmoid(float x)
    {
        const float e = exp(-(x < 0.0f ? -x : x));
        return (x >= 0.0f ? 1.0f : e) / (1.0f + e);
    }

    // tanh x = sign(x) (1 - e) / (1 + e) with e = e^(-2|x|); below |x| = 0.625, where 1 - e
    // cancels, Cephes tanhf's odd polynomial x + x^3 P(x^2) instead. Both are computed and
    // one is selected (vector code runs both anyway); the sign is copied back bitwise, so
    // tanh(-0) = -0.
    XRNN_ALWAYS_INLINE float tanh(float x)
    {
        const float a = detail::from_bits(detail::bits(x) & 0x7fffffffu);
        const float e = exp(-2.0f * a);
        const float big = (1.0f - e) / (1.0f + e);
        const float z = a * a;
        float p = -5.70498872745e-3f;
        p = p * z + 2.06390887954e-2f;
        p = p * z - 5.37397155531e-2f;
        p = p * z + 1.33314422036e-1f;
        p = p * z - 3.33332819422e-1f;
        const float small = a + a * (z * p);
        const float t = a < 0.625f ? small : big;
        return detail::from_bits(detail::bits(t) | (detail::bits(x) & 0x80000000u));
    }
}

#endif
