// gradflow/src/train.cpp -- the training sweep (train.hpp).
#include "xrnn/gradflow/train.hpp"

#include "xrnn/gradflow/memory.hpp"
#include "xrnn/clip.hpp"
#include "xrnn/monitor_json.hpp"
#include "xrnn/grad_monitor.hpp"
#include "xrnn/gradflow/report_writer.hpp"
#include "xrnn/gradflow/task_net.hpp"
#include "xrnn/gradflow/tasks.hpp"
#include "xrnn/optimizer.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

namespace xrnn::gradflow
{
    namespace
    {
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
    }

    void train(const Options& o, const std::atomic<bool>& stop)
    {
        const auto configs = expand(o);
        check_sweep_memory(o, true); // before any run allocates
        ReportFiles files(o.out, "train", std::string(csv_config_header)
                                              + ",step,seconds,train_loss,test_loss,test_solved,global_norm,clip_fraction,"
                                                "diagnosis,step_gain_mean,log10_decay",
                          std::string(csv_config_header)
                              + ",steps_run,seconds,baseline_loss,test_loss,test_solved,solved,steps_to_solve,clip_fraction,"
                                "diagnosis_init,diagnosis_final,monitored,frac_vanishing,frac_exploding,exploded",
                          "xrnn-gradflow train");
        std::printf("%-44s %5s %5s %7s %10s %8s %7s %6s  %s\n", "config", "T", "seed", "steps", "test loss",
                    "solved%", "result", "clip%", "diagnosis init -> end");
        for (std::size_t i = 0; i < configs.size() && !stop; ++i)
        {
            const RunConfig& c = configs[i];
            const SyntheticTask task(task_from_name(o.task), c.seq_len);
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
            while (step < o.steps && !stop)
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
                    files.write_json(c, xrnn::monitor_json(rep));
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
                    files.flush(); // a full disk stops the sweep here, not silently at the end
                    train_sum = 0;
                    train_n = 0;
                    std::fprintf(stderr, "\r\033[K[%zu/%zu] %s T=%zu seed %llu: step %zu/%zu  test loss %.4f  solved %.1f%%",
                                 i + 1, configs.size(), c.name().c_str(), c.seq_len, (unsigned long long)c.seed, step,
                                 o.steps, ev.loss, 100 * ev.solved);
                    if (ev.solved >= SyntheticTask::solved_fraction && steps_to_solve == 0)
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
            const bool solved = !exploded && ev.solved >= SyntheticTask::solved_fraction;
            const double clip_frac = step ? double(mon.clip_count()) / double(step) : 0.0;
            const double fv = monitored ? double(n_van) / double(monitored) : nan_v;
            const double fe = monitored ? double(n_exp) / double(monitored) : nan_v;
            files.summary << csv_config(c) << "," << step << "," << fmt_num(seconds()) << ","
                          << fmt_num(task.baseline_loss()) << "," << fmt_num(exploded ? nan_v : ev.loss) << ","
                          << fmt_num(exploded ? 0.0 : ev.solved) << "," << (solved ? "yes" : "no") << ","
                          << steps_to_solve << "," << fmt_num(clip_frac) << "," << diag_init << "," << diag_final
                          << "," << monitored << "," << fmt_num(fv) << "," << fmt_num(fe) << ","
                          << (exploded ? "yes" : "no") << "\n";
            files.flush();
            std::printf("%-44s %5zu %5llu %7zu %10s %7.1f%% %7s %5.1f%%  %s -> %s\n", c.name().c_str(), c.seq_len,
                        (unsigned long long)c.seed, step, exploded ? "NaN" : fmt_num(ev.loss).c_str(),
                        exploded ? 0.0 : 100 * ev.solved, exploded ? "explode" : (solved ? "solved" : "no"),
                        100 * clip_frac, diag_init.c_str(), diag_final.c_str());
            std::fflush(stdout);
        }
        std::fprintf(stderr, "wrote %s/train.csv, train_summary.csv, train.jsonl\n", o.out.c_str());
    }
}
