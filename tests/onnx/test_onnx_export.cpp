// tests/onnx/test_onnx_export.cpp -- onnx_activation(): every xrnn activation maps to the ONNX
// recurrent-operator activation that computes the same function (the formulas of the ONNX RNN
// operator's spec, written out below), or is refused by name.
#include "xrnn/onnx/onnx_export.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

using namespace xrnn;

namespace
{
    // ONNX RNN/GRU/LSTM activation functions as https://onnx.ai/onnx/operators/onnx__RNN.html lists them
    double onnx_value(const onnx::OnnxActivation& a, double x)
    {
        const double al = a.alpha, be = a.beta;
        if (a.name == "Relu") return std::max(0.0, x);
        if (a.name == "Tanh") return std::tanh(x);
        if (a.name == "Sigmoid") return 1.0 / (1.0 + std::exp(-x));
        if (a.name == "Affine") return al * x + be;
        if (a.name == "LeakyRelu") return x >= 0 ? x : al * x;
        if (a.name == "HardSigmoid") return std::min(std::max(al * x + be, 0.0), 1.0);
        if (a.name == "Elu") return x >= 0 ? x : al * (std::exp(x) - 1);
        if (a.name == "Softsign") return x / (1 + std::abs(x));
        if (a.name == "Softplus") return std::log(1 + std::exp(x));
        FAIL("no ONNX formula for " << a.name);
        return 0;
    }
}

TEST_SUITE("onnx_export")
{
    TEST_CASE("every exportable activation computes xrnn's function")
    {
        std::vector<Activation> acts = all_activations();
        acts.emplace_back(ActivationKind::leaky_relu, 0.2);
        acts.emplace_back(ActivationKind::elu, 0.5);
        int mapped = 0;
        for (const Activation& a : acts)
        {
            if (a.kind == ActivationKind::swish || a.kind == ActivationKind::mish || a.kind == ActivationKind::gelu)
                continue;
            CAPTURE(activation_name(a));
            const onnx::OnnxActivation o = onnx::onnx_activation(a);
            // the kinks (hard_sigmoid's at -3 and 3) and points on both sides of them
            for (double x : {-7.0, -3.5, -3.0, -2.9, -1.0, -0.25, 0.0, 0.3, 1.0, 2.9, 3.0, 3.5, 7.0})
            {
                CAPTURE(x);
                CHECK(onnx_value(o, x) == doctest::Approx(activation_value<double>(a, x)).epsilon(1e-7));
            }
            ++mapped;
        }
        CHECK(mapped == 11);
    }

    TEST_CASE("parameters: ONNX's defaults are not xrnn's")
    {
        const onnx::OnnxActivation hs = onnx::onnx_activation(ActivationKind::hard_sigmoid);
        CHECK(hs.name == "HardSigmoid");
        CHECK(hs.has_alpha);
        CHECK(hs.has_beta);
        CHECK(hs.alpha == doctest::Approx(1.0 / 6.0)); // ONNX's default alpha is 0.2
        const onnx::OnnxActivation id = onnx::onnx_activation(ActivationKind::identity);
        CHECK(id.name == "Affine");
        CHECK((id.alpha == 1.0f && id.beta == 0.0f));
        const onnx::OnnxActivation lr = onnx::onnx_activation(Activation(ActivationKind::leaky_relu, 0.2));
        CHECK(lr.alpha == doctest::Approx(0.2));
        CHECK(!lr.has_beta);
        CHECK(!onnx::onnx_activation(ActivationKind::tanh).has_alpha);
    }

    TEST_CASE("swish, mish and gelu are refused by name")
    {
        for (ActivationKind k : {ActivationKind::swish, ActivationKind::mish, ActivationKind::gelu})
        {
            const Activation a(k);
            CAPTURE(activation_name(a));
            std::string what;
            try
            {
                onnx::onnx_activation(a);
            }
            catch (const std::invalid_argument& e)
            {
                what = e.what();
            }
            CHECK(what.find("'" + activation_name(a) + "'") != std::string::npos);
            CHECK(what.find("hard_sigmoid") != std::string::npos); // lists what ONNX supports
        }
    }
}
