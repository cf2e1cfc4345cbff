// tests/test_activation.cpp -- values against closed forms, derivatives against finite
// differences, maximum slopes against a dense scan, name lookup, and the float fast paths
// against double over a dense grid.
#include "xrnn/activation.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

using xrnn::Activation;
using xrnn::ActivationKind;

namespace
{
    // Textbook formulas, written independently of activation.hpp.
    double textbook(ActivationKind k, double x, double alpha)
    {
        switch (k)
        {
        case ActivationKind::identity: return x;
        case ActivationKind::sigmoid: return 1 / (1 + std::exp(-x));
        case ActivationKind::tanh: return std::tanh(x);
        case ActivationKind::relu: return std::max(0.0, x);
        case ActivationKind::leaky_relu: return x >= 0 ? x : alpha * x;
        case ActivationKind::elu: return x >= 0 ? x : alpha * (std::exp(x) - 1);
        case ActivationKind::softsign: return x / (1 + std::fabs(x));
        case ActivationKind::hard_sigmoid: return std::min(6.0, std::max(0.0, x + 3)) / 6; // relu6(x+3)/6
        case ActivationKind::swish: return x / (1 + std::exp(-x));
        case ActivationKind::mish: return x * std::tanh(std::log(1 + std::exp(x)));
        case ActivationKind::gelu: return x * 0.5 * std::erfc(-x / std::sqrt(2.0));
        case ActivationKind::softplus: return std::log(1 + std::exp(x));
        }
        return NAN;
    }
}

TEST_CASE("values match textbook formulas in double and float")
{
    for (const auto& a : xrnn::all_activations())
    {
        INFO(xrnn::activation_name(a));
        for (double x = -6.0; x <= 6.0; x += 0.37)
        {
            const double want = textbook(a.kind, x, a.alpha);
            CHECK(xrnn::activation_value(a, x) == doctest::Approx(want).epsilon(1e-12));
            CHECK(xrnn::activation_value(a, static_cast<float>(x))
                  == doctest::Approx(static_cast<float>(want)).epsilon(1e-5));
        }
    }
}

TEST_CASE("derivatives match central finite differences away from kinks")
{
    for (auto a : xrnn::all_activations())
        for (double alpha : {a.alpha, 0.3})
        {
            if (a.kind == ActivationKind::leaky_relu || a.kind == ActivationKind::elu)
                a = Activation(a.kind, alpha);
            INFO(xrnn::activation_name(a));
            const auto ks = xrnn::kinks(a);
            for (double x = -7.05; x <= 7.0; x += 0.1)
            {
                bool near_kink = false;
                for (double k : ks)
                    near_kink = near_kink || std::fabs(x - k) < 1e-3;
                if (near_kink)
                    continue;
                const double h = 1e-6;
                const double fd = (textbook(a.kind, x + h, a.alpha) - textbook(a.kind, x - h, a.alpha)) / (2 * h);
                CHECK(xrnn::activation_derivative(a, x) == doctest::Approx(fd).epsilon(1e-7).scale(1));
            }
        }
}

TEST_CASE("derivative from output is exact in extreme ranges (no NaN, no inf)")
{
    for (const auto& a : xrnn::all_activations())
        for (double x : {-200.0, -40.0, 40.0, 200.0})
        {
            INFO(xrnn::activation_name(a) << " x=" << x);
            CHECK(std::isfinite(xrnn::activation_value(a, x)));
            CHECK(std::isfinite(xrnn::activation_derivative(a, x)));
            CHECK(std::isfinite(xrnn::activation_value(a, static_cast<float>(x))));
            CHECK(std::isfinite(xrnn::activation_derivative(a, static_cast<float>(x))));
        }
}

TEST_CASE("max_slope is the supremum of |f'| (dense scan)")
{
    for (auto a : xrnn::all_activations())
    {
        INFO(xrnn::activation_name(a));
        double sup = 0;
        for (double x = -30; x <= 30; x += 1e-4)
            sup = std::max(sup, std::fabs(xrnn::activation_derivative(a, x)));
        const double gamma = xrnn::max_slope(a);
        CHECK(sup <= gamma * (1 + 1e-9));
        CHECK(sup >= gamma * (1 - 1e-6));
    }
    CHECK(xrnn::max_slope(Activation(ActivationKind::leaky_relu, 2.0)) == 2.0);
    CHECK(xrnn::max_slope(ActivationKind::sigmoid) == 0.25);
    CHECK(xrnn::max_slope(ActivationKind::tanh) == 1.0);
}

TEST_CASE("selection by name")
{
    CHECK(xrnn::activation_from_name("tanh").kind == ActivationKind::tanh);
    CHECK(xrnn::activation_from_name("hard_sigmoid").kind == ActivationKind::hard_sigmoid);
    CHECK(xrnn::activation_from_name("silu").kind == ActivationKind::swish);
    CHECK(xrnn::activation_from_name("linear").kind == ActivationKind::identity);
    CHECK(xrnn::activation_from_name("ReLU").kind == ActivationKind::relu);
    CHECK(xrnn::activation_from_name("leaky_relu").alpha == 0.01);
    CHECK(xrnn::activation_from_name("leaky_relu:0.2").alpha == 0.2);
    CHECK(xrnn::activation_from_name("elu").alpha == 1.0);
    for (const auto& a : xrnn::all_activations()) // names round-trip
        CHECK(xrnn::activation_from_name(xrnn::activation_name(a)) == a);
    CHECK(xrnn::activation_name(Activation(ActivationKind::elu, 0.5)) == "elu:0.5");
    CHECK(xrnn::activation_names().size() == 12);
}

TEST_CASE("bad names and parameters give errors that say what is valid")
{
    try
    {
        xrnn::activation_from_name("tanhh");
        FAIL("no exception");
    }
    catch (const std::invalid_argument& e)
    {
        const std::string msg = e.what();
        CHECK(msg.find("unknown activation 'tanhh'") != std::string::npos);
        for (const auto& n : xrnn::activation_names())
            CHECK(msg.find(n) != std::string::npos);
    }
    CHECK_THROWS_WITH_AS(xrnn::activation_from_name("tanh:2"), doctest::Contains("only leaky_relu and elu"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(xrnn::activation_from_name("elu:abc"), doctest::Contains("not a number"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(Activation(ActivationKind::leaky_relu, -1.0), doctest::Contains("alpha >= 0"), std::invalid_argument);
    CHECK_THROWS_AS(xrnn::activation_from_name(""), std::invalid_argument);
}

namespace
{
    // The float inputs of the accuracy scan: every 2^-10 over [-100, 100] (where the
    // activations do their work), and for each binade from the smallest denormal to
    // FLT_MAX, 16 points of either sign (tiny and huge inputs), plus both zeros.
    std::vector<float> float_grid()
    {
        std::vector<float> xs;
        for (int i = -102400; i <= 102400; ++i)
            xs.push_back(static_cast<float>(i) / 1024.0f);
        for (int e = -149; e <= 127; ++e)
            for (int j = 0; j < 16; ++j)
            {
                const float v = std::ldexp(1.0f + static_cast<float>(j) / 16.0f, e);
                if (std::isfinite(v))
                {
                    xs.push_back(v);
                    xs.push_back(-v);
                }
            }
        xs.push_back(-0.0f);
        return xs;
    }

    // f(x) in double: the exact std:: path, except gelu, whose 1 + erf(x/sqrt 2) loses all
    // digits for x below about -8 even in double; erfc keeps them.
    double reference_value(const Activation& a, double x)
    {
        if (a.kind == ActivationKind::gelu)
            return 0.5 * x * std::erfc(-x / std::sqrt(2.0));
        return xrnn::activation_value(a, x);
    }

    struct FloatPath
    {
        const char* name;
        void (*forward)(const Activation&, const float*, float*, std::size_t);
        void (*backward)(const Activation&, float*, const float*, const float*, const float*,
                         std::size_t);
    };

    void dispatched_forward(const Activation& a, const float* x, float* y, std::size_t n)
    {
        xrnn::activation_forward(a, x, y, n);
    }
    void dispatched_backward(const Activation& a, float* dx, const float* dy, const float* x,
                             const float* y, std::size_t n)
    {
        xrnn::activation_backward(a, dx, dy, x, y, n);
    }
    // The baseline build (SSE2 on x86-64): what runs where AVX2 + FMA are missing, while
    // the dispatched calls above take the AVX2 + FMA build on a machine that has them.
    void baseline_forward(const Activation& a, const float* x, float* y, std::size_t n)
    {
        xrnn::act::dispatch(a.kind, [&](auto op) {
            using K = xrnn::detail::FloatKernel<decltype(op)>;
            xrnn::detail::forward_float_baseline<K>(x, y, n, static_cast<float>(a.alpha));
        });
    }
    void baseline_backward(const Activation& a, float* dx, const float* dy, const float* x,
                           const float* y, std::size_t n)
    {
        xrnn::act::dispatch(a.kind, [&](auto op) {
            using K = xrnn::detail::FloatKernel<decltype(op)>;
            xrnn::detail::backward_float_baseline<K>(dx, dy, x, y, n, static_cast<float>(a.alpha));
        });
    }

    const FloatPath float_paths[] = {
        {"dispatched", dispatched_forward, dispatched_backward},
        {"sse2 baseline", baseline_forward, baseline_backward},
    };
}

TEST_CASE("float fast paths match double over a dense grid")
{
    const std::vector<float> xs = float_grid();
    const std::size_t n = xs.size();
    const std::vector<float> ones(n, 1.0f);
    for (const FloatPath& path : float_paths)
    {
        std::string summary;
        for (const auto& a : xrnn::all_activations())
        {
            const std::string name = xrnn::activation_name(a);
            INFO(path.name << " " << name);
            std::vector<float> y(n), d(n);
            path.forward(a, xs.data(), y.data(), n);
            const float* x_for_backward = xrnn::derivative_needs_input(a) ? xs.data() : nullptr;
            path.backward(a, d.data(), ones.data(), x_for_backward, y.data(), n);

            // Values: relative error, and below FLT_MIN (denormal results) absolute error
            // against FLT_MIN, since a denormal carries fewer bits; for x f(x) (swish, mish,
            // gelu) against |x| FLT_MIN, as x multiplies the rounding of a denormal f(x).
            const bool times_x = xrnn::derivative_needs_input(a);
            // Derivatives are compared at the float y the backward pass is given (what they
            // are computed from), absolutely for |f'| <= 1: 1 - y*y near |y| = 1 cancels in
            // double as well.
            double worst_value = 0, worst_derivative = 0;
            float worst_value_at = 0, worst_derivative_at = 0;
            for (std::size_t i = 0; i < n; ++i)
            {
                const double x = xs[i];
                const double want = reference_value(a, x);
                const double floor = times_x ? FLT_MIN * std::max(1.0, std::fabs(x)) : FLT_MIN;
                const double err = std::fabs(y[i] - want) / std::max(std::fabs(want), floor);
                if (!(err <= worst_value) && !std::isnan(worst_value)) // a NaN err sticks
                {
                    worst_value = err;
                    worst_value_at = xs[i];
                }
                const double y_given = xrnn::derivative_needs_input(a) ? want : double(y[i]);
                const double one = 1;
                double want_d = 0;
                xrnn::activation_backward(a, &want_d, &one, &x, &y_given, 1);
                if (a.kind == ActivationKind::gelu) // cdf + x pdf, the cdf from erfc (see above)
                    want_d = 0.5 * std::erfc(-x / std::sqrt(2.0))
                             + x * 0.398942280401432678 * std::exp(-0.5 * x * x);
                const double err_d = std::fabs(d[i] - want_d) / std::max(std::fabs(want_d), 1.0);
                if (!(err_d <= worst_derivative) && !std::isnan(worst_derivative))
                {
                    worst_derivative = err_d;
                    worst_derivative_at = xs[i];
                }
            }
            INFO("worst value error " << worst_value << " at x = " << worst_value_at);
            INFO("worst derivative error " << worst_derivative
                                               << " at x = " << worst_derivative_at);
            // sigmoid and tanh: the 4e-7 the task asked for; the rest: a few ulp as well
            // (gelu's erfc fit is the least exact, ~3.5 ulp; identity and relu are exact).
            const double value_tolerance = a.kind == ActivationKind::gelu ? 6e-7 : 4e-7;
            CHECK(worst_value <= value_tolerance);
            CHECK(worst_derivative <= 4e-7);
            char line[96];
            std::snprintf(line, sizeof line, " %s %.2g/%.2g", name.c_str(), worst_value,
                          worst_derivative);
            summary += line;
        }
        std::printf("float activations, %s loops, max error value/derivative vs double:%s\n",
                    path.name, summary.c_str());
    }
}

TEST_CASE("float fast paths: special values")
{
    const float inf = std::numeric_limits<float>::infinity();
    const float nan = std::numeric_limits<float>::quiet_NaN();
    const Activation sigmoid = ActivationKind::sigmoid;
    const Activation tanh = ActivationKind::tanh;
    for (const FloatPath& path : float_paths)
    {
        INFO(path.name);
        const float xs[] = {inf, -inf, nan, 0.0f, -0.0f};
        float s[5], t[5];
        path.forward(sigmoid, xs, s, 5);
        path.forward(tanh, xs, t, 5);
        CHECK(s[0] == 1.0f);
        CHECK(s[1] == 0.0f);
        CHECK(std::isnan(s[2]));
        CHECK(s[3] == 0.5f);
        CHECK(s[4] == 0.5f);
        CHECK(t[0] == 1.0f);
        CHECK(t[1] == -1.0f);
        CHECK(std::isnan(t[2]));
        CHECK((t[3] == 0.0f && !std::signbit(t[3])));
        CHECK((t[4] == 0.0f && std::signbit(t[4])));

        for (const auto& a : xrnn::all_activations())
        {
            INFO(xrnn::activation_name(a));
            // finite in, finite out, for values and derivatives, up to FLT_MAX (2^127 once
            // gave gelu' a NaN: inf * 0 inside the split of x^2)
            const float big[] = {1e30f, -1e30f, FLT_MAX, -FLT_MAX, 0x1p127f,
                                 1e-30f, -1e-30f, FLT_TRUE_MIN};
            constexpr std::size_t m = sizeof big / sizeof big[0];
            float y[m], d[m];
            const float ones[m] = {1, 1, 1, 1, 1, 1, 1, 1};
            path.forward(a, big, y, m);
            path.backward(a, d, ones, big, y, m);
            for (std::size_t i = 0; i < m; ++i)
            {
                INFO("x = " << big[i]);
                CHECK(std::isfinite(y[i]));
                CHECK(std::isfinite(d[i]));
            }
            // NaN propagates, except through relu, whose x > 0 ? x : 0 gives 0 (as in double)
            float y_nan;
            path.forward(a, &nan, &y_nan, 1);
            CHECK(std::isnan(y_nan) == (a.kind != ActivationKind::relu));
        }
    }
}

TEST_CASE("float loops: in place, out of place and every tail length agree")
{
    std::vector<float> x(53);
    for (std::size_t i = 0; i < x.size(); ++i)
        x[i] = 0.37f * static_cast<float>(i) - 9.0f;
    for (const auto& a : xrnn::all_activations())
    {
        INFO(xrnn::activation_name(a));
        std::vector<float> whole(x.size());
        xrnn::activation_forward(a, x.data(), whole.data(), x.size());
        for (std::size_t n = 1; n <= x.size(); ++n)
        {
            std::vector<float> in_place(x.begin(), x.begin() + static_cast<std::ptrdiff_t>(n));
            xrnn::activation_forward(a, in_place.data(), in_place.data(), n);
            for (std::size_t i = 0; i < n; ++i)
                CHECK(in_place[i] == whole[i]);
        }
        std::vector<float> dx(x.size(), 0.5f), dx_in_place(x.size(), 0.5f);
        const std::vector<float> dy(x.size(), 0.5f);
        xrnn::activation_backward(a, dx.data(), dy.data(), x.data(), whole.data(), x.size());
        xrnn::activation_backward(a, dx_in_place.data(), dx_in_place.data(), x.data(),
                                  whole.data(), x.size());
        CHECK(dx == dx_in_place);
        CHECK(xrnn::activation_value(a, x[20]) == whole[20]);
    }
}
