// tools/cli_checks.hpp -- CLI11 validators with plain messages, and the parse that turns every
// CLI11 error into one line and status 2, shared by the command-line tools. The ranges are the
// library's (xrnn/value_range.hpp), so a flag and its config field agree; CLI11's own
// PositiveNumber / Range print the whole double range, and its "-1" wraps into unsigned types.
#ifndef XRNN_TOOLS_CLI_CHECKS_HPP
#define XRNN_TOOLS_CLI_CHECKS_HPP

#include <xrnn/value_range.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <iostream>
#include <string>
#include <vector>

namespace xrnn_cli
{
    // "a, b, c": a library's list of valid names (cell_names(), ...) for --help text
    inline std::string joined(const std::vector<std::string>& names)
    {
        std::string s;
        for (const auto& n : names)
            s += (s.empty() ? "" : ", ") + n;
        return s;
    }

    // ---- values

    // Whether text s is a value of range r: a whole number is decimal digits only (no sign, no
    // exponent, no fraction, no overflow: CLI11 would wrap "-1" into an unsigned type); a number
    // is a finite double (no NaN, no inf) taking the whole text.
    inline bool text_in_range(const xrnn::ValueRange& r, const std::string& s)
    {
        if (s.empty() || s.size() > 40 || std::isspace(static_cast<unsigned char>(s[0])))
            return false;
        if (r.whole)
        {
            if (s.size() > 19 || s.find_first_not_of("0123456789") != std::string::npos)
                return false; // 19 digits fit in 64 bits; every range's top has fewer
            const unsigned long long v = std::stoull(s);
            return static_cast<double>(v) >= r.lo && v <= static_cast<unsigned long long>(r.hi);
        }
        char* end = nullptr;
        const double v = std::strtod(s.c_str(), &end);
        return end == s.c_str() + s.size() && xrnn::in_range(r, v);
    }

    // A flag's value in a range said once (xrnn/value_range.hpp), refused in plain numbers:
    // "--steps must be a whole number from 0 to 1000000000000, got '-1'" (parse() joins the
    // flag's name and CLI11's message).
    inline CLI::Validator in(const xrnn::ValueRange& r)
    {
        const std::string what = xrnn::range_text(r);
        // --help: "--hidden-size UINT:[1, 65536]=512"
        const std::string interval = (r.lo_open ? "(" : "[") + xrnn::plain_number(r.lo) + ", " + xrnn::plain_number(r.hi) + "]";
        return CLI::Validator(
            [r, what](std::string& s) {
                return text_in_range(r, s) ? std::string() : "must be " + what + ", got '" + s + "'";
            },
            interval);
    }

    // A byte count with an optional suffix K, M, G, T or P (powers of 1024; a trailing B or iB is
    // allowed): 512M, 8G, 1.5G. Use with ->transform() (and ->type_name("BYTES")): the text
    // becomes the count in bytes.
    inline CLI::Validator bytes(const xrnn::ValueRange& r)
    {
        const std::string what = "bytes from " + xrnn::plain_number(r.lo) + " to " + xrnn::plain_number(r.hi)
                                 + ", or with a suffix K, M, G, T, P (512M, 8G)";
        return CLI::Validator(
            [r, what](std::string& s) {
                std::size_t digits = s.find_first_not_of("0123456789.");
                std::string unit = s.substr(std::min(digits, s.size()));
                for (auto& ch : unit)
                    ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                if (unit.size() > 1 && unit.back() == 'B')
                    unit.pop_back();
                if (unit.size() > 1 && unit.back() == 'I')
                    unit.pop_back();
                const std::string units = "KMGTP";
                const std::size_t u = unit.empty() ? std::string::npos : units.find(unit);
                const std::string number = s.substr(0, std::min(digits, s.size()));
                const bool fraction = number.find('.') != std::string::npos;
                const bool ok_form = !number.empty() && number.find_first_not_of("0123456789.") == std::string::npos
                                     && number.find('.') == number.rfind('.') && number != "."
                                     && (unit.empty() || (unit.size() == 1 && u != std::string::npos))
                                     && (!fraction || !unit.empty()) && number.size() <= 20;
                if (ok_form)
                {
                    const double v = std::strtod(number.c_str(), nullptr) * std::pow(1024.0, unit.empty() ? 0.0 : double(u + 1));
                    const xrnn::ValueRange whole{r.name, r.lo, r.hi, false};
                    if (xrnn::in_range(whole, std::floor(v)))
                    {
                        s = xrnn::plain_number(std::floor(v));
                        return std::string();
                    }
                }
                return "must be " + what + ", got '" + s + "'";
            },
            "");
    }

    // --out and other names that must not be empty ('' would mean the current folder)
    inline CLI::Validator not_empty(const std::string& what)
    {
        return CLI::Validator(
            [what](std::string& s) { return s.empty() ? "must name " + what + ", got ''" : std::string(); }, "");
    }

    // An output file that exists is not overwritten (export --format onnx): a new name, or remove it.
    inline void refuse_existing(const std::string& path)
    {
        std::error_code ec;
        if (std::filesystem::exists(path, ec))
            throw std::invalid_argument("'" + path + "' exists; write to a new file name (nothing was overwritten)");
    }

    // ctc decoding's prefix beam width (eval, predict): a range only the tools have
    inline constexpr xrnn::ValueRange beam_width{"beam", 0, 1024, true};

    // ---- parsing

    // Parses the command line. --help prints the help and gives 0; a parse error (unknown flag,
    // missing value, a value out of range, no subcommand) prints ONE line,
    // "<program>: error: --steps must be a whole number from 0 to 1000000000000, got '-1'",
    // and gives 2 (the README's status for bad input). -1: go on.
    inline int parse(CLI::App& app, int argc, char** argv, const std::string& program)
    {
        try
        {
            app.parse(argc, argv);
            return -1;
        }
        catch (const CLI::ParseError& e)
        {
            if (e.get_exit_code() == 0) // --help
                return app.exit(e);
            const CLI::App* in_sub = &app; // the subcommand the error is in, for the --help hint
            std::string where = program;
            while (!in_sub->get_subcommands().empty())
            {
                in_sub = in_sub->get_subcommands().front();
                where += " " + in_sub->get_name();
            }
            std::string m = e.what();
            const std::string flag = m.rfind("--", 0) == 0 ? m.substr(0, m.find(':')) : std::string();
            const CLI::Option* opt = flag.empty() ? nullptr : in_sub->get_option_no_throw(flag);
            if (dynamic_cast<const CLI::ValidationError*>(&e) && !flag.empty() && m.find(": ") != std::string::npos)
                m.erase(m.find(": "), 1); // CLI11's "--steps: must be" -> "--steps must be"
            else if (dynamic_cast<const CLI::ArgumentMismatch*>(&e) && opt)
            {
                const std::string type = opt->get_type_name(); // "UINT:[0, 1000000000000]"
                m = flag + " needs a value" + (type.empty() ? std::string() : " (" + type + ")") + " (see " + where + " --help)";
            }
            else if (m == "A subcommand is required")
            {
                std::vector<std::string> names;
                for (const CLI::App* sub : app.get_subcommands({}))
                    names.push_back(sub->get_name());
                m = "a subcommand is required: " + joined(names) + " (see " + where + " --help)";
            }
            else
                m += " (see " + where + " --help)";
            for (auto& ch : m)
                if (ch == '\n' || ch == '\r')
                    ch = ' ';
            std::cerr << program << ": error: " << m << "\n";
            return 2;
        }
    }
}

#endif
