// xrnn/charlm/train_report.hpp -- what a training run says: the lines on the terminal (the
// header, the live progress line, one line per evaluation, the stop messages) and the records
// of <out>/metrics.jsonl (one per evaluation, one per gradient-flow report).
//
// Text only: when to print, and where, is the training loop's business (char_train.cpp).
// Terminal lines start with "\r\033[K" where they replace the live line.
#ifndef XRNN_CHARLM_TRAIN_REPORT_HPP
#define XRNN_CHARLM_TRAIN_REPORT_HPP

#include "xrnn/charlm/train_config.hpp"
#include "xrnn/grad_monitor.hpp"

#include <cstdint>
#include <functional>
#include <string>

namespace xrnn
{
    // How advice in a terminal line names a config field or operation ("try a lower lr"): empty =
    // by its own name; xrnn-charlm passes its flags (lr -> --lr, resume -> --resume), as it does
    // for errors.
    using FieldNames = std::function<std::string(const std::string& field)>;

    // One evaluation: the metrics.jsonl record and the terminal line.
    struct EvalRecord
    {
        std::uint64_t step = 0;
        double seconds = 0;       // of training, over resumes
        double train_loss = 0;    // mean since the last evaluation; NaN when no step was taken
        double val_loss = 0;      // nats/char
        double grad_norm = 0;     // mean before clipping since the last evaluation; NaN as above
        double clip_fraction = 0;
        double lr = 0;            // of the next step
        std::uint64_t epoch = 0;
    };

    std::string metrics_record(const EvalRecord& r);          // one JSON line, without "\n"
    std::string monitor_record(const MonitorReport& report);  // one JSON line, "type": "monitor"
    std::string eval_line(const EvalRecord& r, bool best, bool final);

    std::string run_header(const TrainConfig& c, std::size_t parameters, std::size_t vocab, std::size_t train_chars,
                           std::size_t val_chars, std::uint64_t resumed_step);
    // eta < 0: no run length was given
    std::string progress_line(std::uint64_t step, double tokens_per_s, double train_loss, double last_val,
                              double grad_norm, double eta);
    std::string monitor_warning(std::uint64_t step, const MonitorReport& report);
    std::string interrupted_line(std::uint64_t step, const std::string& last_path, const FieldNames& names);
    // last_good: the last checkpoint, empty when none was written yet
    std::string diverged_line(std::uint64_t step, double loss, double grad_norm, const std::string& last_good,
                              const TrainConfig& c, const FieldNames& names);
    std::string summary_line(double best_val, std::uint64_t best_step, const std::string& out);
}

#endif
