// lib/activation.cpp -- names, slopes and kinks of the activations (values live in the header).
#include "xrnn/activation.hpp"

#include "xrnn/check.hpp"

#include <algorithm>
#include <cstdlib>

namespace xrnn
{
    namespace
    {
        struct Entry
        {
            ActivationKind kind;
            const char* name;
            double default_alpha;
        };
        // Canonical Keras-style names; defaults follow PyTorch (leaky_relu 0.01, elu 1.0).
        constexpr Entry table[] = {
            {ActivationKind::identity, "identity", 0.0},
            {ActivationKind::sigmoid, "sigmoid", 0.0},
            {ActivationKind::tanh, "tanh", 0.0},
            {ActivationKind::relu, "relu", 0.0},
            {ActivationKind::leaky_relu, "leaky_relu", 0.01},
            {ActivationKind::elu, "elu", 1.0},
            {ActivationKind::softsign, "softsign", 0.0},
            {ActivationKind::hard_sigmoid, "hard_sigmoid", 0.0},
            {ActivationKind::swish, "swish", 0.0},
            {ActivationKind::mish, "mish", 0.0},
            {ActivationKind::gelu, "gelu", 0.0},
            {ActivationKind::softplus, "softplus", 0.0},
        };
        const Entry& entry(ActivationKind k)
        {
            for (const auto& e : table)
                if (e.kind == k)
                    return e;
            detail::fail("unknown activation kind " + std::to_string(static_cast<int>(k)));
        }
        bool has_alpha(ActivationKind k)
        {
            return k == ActivationKind::leaky_relu || k == ActivationKind::elu;
        }
        std::string valid_names()
        {
            std::string s;
            for (const auto& e : table)
                s += (s.empty() ? "" : ", ") + std::string(e.name);
            return s + " (aliases: silu = swish, linear = identity; leaky_relu and elu take "
                       "an alpha as name:alpha, e.g. leaky_relu:0.2)";
        }
    }

    Activation::Activation(ActivationKind k) : kind(k), alpha(entry(k).default_alpha) {}

    Activation::Activation(ActivationKind k, double a) : kind(k), alpha(has_alpha(k) ? a : 0.0)
    {
        XRNN_CHECK(!has_alpha(k) || (std::isfinite(a) && a >= 0.0),
                   std::string(entry(k).name) + " needs a finite alpha >= 0, got " + std::to_string(a));
    }

    Activation activation_from_name(std::string_view name)
    {
        std::string base(name);
        std::string param;
        if (auto colon = base.find(':'); colon != std::string::npos)
        {
            param = base.substr(colon + 1);
            base = base.substr(0, colon);
        }
        std::transform(base.begin(), base.end(), base.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (base == "silu")
            base = "swish";
        if (base == "linear")
            base = "identity";
        for (const auto& e : table)
        {
            if (base != e.name)
                continue;
            if (param.empty())
                return Activation(e.kind);
            XRNN_CHECK(has_alpha(e.kind), "activation '" + std::string(name)
                                              + "': only leaky_relu and elu take a parameter");
            char* end = nullptr;
            const double a = std::strtod(param.c_str(), &end);
            XRNN_CHECK(end && *end == '\0' && end != param.c_str(),
                       "activation '" + std::string(name) + "': '" + param + "' is not a number");
            return Activation(e.kind, a);
        }
        detail::fail("unknown activation '" + std::string(name) + "'; valid names: " + valid_names());
    }

    std::string activation_name(const Activation& a)
    {
        const Entry& e = entry(a.kind);
        std::string s = e.name;
        if (has_alpha(a.kind) && a.alpha != e.default_alpha)
        {
            std::string num = std::to_string(a.alpha);
            num.erase(num.find_last_not_of('0') + 1);
            if (!num.empty() && num.back() == '.')
                num.pop_back();
            s += ":" + num;
        }
        return s;
    }

    std::vector<std::string> activation_names()
    {
        std::vector<std::string> v;
        for (const auto& e : table)
            v.emplace_back(e.name);
        return v;
    }

    std::vector<Activation> all_activations()
    {
        std::vector<Activation> v;
        for (const auto& e : table)
            v.emplace_back(e.kind);
        return v;
    }

    double max_slope(const Activation& a)
    {
        switch (a.kind)
        {
        case ActivationKind::sigmoid: return 0.25;
        case ActivationKind::hard_sigmoid: return 1.0 / 6.0;
        case ActivationKind::leaky_relu:
        case ActivationKind::elu: return std::max(1.0, a.alpha);
        // Maxima of f' found numerically (dense scan, checked in test_activation.cpp):
        // swish at x ~ 2.3994, mish at x ~ 1.4906, gelu at x = sqrt(2).
        case ActivationKind::swish: return 1.0998393201;
        case ActivationKind::mish: return 1.0884981613;
        case ActivationKind::gelu: return 1.1289041452;
        default: return 1.0; // identity, tanh, relu, softsign, softplus (sup, approached)
        }
    }

    bool derivative_needs_input(const Activation& a)
    {
        return a.kind == ActivationKind::swish || a.kind == ActivationKind::mish
               || a.kind == ActivationKind::gelu;
    }

    std::vector<double> kinks(const Activation& a)
    {
        switch (a.kind)
        {
        case ActivationKind::relu:
        case ActivationKind::elu:      // f'' jumps at 0 (f' too unless alpha = 1)
        case ActivationKind::softsign: // f'' jumps at 0
            return {0.0};
        case ActivationKind::leaky_relu: return a.alpha == 1.0 ? std::vector<double>{} : std::vector<double>{0.0};
        case ActivationKind::hard_sigmoid: return {-3.0, 3.0};
        default: return {};
        }
    }
}
