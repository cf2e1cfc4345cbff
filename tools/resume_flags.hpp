// tools/resume_flags.hpp -- a resumed run continues the checkpoint's configuration, so a model or
// optimizer flag given with --resume would be silently ignored; this refuses such flags when
// their value differs from the checkpoint's, naming both values and the flags that may change.
//
// Generic: it compares the config's JSON form (the one the checkpoint stores) built from the
// command line against the checkpoint's, at the keys of the flags the user actually gave
// (--hidden-size -> /hidden_size, or a key the tool names). A flag given with the checkpoint's
// own value is fine, so a user may repeat the first run's command line with --resume added.
#ifndef XRNN_TOOLS_RESUME_FLAGS_HPP
#define XRNN_TOOLS_RESUME_FLAGS_HPP

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace xrnn_cli
{
    // flag -> JSON pointer into the config, for flags not spelled as their field
    using FlagKeys = std::map<std::string, std::string>;

    namespace detail
    {
        inline std::string json_text(const nlohmann::json& v)
        {
            return v.is_string() ? "'" + v.get<std::string>() + "'" : v.dump();
        }
        inline bool same_value(const nlohmann::json& a, const nlohmann::json& b)
        {
            if (a.is_number() && b.is_number()) // a flag's text and a default may round apart by an ulp
            {
                const double x = a.get<double>(), y = b.get<double>();
                return x == y || std::fabs(x - y) <= 1e-12 * std::max(std::fabs(x), std::fabs(y));
            }
            return a == b;
        }
    }

    // Throws std::invalid_argument when a flag given to `sub` other than --resume and
    // `may_change` sets a value that differs from the checkpoint's: `given` is the config JSON
    // the command line would start a run with, `saved` the checkpoint's.
    inline void refuse_changed_flags(const CLI::App& sub, const nlohmann::json& given, const nlohmann::json& saved,
                                     const std::vector<std::string>& may_change, const FlagKeys& keys = {})
    {
        std::string changed;
        std::size_t n = 0;
        for (const CLI::Option* opt : sub.get_options())
        {
            const std::string flag = opt->get_name();
            if (opt->count() == 0 || flag == "--resume" || flag.rfind("--", 0) != 0
                || std::find(may_change.begin(), may_change.end(), flag) != may_change.end())
                continue;
            std::string pointer = "/" + flag.substr(2);
            std::replace(pointer.begin(), pointer.end(), '-', '_');
            if (const auto k = keys.find(flag); k != keys.end())
                pointer = k->second;
            const nlohmann::json::json_pointer at(pointer);
            const bool in_given = given.contains(at), in_saved = saved.contains(at);
            if (in_given == in_saved && (!in_given || detail::same_value(given.at(at), saved.at(at))))
                continue;
            const bool takes_value = opt->get_expected_max() != 0; // not a flag such as --unidirectional
            const std::string saved_text = in_saved ? detail::json_text(saved.at(at)) : std::string("the default");
            changed += std::string(n++ ? ", " : "") + flag
                       + (takes_value ? " " + opt->results().back() + " (checkpoint: " + saved_text + ")"
                                      : " (checkpoint: " + pointer.substr(pointer.rfind('/') + 1) + " " + saved_text + ")");
        }
        if (n == 0)
            return;
        std::string allowed;
        for (const auto& f : may_change)
            allowed += (allowed.empty() ? "" : " ") + f;
        // no apostrophes: xrnn-charlm's with_flags reads them as quotes
        throw std::invalid_argument("--resume continues the run of the checkpoint as it was configured, and "
                                    + changed + (n == 1 ? " differs" : " differ")
                                    + " from it; drop " + (n == 1 ? "that flag" : "those flags")
                                    + " or start a new run (on resume only " + allowed + " may change)");
    }
}

#endif
