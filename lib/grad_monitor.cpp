// lib/grad_monitor.cpp -- turns per-step adjoint norms (FlowTrace) and parameter gradients into
// a MonitorReport with a diagnosis (its JSON form: monitor_json.hpp).
#include "xrnn/grad_monitor.hpp"

#include "xrnn/activation.hpp"
#include "xrnn/random.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>

namespace xrnn
{
    namespace
    {
        constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();
        constexpr double inf_v = std::numeric_limits<double>::infinity();

        double norm_of(const double* v, std::size_t n)
        {
            double s = 0;
            for (std::size_t i = 0; i < n; ++i)
                s += v[i] * v[i];
            return std::sqrt(s);
        }

        // The block names of each tensor of the stack (cell_traits.hpp), by index in its
        // parameter set; empty where the tensor is not split into blocks.
        template <class T>
        std::vector<std::string> block_names(const Recurrent<T>& rnn)
        {
            const CellTraits& tr = rnn.traits();
            std::vector<std::string> names(rnn.params().count());
            for (std::size_t l = 0; l < rnn.units(); ++l)
                for (std::size_t k = 0; k < tr.tensors.size(); ++k)
                {
                    const CellTensor& t = tr.tensors[k];
                    const char* n = t.block_names ? t.block_names : (t.blocks == 0 ? tr.gate_names : "");
                    names[rnn.tensor_index(l, k)] = std::string(n).size() > 1 ? n : "";
                }
            return names;
        }
    }

    std::string diagnosis_name(FlowDiagnosis d)
    {
        switch (d)
        {
        case FlowDiagnosis::healthy:
            return "healthy";
        case FlowDiagnosis::vanishing:
            return "vanishing";
        case FlowDiagnosis::exploding:
            return "exploding";
        }
        return "?";
    }

    template <class T>
    double sigma_max(const T* a, std::size_t rows, std::size_t cols, std::size_t iterations,
                     std::vector<double>* start)
    {
        if (rows == 0 || cols == 0)
            return 0;
        // power iteration on A^T A from the warm start or a fixed pseudo-random vector (never
        // orthogonal to the top singular vector in practice)
        std::vector<double> v(cols), u(rows);
        if (start && start->size() == cols)
            v = *start;
        else
        {
            Rng rng(0x5157u);
            for (auto& x : v)
                x = rng.normal();
        }
        double sigma = 0;
        for (std::size_t it = 0; it < iterations; ++it)
        {
            const double vn = norm_of(v.data(), cols);
            if (!(vn > 0) || !std::isfinite(vn))
                return std::isfinite(vn) ? 0.0 : nan_v;
            for (auto& x : v)
                x /= vn;
            for (std::size_t r = 0; r < rows; ++r)
            {
                double s = 0;
                for (std::size_t c = 0; c < cols; ++c)
                    s += static_cast<double>(a[r * cols + c]) * v[c];
                u[r] = s;
            }
            const double next = norm_of(u.data(), rows); // ||A v|| with ||v|| = 1: a lower bound
            std::fill(v.begin(), v.end(), 0.0);
            for (std::size_t r = 0; r < rows; ++r)
                for (std::size_t c = 0; c < cols; ++c)
                    v[c] += static_cast<double>(a[r * cols + c]) * u[r];
            const bool settled = std::abs(next - sigma) <= 1e-10 * next;
            sigma = next;
            if (settled)
                break;
        }
        if (start)
            *start = v;
        return sigma;
    }

    GradMonitor::GradMonitor(MonitorThresholds thresholds)
        : thresholds_(thresholds), clips_(std::max<std::size_t>(thresholds.window, 1))
    {
        XRNN_CHECK(thresholds.epsilon > 0 && thresholds.epsilon < 1,
                   "monitor epsilon must be in (0, 1), got " + std::to_string(thresholds.epsilon));
        XRNN_CHECK(thresholds.window > 0, "monitor window must be at least 1 step");
    }

    void GradMonitor::record_step(const ClipResult& clip)
    {
        clips_.record(clip.clipped);
        norms_.push_back(clip.norm_before);
        while (norms_.size() > thresholds_.window)
            norms_.pop_front();
    }

    double GradMonitor::median_norm() const
    {
        std::vector<double> v;
        for (double n : norms_)
            if (std::isfinite(n))
                v.push_back(n);
        if (v.empty())
            return 0;
        auto mid = v.begin() + static_cast<long>(v.size() / 2);
        std::nth_element(v.begin(), mid, v.end());
        return *mid;
    }

    LayerFlowReport analyse_flow(const FlowTrace& tr, const MonitorThresholds& th, bool final_step_loss)
    {
        LayerFlowReport r;
        r.forget_mean = tr.forget_mean;
        const std::size_t T = tr.steps();
        r.steps = T;
        r.dh.assign(tr.h_total.begin() + (T ? 1 : 0), tr.h_total.end());
        if (!tr.c_total.empty())
            r.dc.assign(tr.c_total.begin() + 1, tr.c_total.end());
        bool nonfinite = false;
        for (std::size_t s = 0; s <= T && T; ++s)
            nonfinite = nonfinite || !std::isfinite(tr.state_total[s]) || !std::isfinite(tr.state_carry[s]);

        // step gains: step t maps the adjoint of state t to that of state t-1
        r.step_gain.assign(T, nan_v);
        double log_sum = 0;
        std::size_t n_gain = 0;
        bool zero_gain = false;
        for (std::size_t t = 1; t <= T; ++t)
        {
            const double in = tr.state_total[t], out = tr.state_carry[t - 1];
            if (!(in > 0) || !std::isfinite(in) || !std::isfinite(out))
                continue; // no gradient reached this step (or it is not a number)
            const double g = out / in;
            r.step_gain[t - 1] = g;
            r.omega += (g - 1) * (g - 1);
            if (g == 0)
                zero_gain = true;
            else
                log_sum += std::log(g);
            ++n_gain;
        }
        r.step_gain_mean = n_gain == 0 ? nan_v : (zero_gain ? 0.0 : std::exp(log_sum / double(n_gain)));
        const double eta = r.step_gain_mean;
        r.horizon_extrapolated = !(eta >= 0) ? nan_v
                               : eta >= 1    ? inf_v
                               : eta == 0    ? 0.0
                                             : std::log(th.epsilon) / std::log(eta);

        r.log10_decay = r.per_step_rate = nan_v;
        if (final_step_loss && T >= 2)
        {
            const double first = r.dh.front(), last = r.dh.back();
            if (last > 0 && std::isfinite(last) && std::isfinite(first))
            {
                r.log10_decay = first > 0 ? std::log10(first / last) : -inf_v;
                r.per_step_rate = std::pow(10.0, r.log10_decay / double(T - 1));
                for (std::size_t k = 1; k < T; ++k)
                    if (r.dh[T - 1 - k] < th.epsilon * last)
                    {
                        r.horizon = static_cast<long>(k);
                        break;
                    }
            }
        }

        const std::size_t dep = th.dependency_length ? th.dependency_length : T;
        const double lag = dep > 1 ? double(dep - 1) : 1.0;
        if (nonfinite)
        {
            r.diagnosis = FlowDiagnosis::exploding;
            r.flags.push_back("nonfinite");
        }
        else if (eta > 0 && lag * std::log10(eta) > th.growth_log10)
            r.diagnosis = FlowDiagnosis::exploding;
        else if (eta == 0 || (eta > 0 && lag * std::log10(eta) < std::log10(th.epsilon)))
            r.diagnosis = FlowDiagnosis::vanishing;
        return r;
    }

    template <class T>
    MonitorReport GradMonitor::report(std::size_t step, const Recurrent<T>& rnn,
                                      const std::vector<NamedParams<T>>& params,
                                      const ClipResult& clip, bool final_step_loss)
    {
        const RecurrentConfig& cfg = rnn.config();
        XRNN_CHECK(rnn.flow_trace() && rnn.flow_traces().size() == rnn.units(),
                   "GradMonitor::report needs a backward run with set_flow_trace(true)");
        MonitorReport r;
        r.step = step;
        r.final_step_loss = final_step_loss;
        r.global_norm = clip.norm_before;
        r.global_norm_post = clip.norm_after;
        r.clipped = clip.clipped;
        r.clip_count = clip_count();
        r.clip_fraction = clip_fraction();
        r.median_norm = median_norm();
        r.norm_spike = r.median_norm > 0 && clip.norm_before > thresholds_.spike_factor * r.median_norm;

        const std::size_t H = cfg.hidden_size;
        const CellTraits& traits = rnn.traits();
        const std::vector<std::string> blocks_of = block_names(rnn);
        for (const auto& np : params)
        {
            const ParamSet<T>& set = *np.set;
            for (std::size_t i = 0; i < set.count(); ++i)
            {
                const ParamInfo& info = set.table()[i];
                const T* g = set.grad(i);
                // one pass: squares per block (the first axis of a recurrent tensor holds gate
                // blocks of H rows, named in cell_traits; other tensors are one block) and the
                // non-finite count
                const std::string& gates = &set == &rnn.params() ? blocks_of[i] : std::string();
                const bool per_gate = !gates.empty();
                const std::size_t blocks = per_gate ? gates.size() : 1, len = info.size / blocks;
                double total = 0;
                std::vector<double> sq(blocks, 0.0);
                for (std::size_t b = 0; b < blocks; ++b)
                {
                    for (std::size_t k = b * len; k < (b + 1) * len; ++k)
                    {
                        const double v = static_cast<double>(g[k]);
                        sq[b] += v * v;
                    }
                    total += sq[b];
                }
                if (!std::isfinite(total)) // rare: count the culprits only then
                    for (std::size_t k = 0; k < info.size; ++k)
                        r.nonfinite += !std::isfinite(static_cast<double>(g[k]));
                r.tensors.push_back({np.prefix + info.name, std::sqrt(total)});
                if (per_gate)
                    for (std::size_t b = 0; b < blocks; ++b)
                        r.tensors.push_back({np.prefix + info.name + "[" + gates[b] + "]", std::sqrt(sq[b])});
            }
        }

        const double gamma = max_slope(cfg.activation);
        for (std::size_t l = 0; l < rnn.units(); ++l) // one report per (layer, direction)
        {
            LayerFlowReport lr = analyse_flow(rnn.flow_traces()[l], thresholds_, final_step_loss);
            lr.layer = l / rnn.directions();
            lr.direction = l % rnn.directions();
            const T* w_hh = rnn.params().value(rnn.tensor_index(l, 1)); // weight_hh (cell_traits)
            const std::size_t block = traits.candidate_block;
            singular_vectors_.resize(rnn.units());
            const bool warm = singular_vectors_[l].size() == H; // then a few iterations suffice
            lr.sigma_max = sigma_max(w_hh + block * H * H, H, H, warm ? 30 : 500, &singular_vectors_[l]);
            lr.gamma = gamma;
            lr.sigma_gamma = lr.sigma_max * gamma;
            const std::size_t dep = thresholds_.dependency_length ? thresholds_.dependency_length : lr.steps;
            if (!traits.gated) // Pascanu's condition holds for the vanilla cell only
            {
                if (lr.sigma_gamma < 1 - 1e-9)
                    lr.flags.push_back("vanishing_guaranteed");
                else if (lr.sigma_gamma > 1 + 1e-9)
                    lr.flags.push_back("explosion_possible");
            }
            if (traits.forget_block >= 0)
            {
                lr.forget_mean = rnn.flow_traces()[l].forget_mean;
                if (lr.forget_mean >= 0 && std::pow(lr.forget_mean, double(dep)) < thresholds_.epsilon)
                    lr.flags.push_back("forget_gate_vanishing");
            }
            if (r.nonfinite > 0 || r.norm_spike)
            {
                lr.diagnosis = FlowDiagnosis::exploding;
                lr.flags.push_back(r.nonfinite > 0 ? "nonfinite_gradient" : "norm_spike");
            }
            r.layers.push_back(std::move(lr));
        }
        for (const auto& lr : r.layers)
            if (static_cast<int>(lr.diagnosis) > static_cast<int>(r.diagnosis))
                r.diagnosis = lr.diagnosis;
        return r;
    }

    std::string MonitorReport::summary() const
    {
        std::ostringstream os;
        os << diagnosis_name(diagnosis);
        for (const auto& l : layers)
        {
            if (l.diagnosis == FlowDiagnosis::healthy)
                continue;
            os << " (layer " << l.layer << ": gain/step " << l.step_gain_mean << ", horizon ";
            if (std::isfinite(l.horizon_extrapolated))
                os << static_cast<long>(std::lround(l.horizon_extrapolated));
            else
                os << "inf";
            os << " steps";
            for (const auto& f : l.flags)
                os << ", " << f;
            os << ")";
        }
        if (nonfinite)
            os << " [" << nonfinite << " non-finite gradient entries]";
        if (norm_spike)
            os << " [global norm " << global_norm << " > " << median_norm << " median]";
        return os.str();
    }

    template double sigma_max<float>(const float*, std::size_t, std::size_t, std::size_t, std::vector<double>*);
    template double sigma_max<double>(const double*, std::size_t, std::size_t, std::size_t, std::vector<double>*);
    template MonitorReport GradMonitor::report<float>(std::size_t, const Recurrent<float>&,
                                                      const std::vector<NamedParams<float>>&,
                                                      const ClipResult&, bool);
    template MonitorReport GradMonitor::report<double>(std::size_t, const Recurrent<double>&,
                                                       const std::vector<NamedParams<double>>&,
                                                       const ClipResult&, bool);
}
