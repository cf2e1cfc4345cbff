// tools/xrnn_gradflow.cpp -- xrnn-gradflow: the gradient-flow study tool.
//
//   probe  untrained networks, a sweep over cells x activations x initialisations; records the
//          per-step adjoint norms ||dL/dh_t|| (and ||dL/dc_t||) of a loss on the final step
//          only, in double precision, with the monitor's static check and diagnosis.
//   train  trains each configuration of the sweep on a synthetic long-range task for a fixed
//          number of steps (several seeds) and reports test loss, solved yes/no (Pascanu et
//          al.'s criterion), clip fraction and the monitor's diagnosis over training.
// Output: CSV and JSONL in --out (written as the sweep goes, so an interrupted sweep keeps its
// finished rows); scripts/plot_gradflow.py draws the PNGs.
#include <xrnn/blas.hpp>
#include <xrnn/bptt.hpp>
#include <xrnn/clip.hpp>
#include <xrnn/grad_monitor.hpp>
#include <xrnn/linear.hpp>
#include <xrnn/optimizer.hpp>
#include <xrnn/softmax_xent.hpp>
#include <xrnn/tasks.hpp>

#include <CLI/CLI.hpp>

#include "cli_checks.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <limits>
#include <sstream>

using xrnn_cli::above_zero;
using xrnn_cli::at_least_one;

namespace
{
    std::atomic<bool> g_stop{false};
    extern "C" void on_sigint(int) { g_stop.store(true); }

    using xrnn::CellKind;
    using xrnn::Tensor3;
    constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

    // ---- the sweep
    struct Options
    {
        std::string task = "adding";
        std::vector<std::string> cells{"rnn", "gru", "lstm"};
        std::vector<std::string> activations{"tanh"};
        std::vector<std::string> recurrent_activations{"sigmoid"};
        std::vector<std::string> inits{"uniform"};
        std::vector<double> gains{1.0};
        std::vector<double> sigma_gammas; // vanilla: rescale W_hh to this sigma_max * gamma
        std::vector<double> forget_biases{0.0};
        std::vector<std::size_t> seq_lens{100};
        std::vector<std::uint64_t> seeds{1};
        std::size_t hidden_size = 128, num_layers = 1, batch_size = 50;
        int threads = 1;
        std::string out = "runs/gradflow";
        double epsilon = 1e-3;
        // train only
        std::size_t steps = 2000, eval_every = 100, monitor_every = 100, test_size = 1000;
        double lr = 1e-3, clip_norm = 1.0;
        bool stop_when_solved = false;
    };

    struct RunConfig
    {
        CellKind cell;
        xrnn::Activation act, ract;
        xrnn::RecurrentInit init;
        double gain;
        double sigma_gamma; // NaN: not set
        double forget_bias; // NaN: not an LSTM
        std::size_t seq_len;
        std::uint64_t seed;

        std::string name() const // short label for plots and progress
        {
            std::ostringstream os;
            os << xrnn::cell_name(cell) << " " << xrnn::activation_name(act);
            if (xrnn::cell_traits(cell).gated)
                os << "/" << xrnn::activation_name(ract);
            os << " " << xrnn::recurrent_init_name(init);
            if (!std::isnan(sigma_gamma))
                os << " sg=" << sigma_gamma;
            else if (gain != 1.0)
                os << " gain=" << gain;
            if (!std::isnan(forget_bias))
                os << " bf=" << forget_bias;
            return os.str();
        }
    };

    const char* csv_config_header = "config,cell,activation,recurrent_activation,init,gain,sigma_gamma,forget_bias,seq_len,seed";

    std::string fmt_num(double v)
    {
        if (std::isnan(v))
            return "nan";
        if (std::isinf(v))
            return v > 0 ? "inf" : "-inf";
        std::ostringstream os;
        os.precision(8);
        os << v;
        return os.str();
    }

    std::string csv_config(const RunConfig& c)
    {
        std::ostringstream os;
        os << '"' << c.name() << "\"," << xrnn::cell_name(c.cell) << "," << xrnn::activation_name(c.act) << ","
           << (!xrnn::cell_traits(c.cell).gated ? "" : xrnn::activation_name(c.ract)) << ","
           << xrnn::recurrent_init_name(c.init) << "," << fmt_num(c.gain) << ","
           << (std::isnan(c.sigma_gamma) ? "" : fmt_num(c.sigma_gamma)) << ","
           << (std::isnan(c.forget_bias) ? "" : fmt_num(c.forget_bias)) << "," << c.seq_len << "," << c.seed;
        return os.str();
    }

    std::string json_config(const RunConfig& c)
    {
        std::ostringstream os;
        os << "\"config\":\"" << c.name() << "\",\"cell\":\"" << xrnn::cell_name(c.cell) << "\",\"activation\":\""
           << xrnn::activation_name(c.act) << "\",\"recurrent_activation\":\"" << xrnn::activation_name(c.ract)
           << "\",\"init\":\"" << xrnn::recurrent_init_name(c.init) << "\",\"gain\":" << fmt_num(c.gain)
           << ",\"seq_len\":" << c.seq_len << ",\"seed\":" << c.seed;
        if (!std::isnan(c.sigma_gamma))
            os << ",\"sigma_gamma\":" << fmt_num(c.sigma_gamma);
        if (!std::isnan(c.forget_bias))
            os << ",\"forget_bias\":" << fmt_num(c.forget_bias);
        return os.str();
    }

    // Every combination; options that do not apply to a cell (gate activation and forget bias
    // for the vanilla RNN, forget bias for the GRU) are not multiplied out.
    std::vector<RunConfig> expand(const Options& o)
    {
        std::vector<RunConfig> out;
        std::vector<double> scales = o.sigma_gammas.empty() ? o.gains : o.sigma_gammas;
        for (const auto& cn : o.cells)
        {
            const CellKind cell = xrnn::cell_from_name(cn);
            const std::vector<std::string> racts = !xrnn::cell_traits(cell).gated ? std::vector<std::string>{o.recurrent_activations.front()} : o.recurrent_activations;
            const std::vector<double> fbs = xrnn::cell_traits(cell).forget_block >= 0 ? o.forget_biases : std::vector<double>{nan_v};
            for (const auto& an : o.activations)
                for (const auto& rn : racts)
                    for (const auto& in : o.inits)
                        for (double s : scales)
                            for (double fb : fbs)
                                for (std::size_t T : o.seq_lens)
                                    for (std::uint64_t seed : o.seeds)
                                    {
                                        RunConfig c{cell, xrnn::activation_from_name(an), xrnn::activation_from_name(rn),
                                                    xrnn::recurrent_init_from_name(in), 1.0, nan_v, fb, T, seed};
                                        (o.sigma_gammas.empty() ? c.gain : c.sigma_gamma) = s;
                                        out.push_back(c);
                                    }
        }
        return out;
    }

    // ---- a recurrent stack with a linear head on its last output
    template <class T>
    struct TaskNet
    {
        xrnn::Recurrent<T> rnn;
        xrnn::ParamSet<T> head; // head.weight (O, H), head.bias (O)
        std::size_t out_size;
        // scratch
        Tensor3<T> y, dy, dx;
        std::vector<T> logits, dlogits, dh_last;
        xrnn::RecurrentState<T> s0, sT, ds0;

        TaskNet(const RunConfig& c, const Options& o, const xrnn::SyntheticTask& task)
            : rnn(recurrent_config(c, o, task), init_config(c)), out_size(task.output_size())
        {
            const std::size_t H = o.hidden_size;
            head.add("weight", {out_size, H});
            head.add("bias", {out_size});
            xrnn::Rng rng(c.seed * 1000003u + 17);
            const double bound = 1 / std::sqrt(double(H)); // nn.Linear's default
            for (std::size_t i = 0; i < head.size(); ++i)
                head.values()[i] = static_cast<T>(rng.uniform(-bound, bound));
            scale_recurrent(c);
        }

        static xrnn::RecurrentConfig recurrent_config(const RunConfig& c, const Options& o, const xrnn::SyntheticTask& task)
        {
            xrnn::RecurrentConfig r;
            r.cell = c.cell;
            r.input_size = task.input_size();
            r.hidden_size = o.hidden_size;
            r.num_layers = o.num_layers;
            r.activation = c.act;
            r.recurrent_activation = c.ract;
            return r;
        }

        static xrnn::InitConfig init_config(const RunConfig& c)
        {
            xrnn::InitConfig ic(c.seed);
            ic.recurrent = c.init;
            if (c.init != xrnn::RecurrentInit::uniform && std::isnan(c.sigma_gamma))
                ic.recurrent_gain = c.gain;
            if (!std::isnan(c.forget_bias) && xrnn::cell_traits(c.cell).forget_block >= 0)
                ic.forget_bias = c.forget_bias;
            return ic;
        }

        // --gain on the uniform init multiplies W_hh; --sigma-gamma rescales every layer's W_hh
        // so that sigma_max(candidate block) * gamma(activation) hits the target exactly.
        void scale_recurrent(const RunConfig& c)
        {
            const std::size_t H = rnn.config().hidden_size, G = xrnn::gate_count(c.cell);
            for (std::size_t l = 0; l < rnn.config().num_layers; ++l)
            {
                T* w = rnn.params().value(rnn.params().index("weight_hh_l" + std::to_string(l)));
                double factor = 1.0;
                if (!std::isnan(c.sigma_gamma))
                {
                    const std::size_t block = xrnn::cell_traits(c.cell).candidate_block;
                    const double s = xrnn::sigma_max(w + block * H * H, H, H) * xrnn::max_slope(c.act);
                    XRNN_CHECK(s > 0, "cannot rescale a zero recurrent matrix");
                    factor = c.sigma_gamma / s;
                }
                else if (c.init == xrnn::RecurrentInit::uniform)
                    factor = c.gain;
                for (std::size_t i = 0; i < G * H * H; ++i)
                    w[i] = static_cast<T>(w[i] * factor);
            }
        }

        std::vector<xrnn::ParamSpan<T>> spans() { return {rnn.params().span(), head.span()}; }
        void zero_grad()
        {
            rnn.params().zero_grad();
            head.zero_grad();
        }

        // Forward (and backward) of the final-step loss. Returns the mean loss; `ok` (B) gets
        // 1 for each sequence solved (adding: squared error <= 0.04; order: argmax right).
        double run(const Tensor3<T>& x, const std::vector<double>& target, bool backward, std::vector<char>* ok)
        {
            const std::size_t S = x.shape()[0], B = x.shape()[1], H = rnn.config().hidden_size, O = out_size;
            rnn.forward(x, s0, y, sT);
            const T* h_last = y.data() + (S - 1) * B * H;
            logits.assign(B * O, T(0));
            xrnn::linear_forward(logits.data(), h_last, head.value(0), head.value(1), B, H, O);
            dlogits.assign(B * O, T(0));
            double loss = 0;
            if (ok)
                ok->assign(B, 0);
            if (O == 1) // regression, MSE
            {
                for (std::size_t b = 0; b < B; ++b)
                {
                    const double e = double(logits[b]) - target[b];
                    loss += e * e / double(B);
                    dlogits[b] = static_cast<T>(2 * e / double(B));
                    if (ok)
                        (*ok)[b] = e * e <= xrnn::SyntheticTask::solved_sq_error;
                }
            }
            else
            {
                std::vector<std::int32_t> labels(B);
                for (std::size_t b = 0; b < B; ++b)
                    labels[b] = static_cast<std::int32_t>(target[b]);
                loss = xrnn::softmax_xent(dlogits.data(), logits.data(), labels.data(), B, O);
                if (ok)
                    for (std::size_t b = 0; b < B; ++b)
                    {
                        const T* z = logits.data() + b * O;
                        (*ok)[b] = std::size_t(std::max_element(z, z + O) - z) == std::size_t(labels[b]);
                    }
            }
            if (!backward)
                return loss;
            dh_last.assign(B * H, T(0));
            xrnn::linear_backward(dh_last.data(), head.grad(0), head.grad(1), dlogits.data(), h_last,
                                  head.value(0), B, H, O);
            xrnn::ensure_shape(dy, std::array<std::size_t, 3>{S, B, H});
            std::fill(dy.begin(), dy.end(), T(0));
            std::copy(dh_last.begin(), dh_last.end(), dy.data() + (S - 1) * B * H);
            rnn.backward(dy, {}, dx, ds0);
            return loss;
        }
    };

    struct Files
    {
        std::ofstream csv, summary, jsonl;
        Files(const std::string& dir, const std::string& stem, const std::string& csv_header,
              const std::string& summary_header)
        {
            std::error_code ec;
            std::filesystem::create_directories(dir, ec);
            XRNN_CHECK(!ec, "cannot create output folder '" + dir + "': " + ec.message() + "; choose another with --out");
            open(csv, dir + "/" + stem + ".csv");
            open(summary, dir + "/" + stem + "_summary.csv");
            open(jsonl, dir + "/" + stem + ".jsonl");
            csv << csv_header << "\n";
            summary << summary_header << "\n";
        }
        static void open(std::ofstream& f, const std::string& path)
        {
            f.open(path, std::ios::trunc);
            XRNN_CHECK(f.good(), "cannot write '" + path + "' (is the --out folder writable?)");
        }
    };

    std::string flags_str(const std::vector<std::string>& flags)
    {
        std::string s;
        for (const auto& f : flags)
            s += (s.empty() ? "" : ";") + f;
        return s;
    }

    // ---- probe
    int probe(const Options& o)
    {
        const auto configs = expand(o);
        Files files(o.out, "probe", std::string(csv_config_header) + ",t,lag,log10_dh,log10_dc",
                    std::string(csv_config_header)
                        + ",sigma_max,gamma,sigma_gamma_measured,forget_mean,log10_decay,per_step_rate,"
                          "step_gain_mean,horizon,horizon_extrapolated,diagnosis,flags");
        xrnn::MonitorThresholds th;
        th.epsilon = o.epsilon;
        std::printf("%-44s %5s %9s %11s %10s %8s  %s\n", "config", "T", "sigma*gam", "log10 R", "rate/step",
                    "horizon", "diagnosis");
        for (std::size_t i = 0; i < configs.size() && !g_stop; ++i)
        {
            const RunConfig& c = configs[i];
            const xrnn::SyntheticTask task(xrnn::task_from_name(o.task), c.seq_len);
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
            std::string js = xrnn::monitor_json(rep);
            files.jsonl << "{" << json_config(c) << "," << js.substr(1) << "\n";
            std::printf("%-44s %5zu %9.3f %11s %10s %8s  %s\n", c.name().c_str(), S, top.sigma_gamma,
                        fmt_num(top.log10_decay).c_str(), fmt_num(top.per_step_rate).c_str(),
                        top.horizon < 0 ? ">T" : std::to_string(top.horizon).c_str(),
                        (xrnn::diagnosis_name(top.diagnosis) + (top.flags.empty() ? "" : " [" + flags_str(top.flags) + "]")).c_str());
        }
        files.csv.flush();
        std::fprintf(stderr, "wrote %s/probe.csv, probe_summary.csv, probe.jsonl\n", o.out.c_str());
        return g_stop ? 130 : 0;
    }

    // ---- train
    struct Eval
    {
        double loss = 0, solved = 0; // mean loss, fraction of sequences solved
    };

    template <class T>
    Eval evaluate(TaskNet<T>& net, const std::vector<Tensor3<T>>& xs, const std::vector<std::vector<double>>& ys)
    {
        Eval e;
        std::size_t n = 0;
        std::vector<char> ok;
        for (std::size_t i = 0; i < xs.size(); ++i)
        {
            const std::size_t B = xs[i].shape()[1];
            e.loss += net.run(xs[i], ys[i], false, &ok) * double(B);
            for (char k : ok)
                e.solved += k;
            n += B;
        }
        e.loss /= double(n);
        e.solved /= double(n);
        return e;
    }

    int train(const Options& o)
    {
        const auto configs = expand(o);
        Files files(o.out, "train", std::string(csv_config_header)
                                        + ",step,seconds,train_loss,test_loss,test_solved,global_norm,clip_fraction,"
                                          "diagnosis,step_gain_mean,log10_decay",
                    std::string(csv_config_header)
                        + ",steps_run,seconds,baseline_loss,test_loss,test_solved,solved,steps_to_solve,clip_fraction,"
                          "diagnosis_init,diagnosis_final,monitored,frac_vanishing,frac_exploding,exploded");
        std::printf("%-44s %5s %5s %7s %10s %8s %7s %6s  %s\n", "config", "T", "seed", "steps", "test loss",
                    "solved%", "result", "clip%", "diagnosis init -> end");
        for (std::size_t i = 0; i < configs.size() && !g_stop; ++i)
        {
            const RunConfig& c = configs[i];
            const xrnn::SyntheticTask task(xrnn::task_from_name(o.task), c.seq_len);
            TaskNet<float> net(c, o, task);
            // the test set: fixed per task and length, the same for every configuration
            std::vector<Tensor3<float>> test_x;
            std::vector<std::vector<double>> test_y;
            {
                xrnn::Rng trng(0xC0FFEEu + c.seq_len);
                for (std::size_t done = 0; done < o.test_size; done += 250)
                {
                    test_x.emplace_back();
                    test_y.emplace_back();
                    task.sample(trng, std::min<std::size_t>(250, o.test_size - done), test_x.back(), test_y.back());
                }
            }
            xrnn::OptimizerConfig oc;
            oc.lr = o.lr;
            xrnn::Optimizer<float> opt(oc);
            xrnn::MonitorThresholds th;
            th.epsilon = o.epsilon;
            th.dependency_length = c.seq_len;
            xrnn::GradMonitor mon(th);
            xrnn::Rng rng(c.seed * 7919u + c.seq_len);
            Tensor3<float> x;
            std::vector<double> target;
            std::string diag_init = "-", diag_final = "-";
            std::size_t monitored = 0, n_van = 0, n_exp = 0, steps_to_solve = 0, step = 0;
            double train_sum = 0, last_gain = nan_v, last_decay = nan_v, last_norm = nan_v;
            std::size_t train_n = 0;
            bool exploded = false;
            Eval ev{nan_v, 0};
            const auto t0 = std::chrono::steady_clock::now();
            auto seconds = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
            while (step < o.steps && !g_stop)
            {
                ++step;
                task.sample(rng, o.batch_size, x, target);
                const bool monitor_now = o.monitor_every > 0 && (step - 1) % o.monitor_every == 0;
                net.rnn.set_flow_trace(monitor_now);
                net.zero_grad();
                const double loss = net.run(x, target, true, nullptr);
                const auto clip = xrnn::clip_by_global_norm(net.spans(), o.clip_norm);
                mon.record_step(clip);
                last_norm = clip.norm_before;
                if (monitor_now)
                {
                    const auto rep = mon.report(step, net.rnn, {{"rnn.", &net.rnn.params()}, {"head.", &net.head}}, clip, true);
                    const std::string d = xrnn::diagnosis_name(rep.diagnosis);
                    if (monitored == 0)
                        diag_init = d;
                    diag_final = d;
                    ++monitored;
                    n_van += rep.diagnosis == xrnn::FlowDiagnosis::vanishing;
                    n_exp += rep.diagnosis == xrnn::FlowDiagnosis::exploding;
                    last_gain = rep.layers.back().step_gain_mean;
                    last_decay = rep.layers.back().log10_decay;
                    const std::string js = xrnn::monitor_json(rep);
                    files.jsonl << "{" << json_config(c) << "," << js.substr(1) << "\n";
                }
                if (!std::isfinite(loss) || !std::isfinite(clip.norm_before))
                {
                    exploded = true; // a finding of the sweep, not a crash
                    diag_final = "exploding";
                    break;
                }
                opt.step(net.spans());
                train_sum += loss;
                ++train_n;
                if (step % o.eval_every == 0 || step == o.steps)
                {
                    ev = evaluate(net, test_x, test_y);
                    files.csv << csv_config(c) << "," << step << "," << fmt_num(seconds()) << ","
                              << fmt_num(train_sum / double(train_n)) << "," << fmt_num(ev.loss) << ","
                              << fmt_num(ev.solved) << "," << fmt_num(last_norm) << "," << fmt_num(mon.clip_fraction())
                              << "," << diag_final << "," << fmt_num(last_gain) << "," << fmt_num(last_decay) << "\n";
                    files.csv.flush();
                    train_sum = 0;
                    train_n = 0;
                    std::fprintf(stderr, "\r\033[K[%zu/%zu] %s T=%zu seed %llu: step %zu/%zu  test loss %.4f  solved %.1f%%",
                                 i + 1, configs.size(), c.name().c_str(), c.seq_len, (unsigned long long)c.seed, step,
                                 o.steps, ev.loss, 100 * ev.solved);
                    if (ev.solved >= xrnn::SyntheticTask::solved_fraction && steps_to_solve == 0)
                    {
                        steps_to_solve = step;
                        if (o.stop_when_solved)
                            break;
                    }
                }
            }
            std::fprintf(stderr, "\r\033[K");
            if (!exploded && step % o.eval_every != 0 && step != o.steps) // interrupted between evals
                ev = evaluate(net, test_x, test_y);
            const bool solved = !exploded && ev.solved >= xrnn::SyntheticTask::solved_fraction;
            const double clip_frac = step ? double(mon.clip_count()) / double(step) : 0.0;
            const double fv = monitored ? double(n_van) / double(monitored) : nan_v;
            const double fe = monitored ? double(n_exp) / double(monitored) : nan_v;
            files.summary << csv_config(c) << "," << step << "," << fmt_num(seconds()) << ","
                          << fmt_num(task.baseline_loss()) << "," << fmt_num(exploded ? nan_v : ev.loss) << ","
                          << fmt_num(exploded ? 0.0 : ev.solved) << "," << (solved ? "yes" : "no") << ","
                          << steps_to_solve << "," << fmt_num(clip_frac) << "," << diag_init << "," << diag_final
                          << "," << monitored << "," << fmt_num(fv) << "," << fmt_num(fe) << ","
                          << (exploded ? "yes" : "no") << "\n";
            files.summary.flush();
            files.jsonl.flush();
            std::printf("%-44s %5zu %5llu %7zu %10s %7.1f%% %7s %5.1f%%  %s -> %s\n", c.name().c_str(), c.seq_len,
                        (unsigned long long)c.seed, step, exploded ? "NaN" : fmt_num(ev.loss).c_str(),
                        exploded ? 0.0 : 100 * ev.solved, exploded ? "explode" : (solved ? "solved" : "no"),
                        100 * clip_frac, diag_init.c_str(), diag_final.c_str());
            std::fflush(stdout);
        }
        std::fprintf(stderr, "wrote %s/train.csv, train_summary.csv, train.jsonl\n", o.out.c_str());
        return g_stop ? 130 : 0;
    }

    void add_sweep_options(CLI::App* app, Options& o)
    {
        app->add_option("--task", o.task, "synthetic task: adding, temporal_order")->capture_default_str();
        app->add_option("--cell", o.cells, "cells to sweep (rnn, gru, lstm)")->delimiter(',')->capture_default_str();
        app->add_option("--activation", o.activations, "candidate activations to sweep (Keras `activation`)")->delimiter(',')->capture_default_str();
        app->add_option("--recurrent-activation", o.recurrent_activations, "gate activations to sweep (GRU, LSTM)")->delimiter(',')->capture_default_str();
        app->add_option("--init", o.inits, "recurrent inits to sweep: uniform, orthogonal, identity")->delimiter(',')->capture_default_str();
        app->add_option("--gain", o.gains, "W_hh scales to sweep (orthogonal/identity gain; uniform: multiplier)")->delimiter(',')->capture_default_str();
        app->add_option("--sigma-gamma", o.sigma_gammas, "instead of --gain: rescale W_hh to these sigma_max(W_hh) * gamma")->delimiter(',');
        app->add_option("--forget-bias", o.forget_biases, "LSTM forget-gate biases to sweep")->delimiter(',')->capture_default_str();
        app->add_option("--seq-len", o.seq_lens, "sequence lengths T to sweep")->delimiter(',')->capture_default_str();
        app->add_option("--seed", o.seeds, "seeds to sweep")->delimiter(',')->capture_default_str();
        app->add_option("--hidden-size", o.hidden_size, "units per layer")->check(at_least_one)->capture_default_str();
        app->add_option("--num-layers", o.num_layers, "stacked layers")->check(at_least_one)->capture_default_str();
        app->add_option("--batch-size", o.batch_size, "sequences per batch")->check(at_least_one)->capture_default_str();
        app->add_option("--epsilon", o.epsilon, "monitor: horizon fraction epsilon")->check(CLI::Range(1e-300, 0.999))->capture_default_str();
        app->add_option("--threads", o.threads, "BLAS threads")->check(at_least_one)->capture_default_str();
        app->add_option("--out", o.out, "output folder")->capture_default_str();
    }
}

int main(int argc, char** argv)
{
    CLI::App app{"xrnn-gradflow: gradient flow through RNN / GRU / LSTM over time, per activation and init"};
    app.require_subcommand(1);
    Options po, to;
    po.batch_size = 16;
    po.seq_lens = {200};
    auto* probe = app.add_subcommand("probe", "untrained networks: ||dL/dh_t|| of a final-step loss over t");
    add_sweep_options(probe, po);
    auto* train = app.add_subcommand("train", "train a sweep on a synthetic task; solved?, clip fraction, diagnosis");
    add_sweep_options(train, to);
    train->add_option("--steps", to.steps, "training steps per run")->check(at_least_one)->capture_default_str();
    train->add_option("--lr", to.lr, "Adam learning rate")->check(above_zero)->capture_default_str();
    train->add_option("--clip-norm", to.clip_norm, "global-norm clip threshold (0 = off)")->check(CLI::NonNegativeNumber)->capture_default_str();
    train->add_option("--eval-every", to.eval_every, "steps between test evaluations")->check(at_least_one)->capture_default_str();
    train->add_option("--monitor-every", to.monitor_every, "steps between monitored (traced) steps (0 = never)")->capture_default_str();
    train->add_option("--test-size", to.test_size, "fresh test sequences")->check(at_least_one)->capture_default_str();
    train->add_flag("--stop-when-solved", to.stop_when_solved, "end a run at the first evaluation that solves the task");

    CLI11_PARSE(app, argc, argv);
    std::signal(SIGINT, on_sigint);
    try
    {
        Options& o = probe->parsed() ? po : to;
        xrnn::blas::set_threads(o.threads);
        xrnn::task_from_name(o.task); // fail before any work on a bad name
        for (std::size_t T : o.seq_lens)
            xrnn::SyntheticTask(xrnn::task_from_name(o.task), T);
        expand(o); // validates cell / activation / init names
        return probe->parsed() ? ::probe(o) : ::train(o);
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "xrnn-gradflow: error: %s\n", e.what());
        return 2;
    }
}
