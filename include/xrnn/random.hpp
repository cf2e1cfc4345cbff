// xrnn/random.hpp -- a small, seedable, serialisable random generator (xoshiro256**).
//
// Not std::mt19937 + std::uniform_real_distribution: the distributions are
// implementation-defined, and we want the same numbers from every standard library, and a
// state of four words that a checkpoint can store.
#ifndef XRNN_RANDOM_HPP
#define XRNN_RANDOM_HPP

#include <array>
#include <cmath>
#include <cstdint>

namespace xrnn
{
    class Rng
    {
    public:
        explicit Rng(std::uint64_t seed = 0) { reseed(seed); }

        void reseed(std::uint64_t seed)
        {
            // splitmix64 expands the seed into the state (the xoshiro authors' recommendation)
            for (auto& w : s_)
            {
                seed += 0x9E3779B97F4A7C15ull;
                std::uint64_t z = seed;
                z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
                z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
                w = z ^ (z >> 31);
            }
            has_spare_ = false;
        }

        std::uint64_t next_u64()
        {
            const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
            const std::uint64_t t = s_[1] << 17;
            s_[2] ^= s_[0];
            s_[3] ^= s_[1];
            s_[1] ^= s_[2];
            s_[0] ^= s_[3];
            s_[2] ^= t;
            s_[3] = rotl(s_[3], 45);
            return result;
        }

        // uniform in [0, 1) with 53 random bits
        double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
        double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
        // integer in [0, n)
        std::uint64_t below(std::uint64_t n) { return n ? next_u64() % n : 0; }

        // standard normal (Box-Muller, both values used)
        double normal()
        {
            if (has_spare_)
            {
                has_spare_ = false;
                return spare_;
            }
            double u1 = uniform();
            while (u1 <= 0.0)
                u1 = uniform();
            const double u2 = uniform();
            const double r = std::sqrt(-2.0 * std::log(u1));
            spare_ = r * std::sin(6.283185307179586 * u2);
            has_spare_ = true;
            return r * std::cos(6.283185307179586 * u2);
        }

        // Full state, for checkpoints.
        struct State
        {
            std::array<std::uint64_t, 4> s;
            double spare;
            bool has_spare;
        };
        State state() const { return {s_, spare_, has_spare_}; }
        void set_state(const State& st)
        {
            s_ = st.s;
            spare_ = st.spare;
            has_spare_ = st.has_spare;
        }

    private:
        static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
        std::array<std::uint64_t, 4> s_{};
        double spare_ = 0.0;
        bool has_spare_ = false;
    };
}

#endif
