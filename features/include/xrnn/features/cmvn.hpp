// xrnn/features/cmvn.hpp -- per-utterance cepstral mean (and variance) normalisation, as Kaldi's
// apply-cmvn with per-utterance statistics (torchaudio.functional.sliding_window_cmn with a
// centred window longer than the utterance gives the same).
//
// Per column: subtract the mean over the utterance's frames; with norm_vars also divide by the
// (population) standard deviation, its variance floored at 1e-20 as Kaldi does, so a constant
// column becomes 0 rather than NaN.
#ifndef XRNN_FEATURES_CMVN_HPP
#define XRNN_FEATURES_CMVN_HPP

#include "xrnn/features/feature_matrix.hpp"

namespace xrnn::features
{
    struct CmvnOptions
    {
        bool norm_means = true;
        bool norm_vars = false; // needs norm_means (std::invalid_argument otherwise, as in Kaldi)
    };

    void apply_cmvn(FeatureMatrix& features, const CmvnOptions& opts = {}); // in place
}

#endif
