// tests/test_activation.cpp -- values against closed forms, derivatives against finite
// differences, maximum slopes against a dense scan, and name lookup.
#include "xrnn/activation.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>

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
