// xrnn/activation.hpp -- the element-wise activations used as gate and candidate functions.
//
// Each activation is a small struct with value(x) and derivative(x, y) where y = value(x):
// sigmoid, tanh, relu, ... take the derivative from the output y (so caches keep only y,
// as tinygrad's Sigmoid keeps `ret`); swish, mish and gelu are not invertible and need the
// pre-activation x, which the cells then keep (see derivative_needs_input).
// Selection is by enum or by Keras-style name; the dispatch happens once per row block,
// outside the element loops, so every choice runs a tight loop of its own.
// For T = double those loops call the exact std:: functions (the gradient checks rely on
// them); for T = float they run the branch-free kernels of detail/fast_math.hpp (a few ulp), which
// the compiler vectorizes, and on x86 pick an AVX2+FMA build of the loop at run time.
// Not here: softmax (that belongs to the loss).
#ifndef XRNN_ACTIVATION_HPP
#define XRNN_ACTIVATION_HPP

#include <cmath>
#include <cstddef>
#include <string>
#include <type_traits>
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
}

// the op structs, their float kernels and the loops (after the types they use)
#include "xrnn/detail/activation_kernels.hpp"

namespace xrnn
{
    // y[i] = f(x[i]); x and y may alias (in-place).
    template <class T>
    void activation_forward(const Activation& a, const T* x, T* y, std::size_t n)
    {
        const T alpha = static_cast<T>(a.alpha);
        act::dispatch(a.kind, [&](auto op) {
            using Op = decltype(op);
            if constexpr (std::is_same_v<T, float>)
                detail::forward_float<detail::FloatKernel<Op>>(x, y, n, alpha);
            else
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
            if constexpr (std::is_same_v<T, float>)
                detail::backward_float<detail::FloatKernel<Op>>(dx, dy, x, y, n, alpha);
            else if (x)
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
