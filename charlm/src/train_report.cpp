// charlm/src/train_report.cpp -- see train_report.hpp.
#include "xrnn/charlm/train_report.hpp"
#include "xrnn/monitor_json.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <sstream>

namespace xrnn
{
    namespace
    {
        constexpr const char* kReplaceLine = "\r\033[K"; // back to the start of the live line, clear it

        std::string fmt(double v, int prec)
        {
            std::ostringstream os;
            os << std::fixed << std::setprecision(prec) << v;
            return os.str();
        }

        std::string duration(double s)
        {
            const long t = static_cast<long>(s + 0.5);
            char b[32];
            std::snprintf(b, sizeof(b), "%ld:%02ld", t / 60, t % 60);
            return b;
        }

        std::string named(const FieldNames& names, const std::string& field) { return names ? names(field) : field; }
    }

    std::string metrics_record(const EvalRecord& r)
    {
        const nlohmann::json rec{{"step", r.step},
                                 {"seconds", std::round(r.seconds * 1000) / 1000},
                                 {"train_loss", r.train_loss},
                                 {"val_loss", r.val_loss},
                                 {"val_bpc", r.val_loss / std::log(2.0)},
                                 {"grad_norm", r.grad_norm},
                                 {"clip_fraction", r.clip_fraction},
                                 {"lr", r.lr},
                                 {"epoch", r.epoch}};
        return rec.dump();
    }

    std::string monitor_record(const MonitorReport& report)
    {
        return "{\"type\":\"monitor\"," + monitor_json(report).substr(1);
    }

    std::string eval_line(const EvalRecord& r, bool best, bool final)
    {
        std::ostringstream os;
        os << kReplaceLine << "step " << r.step << "  " << duration(r.seconds) << "  train " << fmt(r.train_loss, 4)
           << "  val " << fmt(r.val_loss, 4) << " (" << fmt(r.val_loss / std::log(2.0), 3) << " bpc)"
           << (best ? "  best" : "") << (final ? "  [final]" : "") << "\n";
        return os.str();
    }

    std::string run_header(const TrainConfig& c, std::size_t parameters, std::size_t vocab, std::size_t train_chars,
                           std::size_t val_chars, std::uint64_t resumed_step)
    {
        std::ostringstream os;
        os << "xrnn-charlm: " << c.cell << " " << c.num_layers << "x" << c.hidden_size << " (" << parameters
           << " parameters), vocab " << vocab << ", train " << train_chars << " / val " << val_chars
           << " chars, batch " << c.batch_size << "x" << c.seq_len << ", " << c.threads << " threads"
           << (resumed_step > 0 ? ", resumed at step " + std::to_string(resumed_step) : std::string()) << "\n";
        return os.str();
    }

    std::string progress_line(std::uint64_t step, double tokens_per_s, double train_loss, double last_val,
                              double grad_norm, double eta)
    {
        std::ostringstream os;
        os << kReplaceLine << "step " << step << "  " << fmt(tokens_per_s, 0) << " tok/s  train " << fmt(train_loss, 4)
           << "  val " << (last_val > 0 ? fmt(last_val, 4) : std::string("-")) << "  |g| " << fmt(grad_norm, 2)
           << (eta >= 0 ? "  ETA " + duration(eta) : std::string());
        return os.str();
    }

    std::string monitor_warning(std::uint64_t step, const MonitorReport& report)
    {
        return kReplaceLine + std::string("gradient monitor, step ") + std::to_string(step) + ": " + report.summary()
               + "\n";
    }

    std::string interrupted_line(std::uint64_t step, const std::string& last_path, const FieldNames& names)
    {
        return kReplaceLine + std::string("interrupted at step ") + std::to_string(step) + ": saved " + last_path
               + " (continue with " + named(names, "resume") + " " + last_path + ")\n";
    }

    std::string diverged_line(std::uint64_t step, double loss, double grad_norm, const std::string& last_good,
                              const TrainConfig& c, const FieldNames& names)
    {
        std::ostringstream os;
        os << kReplaceLine << "stopped: at step " << step << " the " << (!std::isfinite(loss) ? "loss" : "gradient norm")
           << " is not finite (loss " << loss << ", gradient norm " << grad_norm
           << "): training diverged. The update was not applied; "
           << (!last_good.empty() ? "the last good checkpoint is " + last_good
                                  : std::string("no checkpoint was written yet"))
           << ". Try a lower " << named(names, "lr") << " (now " << c.optimizer.lr << ") or "
           << named(names, "clip_norm") << " (now " << c.clip_norm << ").\n";
        return os.str();
    }

    std::string summary_line(double best_val, std::uint64_t best_step, const std::string& out)
    {
        std::ostringstream os;
        os << "best val " << fmt(best_val, 4) << " nats/char at step " << best_step << "; checkpoints in " << out
           << "\n";
        return os.str();
    }
}
