// xrnn/check.hpp -- the one way xrnn reports misuse.
//
// XRNN_CHECK(cond, message) throws std::invalid_argument("xrnn: <message>") when cond
// is false; the message names the problem and what is valid. It is meant for API
// boundaries (shapes, sizes, names), never inside per-element loops.
// XRNN_ASSERT is compiled only when XRNN_ENABLE_ASSERT is defined (tests).
#ifndef XRNN_CHECK_HPP
#define XRNN_CHECK_HPP

#include <sstream>
#include <stdexcept>
#include <string>

namespace xrnn::detail
{
    [[noreturn]] inline void fail(const std::string& message)
    {
        throw std::invalid_argument("xrnn: " + message);
    }

    // Shapes print as (a, b, c) in error messages.
    template <class Shape>
    std::string shape_str(const Shape& s)
    {
        std::ostringstream os;
        os << '(';
        bool first = true;
        for (auto v : s)
        {
            os << (first ? "" : ", ") << v;
            first = false;
        }
        os << ')';
        return os.str();
    }
}

#define XRNN_CHECK(cond, message)                                                                    \
    do                                                                                               \
    {                                                                                                \
        if (!(cond))                                                                                 \
            ::xrnn::detail::fail(message);                                                           \
    } while (0)

#ifdef XRNN_ENABLE_ASSERT
#define XRNN_ASSERT(cond)                                                                            \
    do                                                                                               \
    {                                                                                                \
        if (!(cond))                                                                                 \
            throw std::logic_error(std::string("xrnn internal assertion failed: ") + #cond + " at " \
                                   + __FILE__ + ":" + std::to_string(__LINE__));                    \
    } while (0)
#else
#define XRNN_ASSERT(cond) ((void)0)
#endif

#endif
