// xrnn/detail/name_table.hpp -- enum <-> name through one table per enum, so parsing, printing
// and the list of valid names (for errors and the CLIs' --help) cannot drift apart.
#ifndef XRNN_DETAIL_NAME_TABLE_HPP
#define XRNN_DETAIL_NAME_TABLE_HPP

#include "xrnn/check.hpp"

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace xrnn::detail
{
    template <class E>
    struct Named
    {
        E value;
        const char* name;
    };

    template <class E, std::size_t N>
    std::vector<std::string> names_of(const std::array<Named<E>, N>& table)
    {
        std::vector<std::string> v;
        for (const auto& e : table)
            v.emplace_back(e.name);
        return v;
    }

    // `what` names the kind in the error: "unknown optimizer 'x'; valid: adam, rmsprop, sgd"
    template <class E, std::size_t N>
    E from_name(const std::array<Named<E>, N>& table, std::string_view name, const char* what)
    {
        std::string valid;
        for (const auto& e : table)
        {
            if (name == e.name)
                return e.value;
            valid += (valid.empty() ? "" : ", ") + std::string(e.name);
        }
        fail("unknown " + std::string(what) + " '" + std::string(name) + "'; valid: " + valid);
    }

    template <class E, std::size_t N>
    std::string name_of(const std::array<Named<E>, N>& table, E value)
    {
        for (const auto& e : table)
            if (e.value == value)
                return e.name;
        fail("unnamed " + std::to_string(static_cast<int>(value)));
    }
}

#endif
