// xrnn/activation.hpp -- the element-wise activations used as gate and candidate functions.
//
// Each activation is a small struct with value(x) and derivative(x, y) where y = value(x):
// sigmoid, tanh, relu, ... take the derivative from the output y (so caches keep only y,
// as tinygrad's Sigmoid keeps `ret`); swish, mish and gelu are not invertible and need the
// pre-activation x, which the cells then keep (see derivative_needs_input).
// Selection is by enum or by Keras-style name; the dispatch happens once per row block,
// outside the element loops, so every choice runs a tight loop of its own.
// Not here: softmax (that belongs to the loss).
#ifndef XRNN_ACTIVATION_HPP
#define XRNN_ACTIVATION_HPP

#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace xrnn
{
    enum class ActivationKind
    {
        identity,
        sigmoid,
        tanh,
        relu,
        leaky_relu,
        elu,
        softsign,
        hard_sigmoid,
        swish,
        mish,
        gelu,
        softplus,
    };

    // An activation with its parameter (alpha for leaky_relu and elu; unused otherwise).
    struct Activation
    {
        ActivationKind kind = ActivationKind::tanh;
        double alpha = 0.0;

        Activation() = default;
        Activation(ActivationKind k); // NOLINT: implicit on purpose, ActivationKind::tanh reads well
        Activation(ActivationKind k, double a);
        bool operator==(const Activation& o) const { return kind == o.kind && alpha == o.alpha; }
        bool operator!=(const Activation& o) const { return !(*this == o); }
    };

    // "tanh", "sigmoid", "relu", "leaky_relu", "leaky_relu:0.2", "elu", "elu:0.5", "softsign",
    // "hard_sigmoid", "swish" (= "silu"), "mish", "gelu", "softplus", "identity" (= "linear").
    // Unknown names throw std::invalid_argument listing the valid ones.
    Activation activation_from_name(std::string_view name);
    std::string activation_name(const Activation& a); // canonical name, with ":alpha" if not default
    std::vector<std::string> activation_names();      // canonical names of all kinds
    std::vector<Activation> all_activations();        // one of each kind, default parameters

    // gamma = sup |f'(x)|: the factor in Pascanu et al.'s vanishing condition sigma_max(W_hh) * gamma < 1.
    double max_slope(const Activation& a);
    // True when f' cannot be recovered from the output y alone (swish, mish, gelu).
    bool derivative_needs_input(const Activation& a);
    // Points where f is not smooth: f' jumps (relu, leaky_relu, hard_sigmoid at -3 and 3) or f''
    // jumps (elu, softsign at 0). Finite-difference checks must keep inputs away from them.
    std::vector<double> kinks(const Activation& a);

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

    // y[i] = f(x[i]); x and y may alias (in-place).
    template <class T>
    void activation_forward(const Activation& a, const T* x, T* y, std::size_t n)
    {
        const T alpha = static_cast<T>(a.alpha);
        act::dispatch(a.kind, [&](auto op) {
            using Op = decltype(op);
            for (std::size_t i = 0; i < n; ++i)
                y[i] = Op::value(x[i], alpha);
        });
    }

    // dx[i] = dy[i] * f'(x[i]) with y = f(x); x may be null unless derivative_needs_input(a).
    // dx may alias dy.
    template <class T>
    void activation_backward(const Activation& a, T* dx, const T* dy, const T* x, const T* y,
                             std::size_t n)
    {
        const T alpha = static_cast<T>(a.alpha);
        act::dispatch(a.kind, [&](auto op) {
            using Op = decltype(op);
            if (x)
                for (std::size_t i = 0; i < n; ++i)
                    dx[i] = dy[i] * Op::derivative(x[i], y[i], alpha);
            else
                for (std::size_t i = 0; i < n; ++i)
                    dx[i] = dy[i] * Op::derivative(T(0), y[i], alpha);
        });
    }

    // Scalar helpers for tests and tools (not for loops).
    template <class T>
    T activation_value(const Activation& a, T x)
    {
        T y;
        activation_forward(a, &x, &y, 1);
        return y;
    }
    template <class T>
    T activation_derivative(const Activation& a, T x)
    {
        const T y = activation_value(a, x);
        const T one = 1;
        T d;
        activation_backward(a, &d, &one, &x, &y, 1);
        return d;
    }
}

#endif
