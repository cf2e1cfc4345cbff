// xrnn/weight_average.hpp -- an exponential moving average of the parameters (Polyak & Juditsky
// 1992; TensorFlow's ExponentialMovingAverage, torch.optim.swa_utils.AveragedModel with an EMA
// avg_fn), for evaluation and sampling.
//
// Why: with Adam at a useful learning rate the weights jitter around a minimum; their average
// over the last ~1/(1-decay) steps sits closer to it and usually gives a lower validation loss
// than the last iterate, at the cost of one multiply-add per parameter and step.
//
// After optimizer step t:  avg = d * avg + (1 - d) * p,  d = min(decay, (1 + t) / (10 + t))
// The warm-up on d (TensorFlow's num_updates) keeps the first steps' random init from lingering.
#ifndef XRNN_WEIGHT_AVERAGE_HPP
#define XRNN_WEIGHT_AVERAGE_HPP

#include "xrnn/check.hpp"
#include "xrnn/params.hpp"

#include <algorithm>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace xrnn
{
    template <class T>
    class WeightAverage
    {
    public:
        explicit WeightAverage(double decay = 0.999) : decay_(decay)
        {
            XRNN_CHECK(decay > 0.0 && decay < 1.0, "weight-average decay must be in (0, 1), got " + std::to_string(decay));
        }

        double decay() const { return decay_; }
        // The decay used after optimizer step t (1-based).
        double decay_at(std::uint64_t t) const
        {
            const double warm = (1.0 + static_cast<double>(t)) / (10.0 + static_cast<double>(t));
            return std::min(decay_, warm);
        }

        // Folds in the parameters after optimizer step t. The first call starts the average at them.
        void update(const std::vector<ParamSpan<T>>& spans, std::uint64_t t)
        {
            const std::size_t n = total_size(spans);
            if (avg_.size() != n)
            {
                XRNN_CHECK(avg_.empty(), "weight average holds " + std::to_string(avg_.size())
                                             + " values but the model has " + std::to_string(n));
                avg_.resize(n);
                copy_from(spans, avg_);
                return;
            }
            const T d = static_cast<T>(decay_at(t)), e = T(1) - d;
            std::size_t off = 0;
            for (const auto& s : spans)
            {
                T* a = avg_.data() + off;
                for (std::size_t i = 0; i < s.size; ++i)
                    a[i] = d * a[i] + e * s.values[i];
                off += s.size;
            }
        }

        // Swaps the averaged values into the model's parameters and the model's into the average;
        // call again to swap back. Evaluation runs between the two calls.
        void swap_into(const std::vector<ParamSpan<T>>& spans)
        {
            XRNN_CHECK(avg_.size() == total_size(spans), "weight average is empty or does not match the model");
            std::size_t off = 0;
            for (const auto& s : spans)
            {
                std::swap_ranges(s.values, s.values + s.size, avg_.data() + off);
                off += s.size;
            }
        }

        // For checkpoints: the averaged values, flat in the spans' order.
        const std::vector<T>& values() const { return avg_; }
        void set_values(std::vector<T> v) { avg_ = std::move(v); }

    private:
        static void copy_from(const std::vector<ParamSpan<T>>& spans, std::vector<T>& out)
        {
            std::size_t off = 0;
            for (const auto& s : spans)
            {
                std::copy(s.values, s.values + s.size, out.data() + off);
                off += s.size;
            }
        }

        double decay_;
        std::vector<T> avg_;
    };
}

#endif
