// mel_banks.cpp -- Kaldi's MelBanks without VTLN warping.
#include "xrnn/features/mel_banks.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace xrnn::features
{
    double mel_scale(double hz) { return 1127.0 * std::log(1.0 + hz / 700.0); }
    double inverse_mel_scale(double mel) { return 700.0 * (std::exp(mel / 1127.0) - 1.0); }

    std::vector<MelBin> make_mel_banks(const MelOptions& o, std::size_t padded_window_size,
                                       double sample_frequency)
    {
        if (o.num_mel_bins < 3)
            throw std::invalid_argument("features: num_mel_bins must be >= 3, got " + std::to_string(o.num_mel_bins));
        const double nyquist = 0.5 * sample_frequency;
        const double high = o.high_freq <= 0 ? o.high_freq + nyquist : o.high_freq;
        if (!(o.low_freq >= 0 && o.low_freq < nyquist && high > 0 && high <= nyquist && o.low_freq < high))
            throw std::invalid_argument("features: bad low_freq " + std::to_string(o.low_freq) + " / high_freq " +
                                        std::to_string(o.high_freq) + " (-> " + std::to_string(high) +
                                        " Hz); need 0 <= low < high <= Nyquist = " + std::to_string(nyquist) +
                                        " Hz, high <= 0 meaning Nyquist + high");

        const std::size_t num_fft_bins = padded_window_size / 2; // the Nyquist bin is left out
        const double fft_bin_width = sample_frequency / static_cast<double>(padded_window_size);
        const double mel_low = mel_scale(o.low_freq), mel_high = mel_scale(high);
        // num_bins + 1 intervals: the outer triangles' feet reach the two ends
        const double mel_delta = (mel_high - mel_low) / (o.num_mel_bins + 1);

        std::vector<MelBin> bins(static_cast<std::size_t>(o.num_mel_bins));
        for (int b = 0; b < o.num_mel_bins; ++b)
        {
            const double left = mel_low + b * mel_delta, center = mel_low + (b + 1.0) * mel_delta,
                         right = mel_low + (b + 2.0) * mel_delta;
            MelBin& bin = bins[static_cast<std::size_t>(b)];
            bin.center_freq = inverse_mel_scale(center);
            bool started = false;
            for (std::size_t k = 0; k < num_fft_bins; ++k)
            {
                const double mel = mel_scale(fft_bin_width * static_cast<double>(k));
                const double w = std::max(0.0, std::min((mel - left) / (center - left), (right - mel) / (right - center)));
                if (w > 0 && !started)
                {
                    bin.first_fft_bin = k;
                    started = true;
                }
                if (started)
                    bin.weights.push_back(w);
            }
            while (!bin.weights.empty() && bin.weights.back() == 0)
                bin.weights.pop_back();
            if (bin.weights.empty())
                throw std::invalid_argument("features: mel bin " + std::to_string(b) + " of " +
                                            std::to_string(o.num_mel_bins) + " covers no FFT bin; num_mel_bins is "
                                            "too large for a " + std::to_string(padded_window_size) + "-point FFT");
        }
        return bins;
    }
}
