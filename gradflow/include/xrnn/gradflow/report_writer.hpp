// xrnn/gradflow/report_writer.hpp -- the study's output files: the CSV / JSONL trio of a
// sweep in --out (rows, a summary per run, the monitor's JSON per record) and the formatting
// of a RunConfig in them. Written by hand, not with a JSON library, so that the columns and
// number formats scripts/plot_gradflow.py reads stay exactly as they are. What goes in a row
// is decided by probe.cpp and train.cpp.
#ifndef XRNN_GRADFLOW_REPORT_WRITER_HPP
#define XRNN_GRADFLOW_REPORT_WRITER_HPP

#include "xrnn/gradflow/sweep.hpp"

#include "xrnn/run_folder.hpp"

#include <fstream>
#include <memory>
#include <string>
#include <vector>

namespace xrnn::gradflow
{
    // the RunConfig columns that start every CSV row
    inline constexpr const char* csv_config_header = "config,cell,activation,recurrent_activation,init,gain,sigma_gamma,forget_bias,seq_len,seed";

    std::string fmt_num(double v);                           // 8 significant digits; nan, inf, -inf
    std::string csv_config(const RunConfig& c);              // the csv_config_header columns
    std::string json_config(const RunConfig& c);             // the same as JSON members, without braces
    std::string flags_str(const std::vector<std::string>& flags); // "a;b"

    // <dir>/<stem>.csv, <dir>/<stem>_summary.csv and <dir>/<stem>.jsonl, truncated, the two
    // CSVs with their header line; creates dir. Throws with a hint at --out when it cannot.
    // The folder is held (run_folder.hpp) while the files are open: a second sweep into it is
    // refused naming the first's PID instead of interleaving rows.
    struct ReportFiles
    {
        std::unique_ptr<RunFolder> folder;
        std::ofstream csv, summary, jsonl;
        ReportFiles(const std::string& dir, const std::string& stem, const std::string& csv_header,
                    const std::string& summary_header, const std::string& program);

        // flushes the three files; throws naming the first that did not take its rows (a full disk)
        void flush();

        // one JSONL line: the config's members, then those of the monitor's JSON object
        void write_json(const RunConfig& c, const std::string& monitor_json);
    };
}

#endif
