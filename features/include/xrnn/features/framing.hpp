// xrnn/features/framing.hpp -- cutting a waveform into overlapping windowed frames, as Kaldi does
// (feature-window.h; torchaudio.compliance.kaldi._get_window is the same computation).
//
// Per frame, in this order: take window_size samples (with snip_edges=false the frames are
// centred on multiples of the shift and the signal is reflected at its ends), add dither, remove
// the frame's mean, pre-emphasise (x[j] -= c * x[j-1], x[0] -= c * x[0]), multiply by the window,
// zero-pad to padded_window_size for the FFT.
#ifndef XRNN_FEATURES_FRAMING_HPP
#define XRNN_FEATURES_FRAMING_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xrnn::features
{
    enum class WindowType
    {
        hamming,     // 0.54 - 0.46 cos(2 pi n / (N-1))
        hanning,     // 0.5 - 0.5 cos(2 pi n / (N-1))
        povey,       // hanning^0.85: like hanning but goes to zero at the edges (Kaldi's default)
        rectangular, // 1
        blackman     // blackman_coeff - 0.5 cos(a n) + (0.5 - blackman_coeff) cos(2 a n), a = 2 pi / (N-1)
    };
    const char* window_type_name(WindowType w);
    WindowType window_type_from_name(const std::string& name); // std::invalid_argument naming the valid ones

    // Names and defaults are torchaudio.compliance.kaldi's (Kaldi's with '-' -> '_'), except dither
    // (and energy_floor, in fbank.hpp).
    struct FrameOptions
    {
        double sample_frequency = 16000.0;     // Hz
        double frame_length = 25.0;            // ms
        double frame_shift = 10.0;             // ms
        double dither = 0.0;                   // Gaussian noise stddev added to samples; Kaldi's default
                                               // is 1.0, off here so features are deterministic
        std::uint64_t dither_seed = 0;         // each compute call restarts the noise from this seed
        double preemphasis_coefficient = 0.97; // in [0, 1]
        bool remove_dc_offset = true;          // subtract each frame's mean
        WindowType window_type = WindowType::povey;
        double blackman_coeff = 0.42;
        bool round_to_power_of_two = true;     // zero-pad frames to a power of two for the FFT
        bool snip_edges = true;                // only whole frames inside the signal; false: reflect at
                                               // the ends, frames = (n + shift/2) / shift
    };

    std::size_t window_size(const FrameOptions& o);        // samples per frame (400 at 16 kHz, 25 ms)
    std::size_t window_shift(const FrameOptions& o);       // samples between frames (160)
    std::size_t padded_window_size(const FrameOptions& o); // FFT length (512)
    std::size_t num_frames(std::size_t num_samples, const FrameOptions& o); // 0 if too short

    // Throws std::invalid_argument for a non-positive rate, length or shift, a frame shorter than 2
    // samples, an odd FFT length, a pre-emphasis outside [0, 1] or a negative dither.
    void validate(const FrameOptions& o);

    std::vector<double> make_window(const FrameOptions& o); // (window_size,)
}

#endif
