// gradflow/src/report_writer.cpp -- the study's CSV / JSONL output (report_writer.hpp).
#include "xrnn/gradflow/report_writer.hpp"

#include "xrnn/check.hpp"

#include <cmath>
#include <filesystem>
#include <sstream>

namespace xrnn::gradflow
{
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
           << (xrnn::cell_traits(c.cell).gated ? xrnn::activation_name(c.ract) : "") << ","
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

    std::string flags_str(const std::vector<std::string>& flags)
    {
        std::string s;
        for (const auto& f : flags)
            s += (s.empty() ? "" : ";") + f;
        return s;
    }

    namespace
    {
        void open(std::ofstream& f, const std::string& path)
        {
            f.open(path, std::ios::trunc);
            XRNN_CHECK(f.good(), "cannot write '" + path + "' (is the --out folder writable?)");
        }
    }

    ReportFiles::ReportFiles(const std::string& dir, const std::string& stem, const std::string& csv_header,
                             const std::string& summary_header, const std::string& program)
        : folder(std::make_unique<RunFolder>(dir, program, "--out"))
    {
        open(csv, dir + "/" + stem + ".csv");
        open(summary, dir + "/" + stem + "_summary.csv");
        open(jsonl, dir + "/" + stem + ".jsonl");
        csv << csv_header << "\n";
        summary << summary_header << "\n";
    }

    void ReportFiles::flush()
    {
        const std::string dir = folder->dir();
        for (auto [f, name] : {std::pair<std::ofstream*, const char*>{&csv, ".csv"}, {&summary, "_summary.csv"}, {&jsonl, ".jsonl"}})
        {
            f->flush();
            XRNN_CHECK(f->good(), "writing the " + std::string(name) + " file in '" + dir
                                      + "' failed (is the disk full?); the rows of the runs before this one are in it");
        }
    }

    void ReportFiles::write_json(const RunConfig& c, const std::string& monitor_json)
    {
        jsonl << "{" << json_config(c) << "," << monitor_json.substr(1) << "\n";
    }
}
