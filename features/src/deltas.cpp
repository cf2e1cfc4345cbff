// deltas.cpp -- Kaldi DeltaFeatures (feature-functions.cc) and torchaudio compute_deltas.
#include "xrnn/features/deltas.hpp"

#include <algorithm>
#include <stdexcept>
#include <vector>

namespace xrnn::features
{
    namespace
    {
        // The delta filter n / (2 sum n^2), n = -N..N.
        std::vector<double> delta_filter(int window)
        {
            double norm = 0;
            for (int n = -window; n <= window; ++n)
                norm += n * n;
            std::vector<double> f;
            for (int n = -window; n <= window; ++n)
                f.push_back(n / norm);
            return f;
        }

        std::vector<double> convolve(const std::vector<double>& a, const std::vector<double>& b)
        {
            std::vector<double> c(a.size() + b.size() - 1, 0.0);
            for (std::size_t i = 0; i < a.size(); ++i)
                for (std::size_t j = 0; j < b.size(); ++j)
                    c[i + j] += a[i] * b[j];
            return c;
        }

        // out[t][col0 + d] = sum_j filter[j] in[clamp(t + j - half)][d], in given as (frames, dims) doubles
        void filter_frames(const std::vector<double>& in, std::size_t frames, std::size_t dims,
                           const std::vector<double>& filter, std::vector<double>& out)
        {
            const long long half = static_cast<long long>(filter.size() / 2);
            const long long last = static_cast<long long>(frames) - 1;
            out.assign(frames * dims, 0.0);
            for (std::size_t t = 0; t < frames; ++t)
                for (std::size_t j = 0; j < filter.size(); ++j)
                {
                    if (filter[j] == 0)
                        continue;
                    const long long s = std::clamp(static_cast<long long>(t) + static_cast<long long>(j) - half, 0LL, last);
                    const double* src = in.data() + static_cast<std::size_t>(s) * dims;
                    double* dst = out.data() + t * dims;
                    for (std::size_t d = 0; d < dims; ++d)
                        dst[d] += filter[j] * src[d];
                }
        }
    }

    FeatureMatrix compute_deltas(const FeatureMatrix& features, const DeltaOptions& opts)
    {
        if (opts.order < 0 || opts.window < 1)
            throw std::invalid_argument("features: compute_deltas needs order >= 0 and window >= 1, got order " +
                                        std::to_string(opts.order) + ", window " + std::to_string(opts.window));
        const std::size_t frames = features.frames, dims = features.dims;
        const std::size_t blocks = static_cast<std::size_t>(opts.order) + 1;
        FeatureMatrix out;
        out.frames = frames;
        out.dims = dims * blocks;
        out.data.resize(frames * out.dims);
        if (frames == 0)
            return out;

        const std::vector<double> input(features.data.begin(), features.data.end());
        const std::vector<double> delta = delta_filter(opts.window);
        std::vector<double> filter{1.0}; // kaldi: the order-k filter applied to the input
        std::vector<double> prev = input, cur;
        for (std::size_t k = 0; k < blocks; ++k)
        {
            if (k == 0)
                cur = input;
            else if (opts.edges == DeltaEdges::kaldi)
            {
                filter = convolve(filter, delta);
                filter_frames(input, frames, dims, filter, cur);
            }
            else
            {
                filter_frames(prev, frames, dims, delta, cur);
                prev = cur;
            }
            for (std::size_t t = 0; t < frames; ++t)
                for (std::size_t d = 0; d < dims; ++d)
                    out.data[t * out.dims + k * dims + d] = static_cast<float>(cur[t * dims + d]);
        }
        return out;
    }
}
