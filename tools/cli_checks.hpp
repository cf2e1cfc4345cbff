// tools/cli_checks.hpp -- CLI11 validators with plain messages, shared by the command-line
// tools (CLI11's PositiveNumber prints the whole double range in its message).
#ifndef XRNN_TOOLS_CLI_CHECKS_HPP
#define XRNN_TOOLS_CLI_CHECKS_HPP

#include <CLI/CLI.hpp>

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

    // A number >= lo (or > lo when strict), said plainly when it is not.
    inline CLI::Validator number_from(double lo, bool strict)
    {
        const std::string what = std::string(strict ? "> " : ">= ") + CLI::detail::to_string(lo);
        return CLI::Validator(
            [lo, strict, what](std::string& s) {
                try
                {
                    std::size_t used = 0;
                    const double v = std::stod(s, &used);
                    if (used == s.size() && (strict ? v > lo : v >= lo))
                        return std::string();
                }
                catch (const std::exception&)
                {
                }
                return "must be a number " + what + ", got '" + s + "'";
            },
            what);
    }

    inline const CLI::Validator at_least_one = number_from(1, false); // counts and sizes
    inline const CLI::Validator above_zero = number_from(0, true);    // learning rates
}

#endif
