// features.cpp -- the file-to-features conveniences of the main header.
#include "xrnn/features/features.hpp"

#include <cmath>

namespace xrnn::features
{
    WavOptions wav_options_for(const FrameOptions& o)
    {
        WavOptions w;
        w.sample_rate = static_cast<int>(std::lround(o.sample_frequency));
        w.min_samples = window_size(o);
        return w;
    }

    FeatureMatrix fbank_from_wav(const std::string& path, const FbankOptions& opts)
    {
        FbankComputer c(opts); // bad options fail before the file is read
        return c.compute(read_wav(path, wav_options_for(opts)).samples);
    }

    FeatureMatrix mfcc_from_wav(const std::string& path, const MfccOptions& opts)
    {
        MfccComputer c(opts);
        return c.compute(read_wav(path, wav_options_for(opts)).samples);
    }
}
