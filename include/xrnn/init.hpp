// xrnn/init.hpp -- seeded, deterministic weight initialisers for recurrent layers.
//
//   uniform      PyTorch's default: every weight and bias ~ U(-1/sqrt(H), 1/sqrt(H))
//   orthogonal   each H x H gate block of W_hh a random orthogonal matrix (Saxe et al. 2014),
//                times gain; the other tensors as uniform
//   identity     each gate block of W_hh = gain * I and biases 0: the IRNN of Le, Jaitly &
//                Hinton 2015 (use with activation relu); W_ih as uniform
// forget_bias (LSTM only) then sets the total forget-gate bias b_if + b_hf to the given value
// (b_if = value, b_hf = 0), as Jozefowicz et al. 2015 recommend with 1.
#ifndef XRNN_INIT_HPP
#define XRNN_INIT_HPP

#include "xrnn/random.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace xrnn
{
    enum class RecurrentInit
    {
        uniform,
        orthogonal,
        identity,
    };

    RecurrentInit recurrent_init_from_name(std::string_view name); // "uniform", "orthogonal", "identity"
    std::vector<std::string> recurrent_init_names();
    std::string recurrent_init_name(RecurrentInit k);

    struct InitConfig
    {
        InitConfig() = default;
        InitConfig(std::uint64_t s) : seed(s) {} // NOLINT: implicit, so {seed} works

        std::uint64_t seed = 0;
        RecurrentInit recurrent = RecurrentInit::uniform;
        double recurrent_gain = 1.0;        // scale of W_hh blocks for orthogonal / identity
        std::optional<double> forget_bias;  // LSTM: total forget-gate bias
    };

    namespace init
    {
        template <class T>
        void uniform(T* w, std::size_t n, double bound, Rng& rng);
        // a (n, n) orthogonal matrix times gain, row-major, from QR of a Gaussian matrix
        template <class T>
        void orthogonal(T* w, std::size_t n, double gain, Rng& rng);
        template <class T>
        void identity(T* w, std::size_t n, double gain);
    }
}

#endif
