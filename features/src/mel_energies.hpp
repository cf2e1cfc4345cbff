// mel_energies.hpp (private to the wing) -- the per-frame pipeline shared by fbank and mfcc:
// samples -> windowed frame -> real FFT -> power spectrum -> mel filters -> log, in double,
// into buffers allocated once.
#ifndef XRNN_FEATURES_SRC_MEL_ENERGIES_HPP
#define XRNN_FEATURES_SRC_MEL_ENERGIES_HPP

#include <complex>
#include <cstddef>
#include <random>
#include <vector>

#include <kissfft.hh> // kissfft's header-only C++ template, used in double (libkissfft is float only)

#include "xrnn/features/fbank.hpp"

namespace xrnn::features::detail
{
    class MelEnergies
    {
    public:
        explicit MelEnergies(const FbankOptions& opts); // validates the options
        const FbankOptions& options() const { return opts_; }
        std::size_t num_frames(std::size_t n) const { return features::num_frames(n, opts_); }
        // DataError if n holds less than one frame; restarts the dither noise.
        void begin(std::size_t n);
        // Frame t's num_mel_bins mel energies (log if use_log_fbank) into mel; returns its log energy.
        double frame(const float* samples, std::size_t n, std::size_t t, double* mel);

    private:
        FbankOptions opts_;
        std::size_t size_, shift_, padded_;
        std::vector<double> window_;
        std::vector<MelBin> banks_;
        kissfft<double> fft_;                    // complex FFT of padded/2 points, used as a real FFT
        std::vector<double> frame_;              // (padded,) time domain
        std::vector<std::complex<double>> spec_; // (padded/2,) [0] = (DC, Nyquist)
        std::vector<double> power_;              // (padded/2,) Nyquist left out: no filter uses it
        std::mt19937_64 rng_;
        std::normal_distribution<double> gauss_;
    };
}

#endif
