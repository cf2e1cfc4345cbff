// xrnn/optimizer.hpp -- Adam (Kingma & Ba 2015), RMSprop (Tieleman & Hinton 2012) and SGD with
// momentum, over a list of parameter spans, with a learning-rate schedule: step decay (Keras
// ExponentialDecay with staircase), cosine (torch CosineAnnealingLR) or linear (torch LinearLR).
//
// Updates follow torch.optim's formulas (Adam with bias correction, eps outside the sqrt;
// RMSprop alpha = smoothing constant; SGD momentum buffer v = mu v + g, p -= lr v).
// weight_decay is decoupled (AdamW, Loshchilov & Hutter 2019): p -= lr * wd * p, for every
// optimizer, so it does not interact with the adaptive scaling.
#ifndef XRNN_OPTIMIZER_HPP
#define XRNN_OPTIMIZER_HPP

#include "xrnn/check.hpp"
#include "xrnn/detail/name_table.hpp"
#include "xrnn/params.hpp"
#include "xrnn/value_range.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace xrnn
{
    enum class OptimizerKind
    {
        adam,
        rmsprop,
        sgd,
    };

    inline constexpr std::array<detail::Named<OptimizerKind>, 3> optimizer_table{
        {{OptimizerKind::adam, "adam"}, {OptimizerKind::rmsprop, "rmsprop"}, {OptimizerKind::sgd, "sgd"}}};
    inline OptimizerKind optimizer_from_name(std::string_view name)
    {
        return detail::from_name(optimizer_table, name, "optimizer");
    }
    inline std::string optimizer_name(OptimizerKind k) { return detail::name_of(optimizer_table, k); }
    inline std::vector<std::string> optimizer_names() { return detail::names_of(optimizer_table); }

    enum class LrSchedule
    {
        step,   // x lr_decay every lr_decay_every steps
        cosine, // half a cosine from lr to lr_min over lr_decay_steps
        linear, // a straight line from lr to lr_min over lr_decay_steps
    };

    inline constexpr std::array<detail::Named<LrSchedule>, 3> lr_schedule_table{
        {{LrSchedule::step, "step"}, {LrSchedule::cosine, "cosine"}, {LrSchedule::linear, "linear"}}};
    inline LrSchedule lr_schedule_from_name(std::string_view name)
    {
        return detail::from_name(lr_schedule_table, name, "lr schedule");
    }
    inline std::string lr_schedule_name(LrSchedule s) { return detail::name_of(lr_schedule_table, s); }
    inline std::vector<std::string> lr_schedule_names() { return detail::names_of(lr_schedule_table); }

    struct OptimizerConfig
    {
        OptimizerKind kind = OptimizerKind::adam;
        double lr = 2e-3;
        double beta1 = 0.9, beta2 = 0.999; // adam
        double alpha = 0.99;               // rmsprop smoothing
        double momentum = 0.9;             // sgd only (rmsprop here has none, as torch's default)
        double eps = 1e-8;
        double weight_decay = 0.0;         // decoupled
        // Schedules, over the optimizer step t (1-based); all hold lr up to lr_decay_start:
        // step:   lr_t = max(lr_min, lr * lr_decay^(floor((t - lr_decay_start) / lr_decay_every)))
        // cosine: lr_t = lr_min + (lr - lr_min) * (1 + cos(pi * f)) / 2
        // linear: lr_t = lr - (lr - lr_min) * f,  f = min(1, (t - lr_decay_start) / lr_decay_steps)
        // Defined on steps, not seconds, so a run (and its resume) is reproducible; to end a
        // time-budgeted run at lr_min, set lr_decay_steps to the steps the budget gives.
        LrSchedule schedule = LrSchedule::step;
        double lr_decay = 1.0;
        std::uint64_t lr_decay_every = 1000;
        std::uint64_t lr_decay_start = 0;
        std::uint64_t lr_decay_steps = 0; // cosine and linear
        double lr_min = 0.0;
    };

    // The valid values of OptimizerConfig's numbers (value_range.hpp), for the configs that hold
    // one and the flags that set them.
    namespace optimizer_range
    {
        inline constexpr ValueRange lr{"lr", 0, 1e6, false, true}; // wide: runs diverge on purpose too
        inline constexpr ValueRange beta1{"beta1", 0, 0.999999, false};
        inline constexpr ValueRange beta2{"beta2", 0, 0.999999999, false};
        inline constexpr ValueRange alpha{"alpha", 0, 0.999999999, false};
        inline constexpr ValueRange momentum{"momentum", 0, 0.999, false};
        inline constexpr ValueRange eps{"eps", 0, 1, false, true};
        inline constexpr ValueRange weight_decay{"weight_decay", 0, 1, false};
        inline constexpr ValueRange lr_decay{"lr_decay", 0, 1, false, true};
        inline constexpr ValueRange lr_decay_every{"lr_decay_every", 1, limits::kMaxCount, true};
        inline constexpr ValueRange lr_decay_start{"lr_decay_start", 0, limits::kMaxCount, true};
        inline constexpr ValueRange lr_decay_steps{"lr_decay_steps", 0, limits::kMaxCount, true};
        inline constexpr ValueRange lr_min{"lr_min", 0, 1e6, false};
    }

    template <class T>
    class Optimizer
    {
    public:
        explicit Optimizer(const OptimizerConfig& c = {}) : c_(c)
        {
            XRNN_CHECK(c.lr > 0 && std::isfinite(c.lr), "learning rate must be > 0, got " + std::to_string(c.lr));
            XRNN_CHECK(c.lr_decay > 0 && c.lr_decay <= 1, "lr_decay must be in (0, 1], got " + std::to_string(c.lr_decay));
            XRNN_CHECK(c.lr_decay_every > 0, "lr_decay_every must be > 0");
            XRNN_CHECK(c.weight_decay >= 0, "weight_decay must be >= 0");
            XRNN_CHECK(c.schedule == LrSchedule::step || c.lr_decay_steps > 0,
                       "the " + lr_schedule_name(c.schedule) + " schedule needs lr_decay_steps > 0 (the steps from lr_decay_start to lr_min)");
            XRNN_CHECK(c.schedule == LrSchedule::step || c.lr_min <= c.lr,
                       "lr_min (" + std::to_string(c.lr_min) + ") must not exceed lr (" + std::to_string(c.lr) + ")");
        }
        const OptimizerConfig& config() const { return c_; }
        std::uint64_t steps() const { return t_; }
        double current_lr() const { return lr_at(t_ + 1); }
        double lr_at(std::uint64_t t) const
        {
            if (t <= c_.lr_decay_start)
                return c_.lr;
            if (c_.schedule != LrSchedule::step)
            {
                const double f = std::min(1.0, static_cast<double>(t - c_.lr_decay_start) / static_cast<double>(c_.lr_decay_steps));
                const double w = c_.schedule == LrSchedule::cosine ? 0.5 * (1.0 + std::cos(3.14159265358979323846 * f)) : 1.0 - f;
                return c_.lr_min + (c_.lr - c_.lr_min) * w;
            }
            if (c_.lr_decay == 1.0)
                return c_.lr;
            const double decayed = c_.lr * std::pow(c_.lr_decay, static_cast<double>((t - c_.lr_decay_start) / c_.lr_decay_every));
            return decayed > c_.lr_min ? decayed : c_.lr_min;
        }

        void step(const std::vector<ParamSpan<T>>& spans)
        {
            const std::size_t n = total_size(spans);
            if (m_.size() != n) // first step: state buffers in the spans' order
            {
                XRNN_CHECK(t_ == 0, "optimizer state has " + std::to_string(m_.size())
                                        + " entries but the model has " + std::to_string(n));
                m_.assign(n, 0.0f);
                v_.assign(c_.kind == OptimizerKind::sgd ? 0 : n, 0.0f);
            }
            ++t_;
            const double lr = lr_at(t_);
            const T wd = static_cast<T>(lr * c_.weight_decay);
            std::size_t off = 0;
            for (const auto& s : spans)
            {
                T* p = s.values;
                const T* g = s.grads;
                float* m = m_.data() + off;
                float* v = c_.kind == OptimizerKind::sgd ? nullptr : v_.data() + off;
                if (wd != T(0))
                    for (std::size_t i = 0; i < s.size; ++i)
                        p[i] -= wd * p[i];
                switch (c_.kind)
                {
                case OptimizerKind::adam: adam(p, g, m, v, s.size, lr); break;
                case OptimizerKind::rmsprop: rmsprop(p, g, m, v, s.size, lr); break;
                case OptimizerKind::sgd: sgd(p, g, m, s.size, lr); break;
                }
                off += s.size;
            }
        }

        // State for checkpoints: the step count and the moment buffers (float).
        std::vector<float>& first_moment() { return m_; }
        std::vector<float>& second_moment() { return v_; }
        const std::vector<float>& first_moment() const { return m_; }
        const std::vector<float>& second_moment() const { return v_; }
        void set_steps(std::uint64_t t) { t_ = t; }

    private:
        void adam(T* p, const T* g, float* m, float* v, std::size_t n, double lr) const
        {
            const float b1 = static_cast<float>(c_.beta1), b2 = static_cast<float>(c_.beta2);
            const double bc1 = 1 - std::pow(c_.beta1, static_cast<double>(t_));
            const double bc2 = 1 - std::pow(c_.beta2, static_cast<double>(t_));
            const float step = static_cast<float>(lr / bc1);
            const float inv_sqrt_bc2 = static_cast<float>(1 / std::sqrt(bc2));
            const float eps = static_cast<float>(c_.eps);
            for (std::size_t i = 0; i < n; ++i)
            {
                const float gi = static_cast<float>(g[i]);
                m[i] = b1 * m[i] + (1 - b1) * gi;
                v[i] = b2 * v[i] + (1 - b2) * gi * gi;
                p[i] -= static_cast<T>(step * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps));
            }
        }
        void rmsprop(T* p, const T* g, float*, float* sq, std::size_t n, double lr) const
        {
            const float a = static_cast<float>(c_.alpha);
            const float eps = static_cast<float>(c_.eps), flr = static_cast<float>(lr);
            for (std::size_t i = 0; i < n; ++i)
            {
                const float gi = static_cast<float>(g[i]);
                sq[i] = a * sq[i] + (1 - a) * gi * gi;
                p[i] -= static_cast<T>(flr * gi / (std::sqrt(sq[i]) + eps));
            }
        }
        void sgd(T* p, const T* g, float* buf, std::size_t n, double lr) const
        {
            const float mu = static_cast<float>(c_.momentum), flr = static_cast<float>(lr);
            for (std::size_t i = 0; i < n; ++i)
            {
                buf[i] = mu * buf[i] + static_cast<float>(g[i]);
                p[i] -= static_cast<T>(flr * buf[i]);
            }
        }

        OptimizerConfig c_;
        std::uint64_t t_ = 0;
        std::vector<float> m_, v_;
    };
}

#endif
