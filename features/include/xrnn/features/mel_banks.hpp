// xrnn/features/mel_banks.hpp -- Kaldi's triangular mel filters over the FFT power spectrum
// (mel-computations.cc; torchaudio.compliance.kaldi.get_mel_banks without VTLN).
//
// mel(f) = 1127 ln(1 + f / 700). num_mel_bins triangles are spaced evenly in mel between
// low_freq and high_freq, each rising from its left edge to its centre and falling to its right
// edge (the next-but-one centre). Weights are evaluated at the mel of FFT bin k's frequency
// k * sample_frequency / padded_window_size for k < padded/2; the Nyquist bin gets no weight.
#ifndef XRNN_FEATURES_MEL_BANKS_HPP
#define XRNN_FEATURES_MEL_BANKS_HPP

#include <cstddef>
#include <vector>

namespace xrnn::features
{
    struct MelOptions
    {
        int num_mel_bins = 23;  // at least 3
        double low_freq = 20.0; // Hz
        double high_freq = 0.0; // Hz; <= 0 means an offset from Nyquist (0 = Nyquist, -400 = Nyquist - 400)
    };

    double mel_scale(double hz);
    double inverse_mel_scale(double mel);

    // One triangle: its non-zero weights on FFT bins first_fft_bin, first_fft_bin + 1, ...
    struct MelBin
    {
        std::size_t first_fft_bin = 0;
        std::vector<double> weights;
        double center_freq = 0; // Hz
    };

    // Throws std::invalid_argument for fewer than 3 bins, frequencies outside [0, Nyquist] or
    // low >= high, and (as Kaldi does) for a bin with no FFT bin under it (too many bins for the FFT).
    std::vector<MelBin> make_mel_banks(const MelOptions& o, std::size_t padded_window_size,
                                       double sample_frequency);
}

#endif
