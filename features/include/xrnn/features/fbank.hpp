// xrnn/features/fbank.hpp -- Kaldi's log-mel filterbank (compute-fbank-feats), checked against
// torchaudio.compliance.kaldi.fbank.
//
// Per frame (see framing.hpp for the framing): real FFT of the windowed frame (kissfft, double),
// power (or magnitude) spectrum, triangular mel filters (mel_banks.hpp), log with the floor
// below. Computed in double, stored as float.
//
// Floors, as Kaldi and torchaudio: mel energies and the frame energy are floored at
// FLT_EPSILON = 2^-23 = 1.1920928955078125e-07 before the log, so silence gives
// log(FLT_EPSILON) = -15.9423851528787... instead of -inf; energy_floor > 0 adds a floor of
// log(energy_floor) on the energy column only.
#ifndef XRNN_FEATURES_FBANK_HPP
#define XRNN_FEATURES_FBANK_HPP

#include <cstddef>
#include <memory>
#include <vector>

#include "xrnn/features/feature_matrix.hpp"
#include "xrnn/features/framing.hpp"
#include "xrnn/features/mel_banks.hpp"

namespace xrnn::features
{
    // FLT_EPSILON: the floor on energies before the log (Kaldi's std::numeric_limits<float>::epsilon()).
    constexpr double log_floor = 1.1920928955078125e-07;

    // The frame's log energy, shared by fbank and mfcc.
    struct EnergyOptions
    {
        bool use_energy = false;  // add the log energy as a column (fbank: first; mfcc: replaces C0)
        bool raw_energy = true;   // energy before pre-emphasis and window (after dither and DC removal)
        double energy_floor = 0.; // absolute floor on the energy (not log); 0 = only the FLT_EPSILON floor;
                                  // Kaldi's default (torchaudio's is 1.0)
    };

    // Flat like torchaudio's keyword arguments: o.num_mel_bins, o.window_type, o.use_energy, ...
    struct FbankOptions : FrameOptions, MelOptions, EnergyOptions
    {
        bool use_log_fbank = true; // false: linear mel energies
        bool use_power = true;     // false: magnitude spectrum instead of power
    };

    // Reusable: set up once (window, filters, FFT plan, buffers), then no allocation per frame.
    // Not thread-safe (one computer per thread); compute() is a pure function of its input.
    class FbankComputer
    {
    public:
        explicit FbankComputer(const FbankOptions& opts); // std::invalid_argument for bad options
        ~FbankComputer();
        FbankComputer(FbankComputer&&) noexcept;
        FbankComputer& operator=(FbankComputer&&) noexcept;

        const FbankOptions& options() const;
        std::size_t dims() const; // num_mel_bins + use_energy

        // (num_frames, dims); columns: [log energy if use_energy], mel bins from low to high.
        // Throws DataError if n is shorter than one frame (window_size samples).
        FeatureMatrix compute(const float* samples, std::size_t n);
        FeatureMatrix compute(const std::vector<float>& samples) { return compute(samples.data(), samples.size()); }

    private:
        struct Impl;
        std::unique_ptr<Impl> impl_;
    };

    FeatureMatrix compute_fbank(const std::vector<float>& samples, const FbankOptions& opts = {});
}

#endif
