// seq_test_util.hpp -- helpers for the seq wing's tests: temp paths and hand-written .npy bytes.
#ifndef XRNN_TESTS_SEQ_TEST_UTIL_HPP
#define XRNN_TESTS_SEQ_TEST_UTIL_HPP

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "xrnn/seq/npy.hpp"

namespace seqtest
{
    // A fresh directory under XRNN_TEST_TMP for one test.
    inline std::string tmp_dir(const std::string& name)
    {
        const auto d = std::filesystem::path(XRNN_TEST_TMP) / ("seq_" + name);
        std::filesystem::remove_all(d);
        std::filesystem::create_directories(d);
        return d.string();
    }

    inline void write_text(const std::string& path, const std::string& text)
    {
        std::ofstream(path, std::ios::binary) << text;
    }

    // A version-1.0 .npy with any header dict and raw data bytes, for files numpy.save would not write.
    inline void write_raw_npy(const std::string& path, const std::string& dict, const std::string& data,
                              char major = 1)
    {
        std::string h = dict;
        h.append((64 - (12 + h.size() + 1) % 64) % 64, ' ');
        h += '\n';
        std::string b = std::string("\x93NUMPY", 6) + major + '\0';
        b += static_cast<char>(h.size() & 0xff);
        b += static_cast<char>(h.size() >> 8);
        if (major != 1)
            b += std::string(2, '\0');
        write_text(path, b + h + data);
    }

    // The message of the DataError that f throws (fails the test if none).
    template <class F>
    std::string error_of(F&& f)
    {
        try
        {
            f();
        }
        catch (const xrnn::seq::DataError& e)
        {
            return e.what();
        }
        FAIL("no DataError thrown");
        return "";
    }
}

#endif
