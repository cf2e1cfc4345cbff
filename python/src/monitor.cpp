// python/src/monitor.cpp -- xrnn.GradMonitor: the gradient monitor (grad_monitor.hpp) on a
// Python Recurrent; its report is a dict with the MonitorReport's fields (monitor_json.hpp's
// keys, but the per-step arrays as NumPy arrays of the norms themselves, not log10).
#include "recurrent.hpp"

#include "arrays.hpp"

#include <xrnn/grad_monitor.hpp>

#include <pybind11/stl.h>

namespace xrnn_py
{
    namespace
    {
        py::dict report_dict(const xrnn::MonitorReport& r)
        {
            py::dict d;
            d["step"] = r.step;
            d["final_step_loss"] = r.final_step_loss;
            d["global_norm"] = r.global_norm;
            d["global_norm_post"] = r.global_norm_post;
            d["clipped"] = r.clipped;
            d["clip_count"] = r.clip_count;
            d["clip_fraction"] = r.clip_fraction;
            d["median_norm"] = r.median_norm;
            d["nonfinite"] = r.nonfinite;
            d["norm_spike"] = r.norm_spike;
            d["diagnosis"] = xrnn::diagnosis_name(r.diagnosis);
            d["summary"] = r.summary();
            py::dict tensors;
            for (const auto& t : r.tensors)
                tensors[py::str(t.name)] = t.norm;
            d["tensor_norms"] = tensors;
            py::list layers;
            for (const auto& l : r.layers)
            {
                py::dict o;
                o["layer"] = l.layer;
                o["direction"] = l.direction == 0 ? "forward" : "reverse";
                o["diagnosis"] = xrnn::diagnosis_name(l.diagnosis);
                o["flags"] = l.flags;
                o["steps"] = l.steps;
                o["dh"] = array_copy(l.dh);
                o["dc"] = l.dc.empty() ? py::object(py::none()) : py::object(array_copy(l.dc));
                o["step_gain"] = array_copy(l.step_gain);
                o["step_gain_mean"] = l.step_gain_mean;
                o["omega"] = l.omega;
                o["log10_decay"] = l.log10_decay;
                o["per_step_rate"] = l.per_step_rate;
                o["horizon"] = l.horizon;
                o["horizon_extrapolated"] = l.horizon_extrapolated;
                o["sigma_max"] = l.sigma_max;
                o["gamma"] = l.gamma;
                o["sigma_gamma"] = l.sigma_gamma;
                o["forget_mean"] = l.forget_mean >= 0 ? py::object(py::float_(l.forget_mean)) : py::object(py::none());
                layers.append(o);
            }
            d["layers"] = layers;
            return d;
        }
    }

    void bind_monitor(py::module_& m)
    {
        py::class_<xrnn::GradMonitor>(m, "GradMonitor", R"doc(
The gradient monitor: per-tensor and per-gate gradient norms, clip statistics, per-step
adjoint norms ||dL/dh_t|| of every layer and a diagnosis (healthy / vanishing / exploding);
docs/gradient-flow.md has the rules and their sources.

  mon = xrnn.GradMonitor(dependency_length=T)
  rnn.set_flow_trace(True); y, _ = rnn.forward(x); rnn.backward(dy)
  clip = rnn.clip_grad_norm_(1.0); mon.record_step(clip)
  rep = mon.report(rnn, step=0, clip=clip, final_step_loss=True)   # a dict
)doc")
            .def(py::init([](double epsilon, double growth_log10, double spike_factor, long long window,
                             long long dependency_length) {
                     xrnn::MonitorThresholds t;
                     t.epsilon = epsilon;
                     t.growth_log10 = growth_log10;
                     t.spike_factor = spike_factor;
                     if (window < 1 || dependency_length < 0)
                         throw py::value_error("window must be >= 1 and dependency_length >= 0, got "
                                               + std::to_string(window) + " and " + std::to_string(dependency_length));
                     t.window = static_cast<std::size_t>(window);
                     t.dependency_length = static_cast<std::size_t>(dependency_length);
                     return xrnn::GradMonitor(t);
                 }),
                 py::kw_only(), py::arg("epsilon") = 1e-3, py::arg("growth_log10") = 1.0, py::arg("spike_factor") = 10.0,
                 py::arg("window") = 100, py::arg("dependency_length") = 0)
            .def("record_step", &xrnn::GradMonitor::record_step, py::arg("clip"),
                 "After clipping, on every training step (clip: what clip_grad_norm_ returned)")
            .def(
                "report",
                [](xrnn::GradMonitor& mon, PyRecurrent& rnn, std::size_t step, const py::object& clip,
                   bool final_step_loss) {
                    const bool measure = clip.is_none();
                    const xrnn::ClipResult given = measure ? xrnn::ClipResult{} : clip.cast<xrnn::ClipResult>();
                    xrnn::MonitorReport r;
                    {
                        py::gil_scoped_release release;
                        std::lock_guard<std::mutex> lock(rnn.mu);
                        rnn.visit([&](auto& net) {
                            using T = std::remove_reference_t<decltype(*net.params().values())>;
                            // no clip given: the gradients' norm as they are, nothing scaled
                            const xrnn::ClipResult c =
                                measure ? xrnn::clip_by_global_norm<T>({net.params().span()}, 0.0) : given;
                            r = mon.report(step, net, {{"", &net.params()}}, c, final_step_loss);
                        });
                    }
                    return report_dict(r);
                },
                py::arg("rnn"), py::arg("step") = 0, py::arg("clip") = py::none(), py::arg("final_step_loss") = false,
                R"doc(The report of the last backward, which must have run with rnn.set_flow_trace(True).
final_step_loss: the loss sat on the last step only (the horizon and decay figures assume it).)doc")
            .def_property_readonly("clip_count", &xrnn::GradMonitor::clip_count)
            .def_property_readonly("clip_fraction", &xrnn::GradMonitor::clip_fraction)
            .def_property_readonly("median_norm", &xrnn::GradMonitor::median_norm);
    }
}
