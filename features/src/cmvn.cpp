// cmvn.cpp -- per-utterance CMVN (Kaldi ApplyCmvn with one utterance's statistics).
#include "xrnn/features/cmvn.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace xrnn::features
{
    void apply_cmvn(FeatureMatrix& f, const CmvnOptions& opts)
    {
        if (opts.norm_vars && !opts.norm_means)
            throw std::invalid_argument("features: apply_cmvn cannot normalise variances without means "
                                        "(Kaldi refuses it too); set norm_means");
        if (f.frames == 0 || !opts.norm_means)
            return;
        std::vector<double> sum(f.dims, 0.0), sumsq(f.dims, 0.0);
        for (std::size_t t = 0; t < f.frames; ++t)
            for (std::size_t d = 0; d < f.dims; ++d)
            {
                const double x = f(t, d);
                sum[d] += x;
                sumsq[d] += x * x;
            }
        const double n = static_cast<double>(f.frames);
        std::vector<double> mean(f.dims), scale(f.dims, 1.0);
        for (std::size_t d = 0; d < f.dims; ++d)
        {
            mean[d] = sum[d] / n;
            if (opts.norm_vars) // Kaldi's floor: a constant column gives 0, not 0/0
                scale[d] = 1.0 / std::sqrt(std::max(sumsq[d] / n - mean[d] * mean[d], 1e-20));
        }
        for (std::size_t t = 0; t < f.frames; ++t)
        {
            float* r = f.row(t);
            for (std::size_t d = 0; d < f.dims; ++d)
                r[d] = static_cast<float>((r[d] - mean[d]) * scale[d]);
        }
    }
}
