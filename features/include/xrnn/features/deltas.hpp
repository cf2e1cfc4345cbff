// xrnn/features/deltas.hpp -- delta and delta-delta features (Kaldi add-deltas,
// torchaudio.functional.compute_deltas).
//
// d_t = sum_{n=1..N} n (c_{t+n} - c_{t-n}) / (2 sum_{n=1..N} n^2), N = window, frames beyond the
// ends replaced by the first/last frame. The output has (order + 1) * dims columns: the features,
// then the deltas, then the delta-deltas.
//
// The two definitions agree on the features and the first-order deltas everywhere, and on
// delta-deltas except within order*window frames of each end:
//   kaldi:      Kaldi's DeltaFeatures: the order-k filter is the delta filter convolved with
//               itself k times, applied to the input with its end frames repeated.
//   torchaudio: compute_deltas applied to the previous order's output (each pass repeats that
//               output's end frames), as in torchaudio's docs (delta2 = compute_deltas(delta)).
#ifndef XRNN_FEATURES_DELTAS_HPP
#define XRNN_FEATURES_DELTAS_HPP

#include "xrnn/features/feature_matrix.hpp"

namespace xrnn::features
{
    enum class DeltaEdges
    {
        kaldi,
        torchaudio
    };

    struct DeltaOptions
    {
        int order = 2;  // 2: features, deltas, delta-deltas
        int window = 2; // N; torchaudio's win_length = 2 N + 1 = 5
        DeltaEdges edges = DeltaEdges::kaldi;
    };

    // Throws std::invalid_argument for order < 0 or window < 1. No frames in, no frames out.
    FeatureMatrix compute_deltas(const FeatureMatrix& features, const DeltaOptions& opts = {});
}

#endif
