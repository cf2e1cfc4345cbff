// xrnn/gradflow/tasks.hpp -- synthetic long-range tasks with exact data generators, for studying
// gradient flow (xrnn-gradflow). Both put the loss on the final step only, so the gradient that
// reaches step t is exactly what carried the dependency back over T - t steps. Data only: the
// network that learns them is task_net.hpp.
//
//   adding          (Hochreiter & Schmidhuber 1997; Le et al. 2015; Arjovsky et al. 2016)
//                   inputs (value ~ U(0,1), marker); one marker in the first half, one in the
//                   second; target = sum of the two marked values; loss MSE. Predicting the
//                   constant 1 gives MSE = Var(U1 + U2) = 2 (hi-lo)^2 / 12 = 1/6 (baseline_loss).
//                   A sequence is solved when its squared error is <= 0.04 (Pascanu et al. 2013).
//   temporal_order  (Hochreiter & Schmidhuber 1997, task 6a) one-hot symbols: distractors
//                   a, b, c, d everywhere except two positions, t1 in [T/10, 2T/10) and
//                   t2 in [5T/10, 6T/10), which hold X or Y; the class is the order (XX, XY,
//                   YX, YY); loss softmax cross-entropy. Chance: accuracy 1/4, loss ln 4.
// A run is solved when >= 99% of fresh test sequences are solved (Pascanu et al. 2013).
#ifndef XRNN_GRADFLOW_TASKS_HPP
#define XRNN_GRADFLOW_TASKS_HPP

#include "xrnn/check.hpp"
#include "xrnn/random.hpp"
#include "xrnn/tensor.hpp"

#include <cmath>
#include <string>
#include <string_view>
#include <vector>

namespace xrnn::gradflow
{
    enum class TaskKind
    {
        adding,
        temporal_order,
    };

    inline std::string task_names() { return "adding, temporal_order"; } // for errors and --help

    inline TaskKind task_from_name(std::string_view name)
    {
        if (name == "adding")
            return TaskKind::adding;
        if (name == "temporal_order" || name == "order")
            return TaskKind::temporal_order;
        detail::fail("unknown task '" + std::string(name) + "'; valid: " + task_names());
    }

    inline std::string task_name(TaskKind k) { return k == TaskKind::adding ? "adding" : "temporal_order"; }

    class SyntheticTask
    {
    public:
        static constexpr double value_lo = 0.0, value_hi = 1.0; // adding: value distribution
        static constexpr double solved_sq_error = 0.04;         // adding: per-sequence criterion
        static constexpr double solved_fraction = 0.99;         // run criterion

        SyntheticTask(TaskKind kind, std::size_t steps) : kind_(kind), steps_(steps)
        {
            XRNN_CHECK(steps >= 2, "sequence length must be at least 2, got " + std::to_string(steps));
            XRNN_CHECK(kind != TaskKind::temporal_order || steps >= 10,
                       "temporal_order needs a sequence length of at least 10 (its two symbols sit "
                       "in the 2nd and 6th tenths), got " + std::to_string(steps));
        }

        TaskKind kind() const { return kind_; }
        std::size_t steps() const { return steps_; }
        std::size_t input_size() const { return kind_ == TaskKind::adding ? 2 : 6; }
        std::size_t output_size() const { return kind_ == TaskKind::adding ? 1 : 4; }
        bool regression() const { return kind_ == TaskKind::adding; }

        // Loss of the best input-blind predictor, from the generator's distribution: the
        // constant 2 E[U] for adding (MSE 2 Var(U)), the uniform class distribution (ln 4).
        double baseline_loss() const
        {
            const double w = value_hi - value_lo;
            return kind_ == TaskKind::adding ? 2.0 * w * w / 12.0 : std::log(4.0);
        }
        double baseline_constant() const { return value_lo + value_hi; } // adding: 2 E[U]

        // x (T, B, input_size) time-major; y (B): the target sum, or the class index 0..3.
        template <class T>
        void sample(Rng& rng, std::size_t batch, Tensor3<T>& x, std::vector<double>& y) const
        {
            const std::size_t S = steps_, I = input_size();
            ensure_shape(x, std::array<std::size_t, 3>{S, batch, I});
            std::fill(x.begin(), x.end(), T(0));
            y.assign(batch, 0.0);
            for (std::size_t b = 0; b < batch; ++b)
            {
                if (kind_ == TaskKind::adding)
                {
                    const std::size_t half = S / 2;
                    const std::size_t p1 = rng.below(half), p2 = half + rng.below(S - half);
                    for (std::size_t t = 0; t < S; ++t)
                        x(t, b, 0) = static_cast<T>(value_lo + (value_hi - value_lo) * rng.uniform());
                    x(p1, b, 1) = T(1);
                    x(p2, b, 1) = T(1);
                    y[b] = static_cast<double>(x(p1, b, 0)) + static_cast<double>(x(p2, b, 0));
                }
                else
                {
                    const std::size_t lo1 = S / 10, hi1 = std::max(lo1 + 1, 2 * S / 10);
                    const std::size_t lo2 = 5 * S / 10, hi2 = std::max(lo2 + 1, 6 * S / 10);
                    const std::size_t p1 = lo1 + rng.below(hi1 - lo1), p2 = lo2 + rng.below(hi2 - lo2);
                    for (std::size_t t = 0; t < S; ++t)
                        x(t, b, rng.below(4)) = T(1); // distractor a..d
                    const std::size_t s1 = rng.below(2), s2 = rng.below(2); // 0 = X, 1 = Y
                    for (std::size_t p : {p1, p2})
                        for (std::size_t i = 0; i < 4; ++i)
                            x(p, b, i) = T(0);
                    x(p1, b, 4 + s1) = T(1);
                    x(p2, b, 4 + s2) = T(1);
                    y[b] = static_cast<double>(2 * s1 + s2);
                }
            }
        }

    private:
        TaskKind kind_;
        std::size_t steps_;
    };
}

#endif
