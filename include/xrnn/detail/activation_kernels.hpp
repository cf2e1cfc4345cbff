// xrnn/detail/activation_kernels.hpp -- the activation functions and their loops: the scalar
// op structs (value and derivative), their float forms for the vectorizer, AVX2/FMA builds of
// the loops chosen at run time, and the dispatch from an Activation to a loop. Included by
// activation.hpp; users call activation_forward / activation_backward from there.
#ifndef XRNN_DETAIL_ACTIVATION_KERNELS_HPP
#define XRNN_DETAIL_ACTIVATION_KERNELS_HPP

#include "xrnn/detail/fast_math.hpp"

#include <cmath>
#include <cstddef>
#include <cstring>
#include <type_traits>

namespace xrnn
{
    // ---------------------------------------------------------------------------------
    // The functions. value(x, alpha) and derivative(x, y, alpha) with y = value(x, alpha).
    namespace act
    {
        struct Identity
        {
            template <class T> static T value(T x, T) { return x; }
            template <class T> static T derivative(T, T, T) { return T(1); }
        };
        struct Sigmoid
        {
            // exp(-x) -> inf for very negative x gives 1/inf = 0: no NaN, no branch.
            template <class T> static T value(T x, T) { return T(1) / (T(1) + std::exp(-x)); }
            template <class T> static T derivative(T, T y, T) { return y * (T(1) - y); }
        };
        struct Tanh
        {
            template <class T> static T value(T x, T) { return std::tanh(x); }
            template <class T> static T derivative(T, T y, T) { return T(1) - y * y; }
        };
        struct Relu
        {
            template <class T> static T value(T x, T) { return x > T(0) ? x : T(0); }
            template <class T> static T derivative(T, T y, T) { return y > T(0) ? T(1) : T(0); }
        };
        struct LeakyRelu // alpha >= 0, so y > 0 exactly when x > 0
        {
            template <class T> static T value(T x, T a) { return x > T(0) ? x : a * x; }
            template <class T> static T derivative(T, T y, T a) { return y > T(0) ? T(1) : a; }
        };
        struct Elu // for x <= 0: y = a(e^x - 1), so f' = a e^x = y + a
        {
            template <class T> static T value(T x, T a) { return x > T(0) ? x : a * std::expm1(x); }
            template <class T> static T derivative(T, T y, T a) { return y > T(0) ? T(1) : y + a; }
        };
        struct Softsign // f' = 1/(1+|x|)^2 = (1-|y|)^2
        {
            template <class T> static T value(T x, T) { return x / (T(1) + std::abs(x)); }
            template <class T> static T derivative(T, T y, T)
            {
                const T u = T(1) - std::abs(y);
                return u * u;
            }
        };
        struct HardSigmoid // PyTorch's (and Keras 3's) relu6(x+3)/6: slope 1/6 on (-3, 3)
        {
            template <class T> static T value(T x, T)
            {
                const T y = x / T(6) + T(0.5);
                return y < T(0) ? T(0) : (y > T(1) ? T(1) : y);
            }
            template <class T> static T derivative(T, T y, T)
            {
                return (y > T(0) && y < T(1)) ? T(1) / T(6) : T(0);
            }
        };
        struct Swish // x * sigmoid(x), a.k.a. SiLU
        {
            template <class T> static T value(T x, T) { return x / (T(1) + std::exp(-x)); }
            template <class T> static T derivative(T x, T, T)
            {
                const T s = T(1) / (T(1) + std::exp(-x));
                return s * (T(1) + x * (T(1) - s));
            }
        };
        struct Softplus // log(1 + e^x), computed without overflow; f' = sigmoid(x) = 1 - e^-y
        {
            template <class T> static T value(T x, T)
            {
                return (x > T(0) ? x : T(0)) + std::log1p(std::exp(-std::abs(x)));
            }
            template <class T> static T derivative(T, T y, T) { return -std::expm1(-y); }
        };
        struct Mish // x * tanh(softplus(x))
        {
            template <class T> static T value(T x, T a) { return x * std::tanh(Softplus::value(x, a)); }
            template <class T> static T derivative(T x, T, T a)
            {
                const T t = std::tanh(Softplus::value(x, a));
                const T s = T(1) / (T(1) + std::exp(-x));
                return t + x * (T(1) - t * t) * s;
            }
        };
        struct Gelu // exact (erf) form, PyTorch's default: x * Phi(x)
        {
            template <class T> static T value(T x, T)
            {
                return T(0.5) * x * (T(1) + std::erf(x * T(0.70710678118654752440)));
            }
            template <class T> static T derivative(T x, T, T)
            {
                const T cdf = T(0.5) * (T(1) + std::erf(x * T(0.70710678118654752440)));
                const T pdf = T(0.39894228040143267794) * std::exp(T(-0.5) * x * x);
                return cdf + x * pdf;
            }
        };

        // Calls f(Op{}) for the activation's op struct; used outside element loops.
        template <class F>
        decltype(auto) dispatch(ActivationKind k, F&& f)
        {
            switch (k)
            {
            case ActivationKind::identity: return f(Identity{});
            case ActivationKind::sigmoid: return f(Sigmoid{});
            case ActivationKind::tanh: return f(Tanh{});
            case ActivationKind::relu: return f(Relu{});
            case ActivationKind::leaky_relu: return f(LeakyRelu{});
            case ActivationKind::elu: return f(Elu{});
            case ActivationKind::softsign: return f(Softsign{});
            case ActivationKind::hard_sigmoid: return f(HardSigmoid{});
            case ActivationKind::swish: return f(Swish{});
            case ActivationKind::mish: return f(Mish{});
            case ActivationKind::gelu: return f(Gelu{});
            case ActivationKind::softplus: return f(Softplus{});
            }
            return f(Identity{}); // unreachable: every enumerator is handled above
        }
    }

    namespace detail
    {
        // The float form of each activation, written for the vectorizer: the fast_math.hpp
        // kernels instead of std::exp/tanh/erf, and fast::select instead of ?: (see there
        // why). Identity and softsign have no ?: and are used as they are.
        template <class Op>
        struct FloatKernel
        {
            static XRNN_ALWAYS_INLINE float value(float x, float a) { return Op::value(x, a); }
            static XRNN_ALWAYS_INLINE float derivative(float x, float y, float a)
            {
                return Op::derivative(x, y, a);
            }
        };
        template <>
        struct FloatKernel<act::Sigmoid>
        {
            static XRNN_ALWAYS_INLINE float value(float x, float) { return fast::sigmoid(x); }
            static XRNN_ALWAYS_INLINE float derivative(float, float y, float)
            {
                return y * (1.0f - y);
            }
        };
        template <>
        struct FloatKernel<act::Tanh>
        {
            static XRNN_ALWAYS_INLINE float value(float x, float) { return fast::tanh(x); }
            static XRNN_ALWAYS_INLINE float derivative(float, float y, float)
            {
                return 1.0f - y * y;
            }
        };
        template <>
        struct FloatKernel<act::Relu>
        {
            static XRNN_ALWAYS_INLINE float value(float x, float)
            {
                return fast::select(x > 0.0f, x, 0.0f);
            }
            static XRNN_ALWAYS_INLINE float derivative(float, float y, float)
            {
                return fast::select(y > 0.0f, 1.0f, 0.0f);
            }
        };
        template <>
        struct FloatKernel<act::LeakyRelu>
        {
            static XRNN_ALWAYS_INLINE float value(float x, float a)
            {
                return fast::select(x > 0.0f, x, a * x);
            }
            static XRNN_ALWAYS_INLINE float derivative(float, float y, float a)
            {
                return fast::select(y > 0.0f, 1.0f, a);
            }
        };
        template <>
        struct FloatKernel<act::Elu>
        {
            static XRNN_ALWAYS_INLINE float value(float x, float a)
            {
                return fast::select(x > 0.0f, x, a * fast::expm1(x));
            }
            static XRNN_ALWAYS_INLINE float derivative(float, float y, float a)
            {
                return fast::select(y > 0.0f, 1.0f, y + a);
            }
        };
        template <>
        struct FloatKernel<act::HardSigmoid>
        {
            // (x + 3) / 6 rather than x / 6 + 0.5, which cancels near x = -3 (1e-4 relative
            // error at y ~ 1e-4); x + 3 is exact there. It is also PyTorch's own order.
            static XRNN_ALWAYS_INLINE float value(float x, float)
            {
                const float y = (x + 3.0f) / 6.0f;
                return fast::select(y < 0.0f, 0.0f, fast::select(y > 1.0f, 1.0f, y));
            }
            static XRNN_ALWAYS_INLINE float derivative(float, float y, float)
            {
                return fast::select((y > 0.0f) & (y < 1.0f), 1.0f / 6.0f, 0.0f);
            }
        };
        template <>
        struct FloatKernel<act::Softplus>
        {
            static XRNN_ALWAYS_INLINE float value(float x, float)
            {
                const float e = fast::exp(-fast::abs(x));
                return fast::select(x > 0.0f, x, 0.0f) + fast::log1p_unit(e);
            }
            static XRNN_ALWAYS_INLINE float derivative(float, float y, float)
            {
                return -fast::expm1(-y);
            }
        };
        template <>
        struct FloatKernel<act::Swish>
        {
            static XRNN_ALWAYS_INLINE float value(float x, float) { return x * fast::sigmoid(x); }
            // s (1 + x (1 - s)) with 1 - s = sigmoid(-x) computed as such: near s = 1 the
            // subtraction would lose what x then multiplies up.
            static XRNN_ALWAYS_INLINE float derivative(float x, float, float)
            {
                const float e = fast::exp(-fast::abs(x));
                const float r = 1.0f / (1.0f + e);
                const bool nonnegative = x >= 0.0f;
                const float s = fast::select(nonnegative, r, e * r);
                const float one_minus_s = fast::select(nonnegative, e * r, r);
                return s * (1.0f + x * one_minus_s);
            }
        };
        // mish = x tanh(softplus x). With u = e^x, tanh(log(1 + u)) = u(u + 2) / (u(u + 2) + 2),
        // and for x > 0 the same fraction scaled by e^-2x is (1 + 2e) / (1 + 2e + 2e^2) with
        // e = e^-x: one exp, no log, nothing to overflow. 1 - tanh^2 = gap (den + num) / den^2
        // with gap = den - num known exactly (2 or 2e^2), where 1 - t*t would cancel.
        struct MishParts
        {
            float e, num, den, gap;
        };
        XRNN_ALWAYS_INLINE MishParts mish_parts(float x)
        {
            const float e = fast::exp(-fast::abs(x));
            const bool positive = x > 0.0f;
            const float num = fast::select(positive, 1.0f + 2.0f * e, e * (e + 2.0f));
            const float gap = fast::select(positive, 2.0f * e * e, 2.0f);
            return {e, num, num + gap, gap};
        }
        template <>
        struct FloatKernel<act::Mish>
        {
            static XRNN_ALWAYS_INLINE float value(float x, float)
            {
                const MishParts m = mish_parts(x);
                return x * (m.num / m.den);
            }
            // t + x (1 - t^2) sigmoid(x), sigmoid(x) = (x >= 0 ? 1 : e) / (1 + e); the second
            // term as x times one bounded fraction, so no product overflows for huge |x|.
            static XRNN_ALWAYS_INLINE float derivative(float x, float, float)
            {
                const MishParts m = mish_parts(x);
                const float sigmoid_num = fast::select(x >= 0.0f, 1.0f, m.e);
                const float slope
                    = m.gap * (m.den + m.num) * sigmoid_num / (m.den * m.den * (1.0f + m.e));
                return m.num / m.den + x * slope;
            }
        };
        template <>
        struct FloatKernel<act::Gelu>
        {
            static XRNN_ALWAYS_INLINE float value(float x, float)
            {
                return x * fast::normal_cdf(x);
            }
            static XRNN_ALWAYS_INLINE float derivative(float x, float, float)
            {
                return fast::normal_cdf(x) + x * fast::normal_pdf(x);
            }
        };

        // The float loops go in blocks of 16 elements, each read into a local array, computed,
        // and only then written out. x and y (dx and dy) may be the same array, and over a
        // plain loop gcc guards the vector code with an overlap test that in-place calls
        // fail, so they ran scalar; a block reads all its inputs before it writes, whatever
        // the overlap, so there is nothing to test (and gcc keeps the arrays in registers).
        // Element-wise copies, not memcpy: gcc lowers a 64-byte memcpy into 16-byte moves
        // that 32-byte loads then stall on. The fixed count needs no epilogue, so even -O2's
        // very-cheap vectorizer takes it; 16 floats are two AVX2 or four SSE registers of
        // independent work to hide the latency of the exp polynomial. The tail goes through
        // the same block, zero-padded, so every element takes the same code path.
        constexpr std::size_t float_block = 16;

        template <class K>
        XRNN_ALWAYS_INLINE void forward_float_block(const float* x, float* y, float alpha)
        {
            float in[float_block];
            float out[float_block];
            for (std::size_t k = 0; k < float_block; ++k)
                in[k] = x[k];
            for (std::size_t k = 0; k < float_block; ++k)
                out[k] = K::value(in[k], alpha);
            for (std::size_t k = 0; k < float_block; ++k)
                y[k] = out[k];
        }

        template <class K>
        XRNN_ALWAYS_INLINE void forward_float_loop(const float* x, float* y, std::size_t n,
                                                   float alpha)
        {
            std::size_t i = 0;
            for (; i + float_block <= n; i += float_block)
                forward_float_block<K>(x + i, y + i, alpha);
            if (i < n)
            {
                float pad[float_block] = {};
                std::memcpy(pad, x + i, (n - i) * sizeof(float));
                forward_float_block<K>(pad, pad, alpha);
                std::memcpy(y + i, pad, (n - i) * sizeof(float));
            }
        }

        // with_x is a template argument: a run-time `x ? x[k] : 0` in the block would be a
        // conditional load, which keeps the loop scalar.
        template <class K, bool with_x>
        XRNN_ALWAYS_INLINE void backward_float_block(float* dx, const float* dy, const float* x,
                                                     const float* y, float alpha)
        {
            float in_dy[float_block];
            float in_x[float_block] = {};
            float in_y[float_block];
            float out[float_block];
            for (std::size_t k = 0; k < float_block; ++k)
                in_dy[k] = dy[k];
            if constexpr (with_x)
                for (std::size_t k = 0; k < float_block; ++k)
                    in_x[k] = x[k];
            for (std::size_t k = 0; k < float_block; ++k)
                in_y[k] = y[k];
            for (std::size_t k = 0; k < float_block; ++k)
                out[k] = in_dy[k] * K::derivative(in_x[k], in_y[k], alpha);
            for (std::size_t k = 0; k < float_block; ++k)
                dx[k] = out[k];
        }

        // x is null when the derivative does not need it; it then reads as 0.
        template <class K>
        XRNN_ALWAYS_INLINE void backward_float_loop(float* dx, const float* dy, const float* x,
                                                    const float* y, std::size_t n, float alpha)
        {
            std::size_t i = 0;
            if (x)
                for (; i + float_block <= n; i += float_block)
                    backward_float_block<K, true>(dx + i, dy + i, x + i, y + i, alpha);
            else
                for (; i + float_block <= n; i += float_block)
                    backward_float_block<K, false>(dx + i, dy + i, nullptr, y + i, alpha);
            if (i < n)
            {
                const std::size_t rest = (n - i) * sizeof(float);
                float pad_dy[float_block] = {};
                float pad_x[float_block] = {};
                float pad_y[float_block] = {};
                std::memcpy(pad_dy, dy + i, rest);
                if (x)
                    std::memcpy(pad_x, x + i, rest);
                std::memcpy(pad_y, y + i, rest);
                backward_float_block<K, true>(pad_dy, pad_dy, pad_x, pad_y, alpha);
                std::memcpy(dx + i, pad_dy, rest);
            }
        }

        // Baseline builds (SSE2 on x86-64) of the loops; public to the tests, which check
        // them next to whatever forward_float picks on the test machine.
        template <class K>
        void forward_float_baseline(const float* x, float* y, std::size_t n, float alpha)
        {
            forward_float_loop<K>(x, y, n, alpha);
        }
        template <class K>
        void backward_float_baseline(float* dx, const float* dy, const float* x, const float* y,
                                     std::size_t n, float alpha)
        {
            backward_float_loop<K>(dx, dy, x, y, n, alpha);
        }

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define XRNN_FLOAT_AVX2_LOOPS 1
        // The same loops built for AVX2 + FMA (8 lanes, fused multiply-adds), chosen at run
        // time: -march=native would tie the binary to the build machine. Explicit dispatch
        // rather than target_clones, so no ifunc is needed and the baseline build stays
        // callable by name (the tests check both builds on an AVX2 machine).
        template <class K>
        __attribute__((target("avx2,fma"))) void forward_float_avx2(const float* x, float* y,
                                                                    std::size_t n, float alpha)
        {
            forward_float_loop<K>(x, y, n, alpha);
        }
        template <class K>
        __attribute__((target("avx2,fma"))) void backward_float_avx2(float* dx, const float* dy,
                                                                     const float* x, const float* y,
                                                                     std::size_t n, float alpha)
        {
            backward_float_loop<K>(dx, dy, x, y, n, alpha);
        }
        inline bool cpu_has_avx2_fma()
        {
            static const bool has = [] {
                __builtin_cpu_init(); // in case this runs before libgcc's own initializer
                return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
            }();
            return has;
        }
#endif

        template <class K>
        void forward_float(const float* x, float* y, std::size_t n, float alpha)
        {
#ifdef XRNN_FLOAT_AVX2_LOOPS
            if (cpu_has_avx2_fma())
                return forward_float_avx2<K>(x, y, n, alpha);
#endif
            forward_float_baseline<K>(x, y, n, alpha);
        }
        template <class K>
        void backward_float(float* dx, const float* dy, const float* x, const float* y,
                            std::size_t n, float alpha)
        {
#ifdef XRNN_FLOAT_AVX2_LOOPS
            if (cpu_has_avx2_fma())
                return backward_float_avx2<K>(dx, dy, x, y, n, alpha);
#endif
            backward_float_baseline<K>(dx, dy, x, y, n, alpha);
        }
    }
}

#endif
