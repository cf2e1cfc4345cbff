// xrnn/monitor_json.hpp -- a MonitorReport as one line of JSON: every field, the per-step
// arrays as log10 values (null where a norm is 0 or not finite). The char-LM's metrics.jsonl and
// the study tool's *.jsonl use it.
// Header-only and not part of libxrnn or xrnn.hpp: it needs nlohmann-json (Debian
// nlohmann-json3-dev), which the core library does not depend on; the wings that write JSON
// have it.
#ifndef XRNN_MONITOR_JSON_HPP
#define XRNN_MONITOR_JSON_HPP

#include "xrnn/grad_monitor.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <string>

namespace xrnn
{
    inline std::string monitor_json(const MonitorReport& r)
    {
        using json = nlohmann::json;
        auto num = [](double v) { return std::isfinite(v) ? json(v) : json(nullptr); };
        auto log10s = [](const std::vector<double>& v) {
            json a = json::array();
            for (double x : v)
                a.push_back(x > 0 && std::isfinite(x) ? json(std::log10(x)) : json(nullptr));
            return a;
        };
        json j;
        j["step"] = r.step;
        j["final_step_loss"] = r.final_step_loss;
        j["global_norm"] = num(r.global_norm);
        j["global_norm_post"] = num(r.global_norm_post);
        j["clipped"] = r.clipped;
        j["clip_count"] = r.clip_count;
        j["clip_fraction"] = r.clip_fraction;
        j["median_norm"] = num(r.median_norm);
        j["nonfinite"] = r.nonfinite;
        j["norm_spike"] = r.norm_spike;
        j["diagnosis"] = diagnosis_name(r.diagnosis);
        json tensors = json::object();
        for (const auto& t : r.tensors)
            tensors[t.name] = num(t.norm);
        j["tensor_norms"] = tensors;
        json layers = json::array();
        for (const auto& l : r.layers)
        {
            json o;
            o["layer"] = l.layer;
            o["direction"] = l.direction == 0 ? "forward" : "reverse";
            o["diagnosis"] = diagnosis_name(l.diagnosis);
            o["flags"] = l.flags;
            o["steps"] = l.steps;
            o["step_gain_mean"] = num(l.step_gain_mean);
            o["omega"] = num(l.omega);
            o["log10_decay"] = std::isnan(l.log10_decay) ? json(nullptr)
                             : std::isinf(l.log10_decay) ? json("-inf") : json(l.log10_decay);
            o["per_step_rate"] = num(l.per_step_rate);
            o["horizon"] = l.horizon;
            o["horizon_extrapolated"] = std::isinf(l.horizon_extrapolated) ? json("inf") : num(l.horizon_extrapolated);
            o["sigma_max"] = num(l.sigma_max);
            o["gamma"] = num(l.gamma);
            o["sigma_gamma"] = num(l.sigma_gamma);
            if (l.forget_mean >= 0)
                o["forget_mean"] = l.forget_mean;
            o["log10_dh"] = log10s(l.dh);
            if (!l.dc.empty())
                o["log10_dc"] = log10s(l.dc);
            layers.push_back(o);
        }
        j["layers"] = layers;
        return j.dump();
    }
}

#endif
