// gradflow/src/probe.cpp -- the probe of untrained networks (probe.hpp).
#include "xrnn/gradflow/probe.hpp"

#include "xrnn/clip.hpp"
#include "xrnn/monitor_json.hpp"
#include "xrnn/grad_monitor.hpp"
#include "xrnn/gradflow/memory.hpp"
#include "xrnn/gradflow/report_writer.hpp"
#include "xrnn/gradflow/task_net.hpp"
#include "xrnn/gradflow/tasks.hpp"

#include <cmath>
#include <cstdio>

namespace xrnn::gradflow
{
    void probe(const Options& o, const std::atomic<bool>& stop)
    {
        const auto configs = expand(o);
        check_sweep_memory(o, false); // before any run allocates
        ReportFiles files(o.out, "probe", std::string(csv_config_header) + ",t,lag,log10_dh,log10_dc",
                          std::string(csv_config_header)
                              + ",sigma_max,gamma,sigma_gamma_measured,forget_mean,log10_decay,per_step_rate,"
                                "step_gain_mean,horizon,horizon_extrapolated,diagnosis,flags",
                          "xrnn-gradflow probe");
        xrnn::MonitorThresholds th;
        th.epsilon = o.epsilon;
        std::printf("%-44s %5s %9s %11s %10s %8s  %s\n", "config", "T", "sigma*gam", "log10 R", "rate/step",
                    "horizon", "diagnosis");
        for (std::size_t i = 0; i < configs.size() && !stop; ++i)
        {
            const RunConfig& c = configs[i];
            const SyntheticTask task(task_from_name(o.task), c.seq_len);
            TaskNet<double> net(c, o, task); // double: 60+ orders of magnitude without underflow
            xrnn::Rng rng(c.seed * 7919u + c.seq_len);
            Tensor3<double> x;
            std::vector<double> target;
            task.sample(rng, o.batch_size, x, target);
            net.rnn.set_flow_trace(true);
            net.zero_grad();
            net.run(x, target, true, nullptr);
            const auto clip = xrnn::clip_by_global_norm<double>(net.spans(), 0.0);
            xrnn::GradMonitor mon(th);
            const auto rep = mon.report(0, net.rnn, {{"rnn.", &net.rnn.params()}, {"head.", &net.head}}, clip, true);
            const auto& top = rep.layers.back(); // the layer the loss sits on
            const std::size_t S = c.seq_len;
            // per-step rows for the top layer (the one the loss sits on); the JSONL has every layer
            auto lg = [](double v) { return v > 0 && std::isfinite(v) ? std::log10(v) : (v == 0 ? -INFINITY : nan_v); };
            for (std::size_t t = 1; t <= S; ++t)
                files.csv << csv_config(c) << "," << t << "," << S - t << "," << fmt_num(lg(top.dh[t - 1])) << ","
                          << (top.dc.empty() ? "" : fmt_num(lg(top.dc[t - 1]))) << "\n";
            files.summary << csv_config(c) << "," << fmt_num(top.sigma_max) << "," << fmt_num(top.gamma) << ","
                          << fmt_num(top.sigma_gamma) << "," << (top.forget_mean >= 0 ? fmt_num(top.forget_mean) : "")
                          << "," << fmt_num(top.log10_decay) << "," << fmt_num(top.per_step_rate) << ","
                          << fmt_num(top.step_gain_mean) << "," << top.horizon << ","
                          << fmt_num(top.horizon_extrapolated) << "," << xrnn::diagnosis_name(top.diagnosis) << ","
                          << flags_str(top.flags) << "\n";
            files.write_json(c, xrnn::monitor_json(rep));
            files.flush(); // a full disk stops the sweep here, not silently at the end
            std::printf("%-44s %5zu %9.3f %11s %10s %8s  %s\n", c.name().c_str(), S, top.sigma_gamma,
                        fmt_num(top.log10_decay).c_str(), fmt_num(top.per_step_rate).c_str(),
                        top.horizon < 0 ? ">T" : std::to_string(top.horizon).c_str(),
                        (xrnn::diagnosis_name(top.diagnosis) + (top.flags.empty() ? "" : " [" + flags_str(top.flags) + "]")).c_str());
        }
        files.flush();
        std::fprintf(stderr, "wrote %s/probe.csv, probe_summary.csv, probe.jsonl\n", o.out.c_str());
    }
}
