// xrnn/clip.hpp -- gradient clipping: by global norm (Pascanu, Mikolov & Bengio 2013, Alg. 1)
// and by value (Mikolov's element-wise variant).
//
// clip_by_global_norm returns the norm before clipping, as torch.nn.utils.clip_grad_norm_
// does, plus whether it clipped; ClipCounter keeps the count and fraction of clipped steps.
#ifndef XRNN_CLIP_HPP
#define XRNN_CLIP_HPP

#include "xrnn/params.hpp"

#include <cmath>
#include <cstddef>
#include <vector>

namespace xrnn
{
    // sqrt of the sum of squares of all gradients, accumulated in double; NaN/inf propagate.
    template <class T>
    double global_grad_norm(const std::vector<ParamSpan<T>>& spans)
    {
        double sq = 0;
        for (const auto& s : spans)
            for (std::size_t i = 0; i < s.size; ++i)
                sq += static_cast<double>(s.grads[i]) * static_cast<double>(s.grads[i]);
        return std::sqrt(sq);
    }

    struct ClipResult
    {
        double norm_before = 0; // global norm before clipping
        double norm_after = 0;
        bool clipped = false;
    };

    // If the global norm is >= max_norm (Pascanu's ">="), scale all gradients by max_norm / norm.
    // A non-finite norm is reported and nothing is scaled: the caller decides (skip or stop).
    template <class T>
    ClipResult clip_by_global_norm(const std::vector<ParamSpan<T>>& spans, double max_norm)
    {
        ClipResult r;
        r.norm_before = r.norm_after = global_grad_norm(spans);
        if (!std::isfinite(r.norm_before) || max_norm <= 0 || r.norm_before < max_norm)
            return r;
        const T scale = static_cast<T>(max_norm / (r.norm_before + 1e-6)); // PyTorch's 1e-6 guard
        for (const auto& s : spans)
            for (std::size_t i = 0; i < s.size; ++i)
                s.grads[i] *= scale;
        r.norm_after = global_grad_norm(spans);
        r.clipped = true;
        return r;
    }

    // Clamp every gradient entry to [-limit, limit]; returns the number of entries changed.
    template <class T>
    std::size_t clip_by_value(const std::vector<ParamSpan<T>>& spans, double limit)
    {
        const T hi = static_cast<T>(limit), lo = -hi;
        std::size_t changed = 0;
        for (const auto& s : spans)
            for (std::size_t i = 0; i < s.size; ++i)
            {
                const T g = s.grads[i];
                if (g > hi || g < lo)
                {
                    s.grads[i] = g > hi ? hi : lo;
                    ++changed;
                }
            }
        return changed;
    }

    // Clip events over the whole run and over a sliding window of recent steps.
    class ClipCounter
    {
    public:
        explicit ClipCounter(std::size_t window = 100) : recent_(window, 0) {}
        void record(bool clipped)
        {
            ++steps_;
            total_ += clipped;
            window_sum_ += static_cast<int>(clipped) - recent_[pos_];
            recent_[pos_] = clipped;
            pos_ = (pos_ + 1) % recent_.size();
        }
        std::size_t steps() const { return steps_; }
        std::size_t clip_count() const { return total_; }
        double clip_fraction_recent() const
        {
            const std::size_t n = steps_ < recent_.size() ? steps_ : recent_.size();
            return n ? static_cast<double>(window_sum_) / static_cast<double>(n) : 0.0;
        }

    private:
        std::vector<char> recent_;
        std::size_t pos_ = 0, steps_ = 0, total_ = 0;
        long window_sum_ = 0;
    };
}

#endif
