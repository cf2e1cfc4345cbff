// xrnn/features/mfcc.hpp -- Kaldi's MFCCs (compute-mfcc-feats), checked against
// torchaudio.compliance.kaldi.mfcc.
//
// The log-mel filterbank of fbank.hpp (power spectrum, log always), then a DCT-II with
// orthonormal rows (row 0 = sqrt(1/M), row k = sqrt(2/M) cos(pi k (m + 0.5) / M) for M mel
// bins), keeping num_ceps rows, then liftering c_i *= 1 + L/2 sin(pi i / L). With use_energy,
// C0 is replaced by the frame's log energy.
#ifndef XRNN_FEATURES_MFCC_HPP
#define XRNN_FEATURES_MFCC_HPP

#include <cstddef>
#include <memory>
#include <vector>

#include "xrnn/features/fbank.hpp"

namespace xrnn::features
{
    struct MfccOptions : FrameOptions, MelOptions, EnergyOptions
    {
        int num_ceps = 13;             // including C0; at most num_mel_bins
        double cepstral_lifter = 22.0; // L; 0 = no liftering
    };

    std::vector<double> make_dct_matrix(int num_ceps, int num_mel_bins); // (num_ceps, num_mel_bins) row-major
    std::vector<double> make_lifter(int num_ceps, double cepstral_lifter); // (num_ceps,)

    class MfccComputer
    {
    public:
        explicit MfccComputer(const MfccOptions& opts); // std::invalid_argument for bad options
        ~MfccComputer();
        MfccComputer(MfccComputer&&) noexcept;
        MfccComputer& operator=(MfccComputer&&) noexcept;

        const MfccOptions& options() const;
        std::size_t dims() const { return static_cast<std::size_t>(options().num_ceps); }

        // (num_frames, num_ceps). Throws DataError if n is shorter than one frame.
        FeatureMatrix compute(const float* samples, std::size_t n);
        FeatureMatrix compute(const std::vector<float>& samples) { return compute(samples.data(), samples.size()); }

    private:
        struct Impl;
        std::unique_ptr<Impl> impl_;
    };

    FeatureMatrix compute_mfcc(const std::vector<float>& samples, const MfccOptions& opts = {});
}

#endif
