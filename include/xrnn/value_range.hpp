// xrnn/value_range.hpp -- the valid values of a numeric configuration field, said once: the
// library checks a config (and a checkpoint's config) against it, and the command-line tools
// check a flag's text against the same range, so a flag and its field cannot disagree.
//
// Every range is finite and has plain bounds (1 to 65536, not the whole double range), so a
// message never prints a 309-digit number, NaN and infinities are never in range, and a
// whole-number field can never be given a value that wraps around its unsigned type.
//
// Not the parsing of text: tools/cli_checks.hpp reads flags; this checks values.
#ifndef XRNN_VALUE_RANGE_HPP
#define XRNN_VALUE_RANGE_HPP

#include "xrnn/check.hpp"

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

namespace xrnn
{
    struct ValueRange
    {
        const char* name; // the field, as errors name it (hidden_size)
        double lo, hi;    // inclusive, except lo when lo_open
        bool whole = false;
        bool lo_open = false;
    };

    // Plain decimal: 65536, 0.999, 1e-06 (never the 17 digits of a double's full expansion)
    inline std::string plain_number(double v)
    {
        char buf[64];
        if (std::isfinite(v) && v == std::floor(v) && std::fabs(v) < 1e19)
            std::snprintf(buf, sizeof(buf), "%.0f", v);
        else
            std::snprintf(buf, sizeof(buf), "%.10g", v);
        return buf;
    }

    // "a whole number from 1 to 65536", "a number > 0 and <= 10"
    inline std::string range_text(const ValueRange& r)
    {
        const std::string kind = r.whole ? "a whole number" : "a number";
        if (r.lo_open)
            return kind + " > " + plain_number(r.lo) + " and <= " + plain_number(r.hi);
        return kind + " from " + plain_number(r.lo) + " to " + plain_number(r.hi);
    }

    inline bool in_range(const ValueRange& r, double v)
    {
        return std::isfinite(v) && (r.lo_open ? v > r.lo : v >= r.lo) && v <= r.hi && (!r.whole || v == std::floor(v));
    }

    // Throws (XRNN_CHECK) "hidden_size must be a whole number from 1 to 65536, got 0".
    inline void check_range(const ValueRange& r, double v)
    {
        XRNN_CHECK(in_range(r, v), std::string(r.name) + " must be " + range_text(r) + ", got " + plain_number(v));
    }

    // The same for a value in a JSON document (a checkpoint's config) at `pointer`: a value that
    // is not a number (NaN is written as null) or is out of range is named as it is written
    // (-1, not the 2^64 - 1 it would wrap to). An absent value passes when `optional` (fields
    // older files lack); otherwise the document's own reader reports it.
    template <class Json>
    void check_json_range(const Json& j, const std::string& pointer, const ValueRange& r, bool optional)
    {
        const typename Json::json_pointer at(pointer);
        if (!j.contains(at))
        {
            XRNN_CHECK(optional, std::string(r.name) + " is missing");
            return;
        }
        const Json& v = j.at(at);
        XRNN_CHECK(v.is_number() && in_range(r, v.template get<double>()),
                   std::string(r.name) + " must be " + range_text(r) + ", got " + v.dump());
    }

    // For a whole-number field read with the JSON library's get_to but not range-checked on load (older
    // files may hold a seed of -1, i.e. 2^64 - 1): get_to casts a JSON float to the integer type
    // unchecked, undefined behaviour past T's range (1e30, or -1.5 into an unsigned type), so a
    // float value must fit T. Integers, strings and absent values pass (get_to converts or refuses
    // them itself).
    template <class T, class Json>
    void check_json_fits(const Json& j, const std::string& pointer, const char* name)
    {
        const typename Json::json_pointer at(pointer);
        if (!j.contains(at) || !j.at(at).is_number_float())
            return;
        const double v = j.at(at).template get<double>();
        const double lo = static_cast<double>(std::numeric_limits<T>::min());
        const double past = std::ldexp(1.0, std::numeric_limits<T>::digits); // 2^64 for uint64_t
        XRNN_CHECK(std::isfinite(v) && v > lo - 1 && v < past,
                   std::string(name) + " must be a whole number from " + std::to_string(std::numeric_limits<T>::min())
                       + " to " + std::to_string(std::numeric_limits<T>::max()) + ", got " + j.at(at).dump());
    }

    // Ranges several configurations share, so that --threads means the same in every tool.
    namespace limits
    {
        inline constexpr double kMaxCount = 1e12;         // steps, evaluation intervals
        inline constexpr ValueRange threads{"threads", 1, 256, true};
        inline constexpr ValueRange seed{"seed", 0, 1e18, true};
        inline constexpr ValueRange hidden_size{"hidden_size", 1, 65536, true};
        inline constexpr ValueRange num_layers{"num_layers", 1, 100, true};
        inline constexpr ValueRange batch_size{"batch_size", 1, 65536, true};
        inline constexpr ValueRange time_budget{"time_budget", 0, 1e9, false};  // seconds: 31 years
        inline constexpr ValueRange clip_norm{"clip_norm", 0, 1e9, false};      // 0 = off
        inline constexpr ValueRange dropout{"dropout", 0, 0.99, false};
        inline constexpr ValueRange forget_bias{"forget_bias", -50, 50, false}; // sigmoid(50) is 1 in float
        inline constexpr ValueRange monitor_every{"monitor_every", 0, kMaxCount, true};
        inline constexpr ValueRange max_memory{"max_memory", 0, 1125899906842624.0, true}; // bytes: 1P
    }
}

#endif
