// xrnn/features/feature_matrix.hpp -- the output of every feature function: frames x dims floats.
#ifndef XRNN_FEATURES_FEATURE_MATRIX_HPP
#define XRNN_FEATURES_FEATURE_MATRIX_HPP

#include <cstddef>
#include <vector>

namespace xrnn::features
{
    // Row-major (frames, dims), one row per 10 ms frame: the layout a sequence model reads
    // step by step. Values are computed in double and stored as float.
    struct FeatureMatrix
    {
        std::vector<float> data; // (frames, dims) row-major
        std::size_t frames = 0;
        std::size_t dims = 0;

        float operator()(std::size_t t, std::size_t d) const { return data[t * dims + d]; }
        float* row(std::size_t t) { return data.data() + t * dims; }
        const float* row(std::size_t t) const { return data.data() + t * dims; }
    };
}

#endif
