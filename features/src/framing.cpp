// framing.cpp -- frame sizes, option checks and window shapes (Kaldi feature-window.cc).
#include "xrnn/features/framing.hpp"

#include <cmath>
#include <stdexcept>

namespace xrnn::features
{
    namespace
    {
        constexpr double pi = 3.14159265358979323846;

        [[noreturn]] void bad_option(const std::string& what)
        {
            throw std::invalid_argument("features: " + what);
        }
    }

    const char* window_type_name(WindowType w)
    {
        switch (w)
        {
        case WindowType::hamming: return "hamming";
        case WindowType::hanning: return "hanning";
        case WindowType::povey: return "povey";
        case WindowType::rectangular: return "rectangular";
        case WindowType::blackman: return "blackman";
        }
        return "?";
    }

    WindowType window_type_from_name(const std::string& name)
    {
        for (WindowType w : {WindowType::hamming, WindowType::hanning, WindowType::povey,
                             WindowType::rectangular, WindowType::blackman})
            if (name == window_type_name(w))
                return w;
        bad_option("unknown window_type '" + name + "' (valid: hamming, hanning, povey, rectangular, blackman)");
    }

    // The products are written in torchaudio's order, int(sample_frequency * ms * 0.001), so that
    // the truncation to whole samples rounds the same way.
    std::size_t window_size(const FrameOptions& o)
    {
        return static_cast<std::size_t>(o.sample_frequency * o.frame_length * 0.001);
    }

    std::size_t window_shift(const FrameOptions& o)
    {
        return static_cast<std::size_t>(o.sample_frequency * o.frame_shift * 0.001);
    }

    std::size_t padded_window_size(const FrameOptions& o)
    {
        const std::size_t n = window_size(o);
        if (!o.round_to_power_of_two)
            return n;
        std::size_t p = 1;
        while (p < n)
            p *= 2;
        return p;
    }

    std::size_t num_frames(std::size_t num_samples, const FrameOptions& o)
    {
        const std::size_t size = window_size(o), shift = window_shift(o);
        if (shift == 0 || size == 0)
            return 0;
        if (o.snip_edges)
            return num_samples < size ? 0 : 1 + (num_samples - size) / shift;
        return (num_samples + shift / 2) / shift;
    }

    void validate(const FrameOptions& o)
    {
        if (!(o.sample_frequency > 0))
            bad_option("sample_frequency must be > 0 Hz, got " + std::to_string(o.sample_frequency));
        if (!(o.frame_length > 0) || !(o.frame_shift > 0))
            bad_option("frame_length and frame_shift must be > 0 ms");
        if (window_size(o) < 2)
            bad_option("frame_length gives " + std::to_string(window_size(o)) + " samples per frame; need >= 2");
        if (window_shift(o) < 1)
            bad_option("frame_shift gives 0 samples between frames; need >= 1");
        if (padded_window_size(o) % 2 != 0)
            bad_option("the FFT length " + std::to_string(padded_window_size(o)) +
                       " is odd; set round_to_power_of_two or a frame_length giving an even number of samples");
        if (!(o.preemphasis_coefficient >= 0 && o.preemphasis_coefficient <= 1))
            bad_option("preemphasis_coefficient must be in [0, 1], got " + std::to_string(o.preemphasis_coefficient));
        if (!(o.dither >= 0))
            bad_option("dither must be >= 0");
    }

    std::vector<double> make_window(const FrameOptions& o)
    {
        const std::size_t n = window_size(o);
        std::vector<double> w(n);
        const double a = 2 * pi / static_cast<double>(n - 1);
        for (std::size_t i = 0; i < n; ++i)
        {
            const double x = static_cast<double>(i);
            switch (o.window_type)
            {
            case WindowType::hamming: w[i] = 0.54 - 0.46 * std::cos(a * x); break;
            case WindowType::hanning: w[i] = 0.5 - 0.5 * std::cos(a * x); break;
            case WindowType::povey: w[i] = std::pow(0.5 - 0.5 * std::cos(a * x), 0.85); break;
            case WindowType::rectangular: w[i] = 1.0; break;
            case WindowType::blackman:
                w[i] = o.blackman_coeff - 0.5 * std::cos(a * x) + (0.5 - o.blackman_coeff) * std::cos(2 * a * x);
                break;
            }
        }
        return w;
    }
}
