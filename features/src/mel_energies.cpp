// mel_energies.cpp -- the frame pipeline of Kaldi's ExtractWindow + FbankComputer::Compute.
#include "mel_energies.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "xrnn/features/data_error.hpp"

namespace xrnn::features::detail
{
    namespace
    {
        double log_energy(const double* x, std::size_t n, double energy_floor)
        {
            double e = 0;
            for (std::size_t i = 0; i < n; ++i)
                e += x[i] * x[i];
            const double le = std::log(std::max(e, log_floor));
            return energy_floor > 0 ? std::max(le, std::log(energy_floor)) : le;
        }
    }

    MelEnergies::MelEnergies(const FbankOptions& opts)
        : opts_((validate(opts), opts)), size_(window_size(opts)), shift_(window_shift(opts)),
          padded_(padded_window_size(opts)), window_(make_window(opts)),
          banks_(make_mel_banks(opts, padded_, opts.sample_frequency)), fft_(padded_ / 2, false),
          frame_(padded_, 0.0), spec_(padded_ / 2), power_(padded_ / 2)
    {
        if (!(opts.energy_floor >= 0))
            throw std::invalid_argument("features: energy_floor must be >= 0");
    }

    void MelEnergies::begin(std::size_t n)
    {
        if (n < size_)
            throw DataError("features: " + std::to_string(n) + " samples is shorter than one frame (" +
                            std::to_string(size_) + " samples = " + std::to_string(opts_.frame_length) +
                            " ms at " + std::to_string(static_cast<long>(opts_.sample_frequency)) + " Hz)");
        rng_.seed(opts_.dither_seed);
        gauss_.reset();
    }

    double MelEnergies::frame(const float* samples, std::size_t n, std::size_t t, double* mel)
    {
        double* x = frame_.data();
        if (opts_.snip_edges)
        {
            const float* s = samples + t * shift_;
            for (std::size_t j = 0; j < size_; ++j)
                x[j] = s[j];
        }
        else
        {
            // centred on t * shift + shift / 2, reflected at the ends: -1 -> 0, n -> n - 1
            const long long start = static_cast<long long>(t * shift_ + shift_ / 2) - static_cast<long long>(size_ / 2);
            const long long len = static_cast<long long>(n);
            for (std::size_t j = 0; j < size_; ++j)
            {
                long long s = start + static_cast<long long>(j);
                while (s < 0 || s >= len)
                    s = s < 0 ? -s - 1 : 2 * len - 1 - s;
                x[j] = samples[s];
            }
        }
        if (opts_.dither > 0)
            for (std::size_t j = 0; j < size_; ++j)
                x[j] += opts_.dither * gauss_(rng_);
        if (opts_.remove_dc_offset)
        {
            double mean = 0;
            for (std::size_t j = 0; j < size_; ++j)
                mean += x[j];
            mean /= static_cast<double>(size_);
            for (std::size_t j = 0; j < size_; ++j)
                x[j] -= mean;
        }
        double energy = 0;
        if (opts_.raw_energy)
            energy = log_energy(x, size_, opts_.energy_floor);
        if (const double c = opts_.preemphasis_coefficient; c != 0)
        {
            for (std::size_t j = size_ - 1; j > 0; --j)
                x[j] -= c * x[j - 1];
            x[0] -= c * x[0];
        }
        for (std::size_t j = 0; j < size_; ++j)
            x[j] *= window_[j];
        std::fill(x + size_, x + padded_, 0.0);
        if (!opts_.raw_energy)
            energy = log_energy(x, padded_, opts_.energy_floor);

        fft_.transform_real(x, spec_.data());
        const std::size_t half = padded_ / 2;
        power_[0] = spec_[0].real() * spec_[0].real(); // spec_[0].imag() is the Nyquist bin: unused
        for (std::size_t k = 1; k < half; ++k)
            power_[k] = std::norm(spec_[k]);
        if (!opts_.use_power)
            for (std::size_t k = 0; k < half; ++k)
                power_[k] = std::sqrt(power_[k]);

        for (std::size_t b = 0; b < banks_.size(); ++b)
        {
            const MelBin& bin = banks_[b];
            const double* p = power_.data() + bin.first_fft_bin;
            double e = 0;
            for (std::size_t i = 0; i < bin.weights.size(); ++i)
                e += bin.weights[i] * p[i];
            mel[b] = opts_.use_log_fbank ? std::log(std::max(e, log_floor)) : e;
        }
        return energy;
    }
}
