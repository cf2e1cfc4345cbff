// xrnn/detail/fast_math.hpp -- branch-free float exp, expm1, log1p, tanh, sigmoid and normal cdf that
// the compiler can vectorize (private to activation.hpp).
//
// Why: libm's expf/tanhf/erff are opaque calls, so without -ffast-math a loop calling them
// stays scalar, and in an LSTM the gate activations then cost as much as the GEMMs. These
// are plain arithmetic, bit-mask selects and bit moves (memcpy, never unions), so a loop over
// them becomes SIMD code. Accuracy: a few ulp against the correctly rounded result over the
// whole float range (checked in tests/test_activation.cpp); finite in, finite out where the
// true value is finite; NaN propagates (every clamp is select(x < lo, lo, x), which keeps a
// NaN x). Double stays on std:: (the gradient checks need it exact).
#ifndef XRNN_DETAIL_FAST_MATH_HPP
#define XRNN_DETAIL_FAST_MATH_HPP

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
    }

    // c ? a : b as a bit mask. A plain ?: lets gcc's PRE move the arithmetic that follows into
    // the two arms (e.g. 2 * (x < lo ? lo : x) becomes a constant on one side), and then, as
    // floating-point operations may trap (-ftrapping-math, the default), if-conversion gives
    // up and the whole loop stays scalar. Masks compile to cmpps + and/andn/or (or a blend).
    XRNN_ALWAYS_INLINE float select(bool c, float a, float b)
    {
        const std::uint32_t mask = 0u - static_cast<std::uint32_t>(c);
        return detail::from_bits((detail::bits(a) & mask) | (detail::bits(b) & ~mask));
    }

    // |x|, and x with the sign of s, bitwise.
    XRNN_ALWAYS_INLINE float abs(float x)
    {
        return detail::from_bits(detail::bits(x) & 0x7fffffffu);
    }
    XRNN_ALWAYS_INLINE float copysign(float x, float s)
    {
        return detail::from_bits((detail::bits(x) & 0x7fffffffu) | (detail::bits(s) & 0x80000000u));
    }

    namespace detail
    {
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

        // e^r - 1 over |r| <= ln 2 / 2 as r + r^2 poly(r), with Cephes expf's minimax
        // coefficients (exp from it measures under 1 ulp).
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
        x = select(x < -105.0f, -105.0f, x);
        x = select(x > 89.0f, 89.0f, x);
        const detail::Reduced red = detail::reduce_ln2(x);
        const std::int32_t n_half = red.n >> 1;
        const float y = detail::expm1_reduced(red.r) + 1.0f;
        return y * detail::pow2(n_half) * detail::pow2(red.n - n_half);
    }

    namespace detail
    {
        // e^(hi + lo) where lo carries bits that hi + lo would round away: the reduction
        // subtracts n ln 2 from hi (exactly, hi and n ln2_hi being close) before adding lo.
        XRNN_ALWAYS_INLINE float exp_hilo(float hi, float lo)
        {
            float s = hi + lo;
            const bool underflows = s < -104.0f; // e^-104 < 2^-150 rounds to 0
            s = select(s < -105.0f, -105.0f, s);
            s = select(s > 89.0f, 89.0f, s);
            const float n = (s * log2e + round_magic) - round_magic;
            const std::int32_t k = static_cast<std::int32_t>(
                bits(s * log2e + round_magic) - bits(round_magic));
            const float r = ((hi - n * ln2_hi) + lo) - n * ln2_lo;
            const std::int32_t k_half = k >> 1;
            const float y = (expm1_reduced(r) + 1.0f) * pow2(k_half) * pow2(k - k_half);
            return select(underflows, 0.0f, y);
        }

        // -a^2/2 = hi + lo without the rounding error of a*a, which would be
        // |a^2/2| * 2^-24 in the exponent, i.e. a relative error of 3e-6 in e^(-a^2/2) at
        // a = 10. a_hi keeps the top 12 significand bits, so a_hi^2 is exact (Dekker).
        struct HiLo
        {
            float hi, lo;
        };
        XRNN_ALWAYS_INLINE HiLo neg_half_square(float a)
        {
            const float a_hi = from_bits(bits(a) & 0xfffff000u);
            const float a_lo = a - a_hi;
            return {-0.5f * (a_hi * a_hi), -0.5f * (a_lo * (a + a_hi))};
        }
    }

    // e^x - 1, accurate in relative terms near 0 (where e^x - 1 cancels).
    // With s = 2^(n-1): e^x - 1 = 2^n (e^r - 1) + 2^n - 1 = 2 (s q + (s - 1/2)); s - 1/2 is
    // exact for |n| <= 24 and beyond rounds by less than the result's ulp, and the factor 2
    // keeps n = 128 (x near 88.7) in range. For n = 0 the result is q itself.
    XRNN_ALWAYS_INLINE float expm1(float x)
    {
        x = select(x < -30.0f, -30.0f, x); // e^-30 < ulp(1)/4: the result is -1 from here down
        x = select(x > 89.0f, 89.0f, x);
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
        const float e = exp(-abs(x));
        return select(x >= 0.0f, 1.0f, e) / (1.0f + e);
    }

    // tanh x = sign(x) (1 - e) / (1 + e) with e = e^(-2|x|); below |x| = 0.625, where 1 - e
    // cancels, Cephes tanhf's odd polynomial x + x^3 P(x^2) instead. Both are computed and
    // one is selected (vector code runs both anyway); the sign is copied back bitwise, so
    // tanh(-0) = -0.
    XRNN_ALWAYS_INLINE float tanh(float x)
    {
        const float a = abs(x);
        const float e = exp(-2.0f * a);
        const float big = (1.0f - e) / (1.0f + e);
        const float z = a * a;
        float p = -5.70498872745e-3f;
        p = p * z + 2.06390887954e-2f;
        p = p * z - 5.37397155531e-2f;
        p = p * z + 1.33314422036e-1f;
        p = p * z - 3.33332819422e-1f;
        const float small = a + a * (z * p);
        return copysign(select(a < 0.625f, small, big), x);
    }

    // Phi(x), the standard normal cdf, relative error a few ulp also far in the lower tail
    // (what gelu = x Phi(x) needs for x < 0; 1 - Phi for x > 0 only needs absolute accuracy,
    // and 0.5 + 0.5 erf, libm's way, keeps none in the lower tail). With z = |x|/sqrt 2 and
    // t = 2/(2 + z): erfc z = t exp(-z^2 + Q(t)), the form of Numerical Recipes' erfccheb.
    // Q is a degree-11 polynomial in w = t - 1 (so Q(0) = 0 needs no cancellation), fitted
    // with mpmath's chebyfit to log(erfc(z) e^(z^2) / t) over 0 <= z <= 10.5 (max error
    // 3e-9). -z^2 goes into the exp as hi + lo; beyond |x| = 14.8 Phi is 0 or 1 in float.
    XRNN_ALWAYS_INLINE float normal_cdf(float x)
    {
        const float a = select(abs(x) > 14.8f, 14.8f, abs(x));
        const float z = a * 0.707106781186547524f;
        const float t = 2.0f / (2.0f + z);
        const float w = t - 1.0f;
        // Estrin's scheme: 4 dependent steps instead of Horner's 11 (latency, not op count,
        // limits this loop)
        const float w2 = w * w;
        const float w4 = w2 * w2;
        const float q01 = 1.2567575168e+00f * w - 2.3888912379e-09f;
        const float q23 = -1.6243621320e-01f * w - 3.0328332639e-01f;
        const float q45 = -1.2716586823e-01f * w + 1.8218461488e-01f;
        const float q67 = -6.5870012688e-01f * w - 3.4781690035e-01f;
        const float q89 = -1.1591633779e+00f * w - 1.2247488694e+00f;
        const float q1011 = -7.7986394558e-02f * w - 5.0057092217e-01f;
        const float q0_3 = q23 * w2 + q01;
        const float q4_7 = q67 * w2 + q45;
        const float q8_11 = q1011 * w2 + q89;
        const float q = (q8_11 * w4 + q4_7) * w4 + q0_3;
        const detail::HiLo e = detail::neg_half_square(a);
        const float lower_tail = 0.5f * t * detail::exp_hilo(e.hi, e.lo + q); // Phi(-|x|)
        return select(x < 0.0f, lower_tail, 1.0f - lower_tail);
    }

    // phi(x) = e^(-x^2/2) / sqrt(2 pi), the standard normal density. |x| is capped at 16,
    // where phi is 0 in float already: an inf in the hi/lo split would turn into a NaN.
    XRNN_ALWAYS_INLINE float normal_pdf(float x)
    {
        const detail::HiLo e = detail::neg_half_square(select(abs(x) > 16.0f, 16.0f, abs(x)));
        return 0.398942280401432678f * detail::exp_hilo(e.hi, e.lo);
    }
}

#endif
