// xrnn/features/wav.hpp -- read a mono WAV file (via libsndfile) into samples on Kaldi's int16 scale.
//
// Samples are floats in int16 units: a 16-bit file gives its integers exactly (-32768..32767),
// i.e. what torchaudio.load returns times 32768. Kaldi computes its features on this scale, so
// log energies and filterbanks match Kaldi's only if the samples are not normalised to [-1, 1).
// 24/32-bit and float WAVs are read on the same scale (full scale = +-32768).
// Not a general audio reader: WAV (RIFF, WAVE_FORMAT_EXTENSIBLE, RF64) only, mono only, no
// resampling.
#ifndef XRNN_FEATURES_WAV_HPP
#define XRNN_FEATURES_WAV_HPP

#include <cstddef>
#include <string>
#include <vector>

#include "xrnn/features/data_error.hpp"

namespace xrnn::features
{
    struct Waveform
    {
        std::vector<float> samples; // (n,) mono, int16 scale
        int sample_rate = 0;        // Hz
        int channels = 0;           // always 1 from read_wav (others are refused)
    };

    struct WavOptions
    {
        int sample_rate = 16000;     // refuse files at another rate; 0 accepts any rate
        std::size_t min_samples = 1; // refuse shorter clips (fbank/mfcc need one whole frame)
    };

    // Throws DataError naming the file for: a missing file, a directory, an empty (0-byte) file,
    // a file that is not WAV or is truncated, more than one channel, another sample rate, no
    // samples, fewer than min_samples samples.
    Waveform read_wav(const std::string& path, const WavOptions& opts = {});
}

#endif
