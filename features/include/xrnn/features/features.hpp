// xrnn/features/features.hpp -- speech features for xrnn: WAV reading, Kaldi-compatible log-mel
// filterbanks and MFCCs, deltas and per-utterance CMVN. Checked against torchaudio.compliance.kaldi
// (tests/fixtures/make_torchaudio_features.py). Needs only libsndfile and kissfft, not the
// recurrent core.
//
//   #include "xrnn/features/features.hpp"
//   namespace xf = xrnn::features;
//
//   xf::MfccOptions opts;                                  // Kaldi's defaults, dither 0, 16 kHz
//   opts.num_mel_bins = 40;                                // torchaudio's keyword names
//   xf::FeatureMatrix m = xf::mfcc_from_wav("a.wav", opts); // (frames, 13), DataError if bad
//   m = xf::compute_deltas(m);                             // (frames, 39): c, delta, delta-delta
//   xf::apply_cmvn(m);                                     // per-utterance mean removal
//   float c0_of_frame_5 = m(5, 0);
//
// Many files: read with read_wav(path, wav_options_for(opts)) and reuse one MfccComputer.
// Samples are on Kaldi's int16 scale (see wav.hpp); feed torchaudio waveforms times 32768.
#ifndef XRNN_FEATURES_FEATURES_HPP
#define XRNN_FEATURES_FEATURES_HPP

#include <string>

#include "xrnn/features/cmvn.hpp"
#include "xrnn/features/data_error.hpp"
#include "xrnn/features/deltas.hpp"
#include "xrnn/features/fbank.hpp"
#include "xrnn/features/feature_matrix.hpp"
#include "xrnn/features/framing.hpp"
#include "xrnn/features/mel_banks.hpp"
#include "xrnn/features/mfcc.hpp"
#include "xrnn/features/wav.hpp"

namespace xrnn::features
{
    // The file checks these options imply: their sample rate and at least one whole frame.
    WavOptions wav_options_for(const FrameOptions& o);

    // read_wav + compute: a bad file throws DataError naming it.
    FeatureMatrix fbank_from_wav(const std::string& path, const FbankOptions& opts = {});
    FeatureMatrix mfcc_from_wav(const std::string& path, const MfccOptions& opts = {});
}

#endif
