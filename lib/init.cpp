// lib/init.cpp -- initialisers (see init.hpp).
#include "xrnn/init.hpp"

#include "xrnn/check.hpp"
#include "xrnn/detail/name_table.hpp"

#include <cmath>
#include <vector>

namespace xrnn
{
    namespace
    {
        constexpr std::array<detail::Named<RecurrentInit>, 3> init_table{
            {{RecurrentInit::uniform, "uniform"}, {RecurrentInit::orthogonal, "orthogonal"},
             {RecurrentInit::identity, "identity"}}};
    }

    RecurrentInit recurrent_init_from_name(std::string_view name)
    {
        return detail::from_name(init_table, name, "recurrent initialiser");
    }
    std::string recurrent_init_name(RecurrentInit k) { return detail::name_of(init_table, k); }
    std::vector<std::string> recurrent_init_names() { return detail::names_of(init_table); }

    namespace init
    {
        template <class T>
        void uniform(T* w, std::size_t n, double bound, Rng& rng)
        {
            for (std::size_t i = 0; i < n; ++i)
                w[i] = static_cast<T>(rng.uniform(-bound, bound));
        }

        template <class T>
        void orthogonal(T* w, std::size_t n, double gain, Rng& rng)
        {
            // Modified Gram-Schmidt on the columns of a Gaussian matrix, in double. MGS keeps
            // R's diagonal positive, which makes Q Haar-distributed (Mezzadri 2007).
            std::vector<double> a(n * n);
            for (auto& v : a)
                v = rng.normal();
            for (std::size_t j = 0; j < n; ++j)
            {
                for (std::size_t k = 0; k < j; ++k)
                {
                    double dot = 0;
                    for (std::size_t i = 0; i < n; ++i)
                        dot += a[i * n + k] * a[i * n + j];
                    for (std::size_t i = 0; i < n; ++i)
                        a[i * n + j] -= dot * a[i * n + k];
                }
                double norm = 0;
                for (std::size_t i = 0; i < n; ++i)
                    norm += a[i * n + j] * a[i * n + j];
                norm = std::sqrt(norm);
                for (std::size_t i = 0; i < n; ++i)
                    a[i * n + j] /= norm;
            }
            for (std::size_t i = 0; i < n * n; ++i)
                w[i] = static_cast<T>(gain * a[i]);
        }

        template <class T>
        void identity(T* w, std::size_t n, double gain)
        {
            for (std::size_t i = 0; i < n; ++i)
                for (std::size_t j = 0; j < n; ++j)
                    w[i * n + j] = static_cast<T>(i == j ? gain : 0.0);
        }

        template void uniform<float>(float*, std::size_t, double, Rng&);
        template void uniform<double>(double*, std::size_t, double, Rng&);
        template void orthogonal<float>(float*, std::size_t, double, Rng&);
        template void orthogonal<double>(double*, std::size_t, double, Rng&);
        template void identity<float>(float*, std::size_t, double);
        template void identity<double>(double*, std::size_t, double);
    }
}
