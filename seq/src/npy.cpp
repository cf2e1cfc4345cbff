// npy.cpp -- a hand-written parser of the fixed-format python-dict .npy header.
#include "xrnn/seq/npy.hpp"

#include "xrnn/input_file.hpp"
#include "xrnn/value_range.hpp"
#include <algorithm>
#include <cctype>
#include <cstring>
#include <limits>
#include <filesystem>
#include <cmath>
#include <fstream>
#include <sstream>

namespace xrnn::seq
{
    namespace
    {
        [[noreturn]] void fail(const std::string& name, const std::string& what)
        {
            throw DataError(name + ": " + what);
        }

        // The text after 'key': in the header dict, up to the next top-level ',' or '}'.
        std::string dict_value(const std::string& h, const std::string& key, const std::string& name)
        {
            auto k = h.find("'" + key + "'");
            if (k == std::string::npos)
                fail(name, "bad .npy header: no '" + key + "' key");
            auto p = h.find(':', k);
            if (p == std::string::npos)
                fail(name, "bad .npy header near '" + key + "'");
            ++p;
            while (p < h.size() && h[p] == ' ')
                ++p;
            std::size_t e = p;
            if (e < h.size() && h[e] == '(')
                e = h.find(')', e) + 1;
            else
                while (e < h.size() && h[e] != ',' && h[e] != '}')
                    ++e;
            if (e == 0 || e > h.size())
                fail(name, "bad .npy header near '" + key + "'");
            return h.substr(p, e - p);
        }

        template <class T>
        double load(const char* p)
        {
            T v;
            std::memcpy(&v, p, sizeof v);
            return static_cast<double>(v);
        }

        std::string read_all(const std::string& path)
        {
            std::string bytes;
            // regular files only: a FIFO would block the read forever, /dev/zero never ends
            const std::string problem = read_input_file(path, bytes);
            if (!problem.empty())
                throw DataError(path + " " + problem + (problem.rfind("is ", 0) == 0 ? "; expected a .npy file" : ""));
            return bytes;
        }

        void write_file(const std::string& path, const std::string& descr, const std::string& shape,
                        const void* data, std::size_t bytes)
        {
            std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
            std::size_t total = 10 + h.size() + 1;
            h.append((64 - total % 64) % 64, ' ');
            h += '\n';
            std::ofstream out(path, std::ios::binary);
            if (!out)
                throw DataError(path + ": cannot write file");
            out.write("\x93NUMPY\x01\x00", 8);
            const unsigned char len[2] = {static_cast<unsigned char>(h.size() & 0xff),
                                          static_cast<unsigned char>(h.size() >> 8)};
            out.write(reinterpret_cast<const char*>(len), 2);
            out << h;
            out.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
            if (!out)
                throw DataError(path + ": write failed");
        }
    }

    NpyArray parse_npy(const std::string& b, const std::string& name)
    {
        if (b.size() < 10 || b.compare(0, 6, "\x93NUMPY") != 0)
            fail(name, "not a .npy file (bad magic; expected a file written by numpy.save)");
        const auto major = static_cast<unsigned char>(b[6]);
        std::size_t hlen = 0, start = 0;
        if (major == 1)
        {
            hlen = static_cast<unsigned char>(b[8]) | (static_cast<std::size_t>(static_cast<unsigned char>(b[9])) << 8);
            start = 10;
        }
        else if (major == 2 || major == 3)
        {
            if (b.size() < 12)
                fail(name, "truncated .npy header");
            for (int i = 3; i >= 0; --i)
                hlen = (hlen << 8) | static_cast<unsigned char>(b[8 + i]);
            start = 12;
        }
        else
            fail(name, "unsupported .npy format version " + std::to_string(major) + " (valid: 1, 2, 3)");
        if (b.size() < start + hlen)
            fail(name, "truncated .npy header");
        const std::string h = b.substr(start, hlen);

        NpyArray a;
        std::string d = dict_value(h, "descr", name);
        if (d.size() < 4 || (d[0] != '\'' && d[0] != '"'))
            fail(name, "unsupported dtype " + d + " (valid: float32, float64, integer)");
        a.descr = d.substr(1, d.size() - 2);
        const char order = a.descr[0];
        a.kind = a.descr.size() >= 2 ? a.descr[1] : 0;
        // the item size: one or two digits ('<f4x' or '<f99999999999999999999' is no dtype)
        const bool digits = a.descr.size() >= 3 && a.descr.size() <= 4
                            && std::all_of(a.descr.begin() + 2, a.descr.end(), [](unsigned char c) { return std::isdigit(c); });
        const std::size_t size = digits ? std::stoul(a.descr.substr(2)) : 0;
        if (order == '>' && size > 1)
            fail(name, "'" + a.descr + "': big-endian data is not supported (save little-endian, e.g. astype('<f4'))");
        bool ok = (a.kind == 'f' && (size == 4 || size == 8)) ||
                  ((a.kind == 'i' || a.kind == 'u') && (size == 1 || size == 2 || size == 4 || size == 8)) ||
                  (a.kind == 'b' && size == 1);
        if (!ok || (order != '<' && order != '|' && order != '='))
            fail(name, "unsupported dtype '" + a.descr + "' (valid: float32, float64, int8..int64, uint8..uint64)");

        if (dict_value(h, "fortran_order", name) != "False")
            fail(name, "fortran_order is True: save a C-order array (numpy.ascontiguousarray)");

        std::string s = dict_value(h, "shape", name);
        std::size_t count = 1;
        for (std::size_t i = 1; i + 1 < s.size();)
        {
            while (i + 1 < s.size() && (s[i] == ' ' || s[i] == ','))
                ++i;
            if (i + 1 >= s.size())
                break;
            std::size_t used = 0, dim = 0;
            if (!std::isdigit(static_cast<unsigned char>(s[i])))
                fail(name, "bad .npy header: shape " + s);
            try
            {
                dim = std::stoul(s.substr(i), &used);
            }
            catch (const std::out_of_range&)
            {
                fail(name, "bad .npy header: shape " + s + " (a dimension past 2^64)");
            }
            // a product past size_t would wrap (to 0 for (2^32, 2^32)) and pass the size check
            if (dim != 0 && count > std::numeric_limits<std::size_t>::max() / dim)
                fail(name, "bad .npy header: shape " + s + " has more values than any file holds");
            a.shape.push_back(dim);
            count *= dim;
            i += used;
        }

        const std::size_t off = start + hlen;
        if ((b.size() - off) / size < count) // count * size could wrap
            fail(name, "truncated data: expected " + std::to_string(count) + " values of " + std::to_string(size)
                           + " bytes, file has " + std::to_string(b.size() - off) + " bytes of data");
        a.values.resize(count);
        const char* p = b.data() + off;
        for (std::size_t i = 0; i < count; ++i, p += size)
        {
            double v = 0;
            switch (a.kind == 'f' ? 100 + size : a.kind == 'u' || a.kind == 'b' ? 200 + size : size)
            {
            case 104: v = load<float>(p); break;
            case 108: v = load<double>(p); break;
            case 1: v = load<std::int8_t>(p); break;
            case 2: v = load<std::int16_t>(p); break;
            case 4: v = load<std::int32_t>(p); break;
            case 8: v = load<std::int64_t>(p); break;
            case 201: v = load<std::uint8_t>(p); break;
            case 202: v = load<std::uint16_t>(p); break;
            case 204: v = load<std::uint32_t>(p); break;
            case 208: v = load<std::uint64_t>(p); break;
            }
            a.values[i] = v;
        }
        return a;
    }

    Matrix features_from_npy(const NpyArray& a, const std::string& name)
    {
        if (a.kind != 'f')
            fail(name, "'" + a.descr + "': features must be float32 or float64");
        if (a.shape.empty() || a.shape.size() > 2)
            fail(name, std::to_string(a.shape.size()) + " dims: features must be 2-D (steps, features) or 1-D (steps,)");
        Matrix m;
        m.rows = a.shape[0];
        m.cols = a.shape.size() == 2 ? a.shape[1] : 1;
        if (m.rows == 0)
            fail(name, "empty sequence (0 steps)");
        if (m.cols == 0)
            fail(name, "0 features per step");
        m.data.assign(a.values.begin(), a.values.end());
        for (std::size_t i = 0; i < m.data.size(); ++i) // one NaN would turn every loss NaN later
            if (!std::isfinite(m.data[i]))
                fail(name, "non-finite value " + std::to_string(m.data[i]) + " at step " + std::to_string(i / m.cols)
                               + ", feature " + std::to_string(i % m.cols) + " (features must be finite)");
        return m;
    }

    std::vector<std::int64_t> ints_from_npy(const NpyArray& a, const std::string& name)
    {
        if (a.kind != 'i' && a.kind != 'u' && a.kind != 'b')
            fail(name, "'" + a.descr + "': tags must be an integer array (int8..int64, uint8..uint64)");
        if (a.shape.size() != 1)
            fail(name, std::to_string(a.shape.size()) + " dims: tags must be 1-D (steps,)");
        if (a.shape[0] == 0)
            fail(name, "empty sequence (0 tags)");
        std::vector<std::int64_t> v(a.values.size());
        for (std::size_t i = 0; i < v.size(); ++i)
        {
            // a uint64 past 2^63 (widened to double) would be an undefined cast
            if (!(a.values[i] >= -9223372036854775808.0 && a.values[i] < 9223372036854775808.0))
                fail(name, "tag " + xrnn::plain_number(a.values[i]) + " at step " + std::to_string(i)
                               + " does not fit a 64-bit signed integer");
            v[i] = static_cast<std::int64_t>(a.values[i]);
        }
        return v;
    }

    Matrix read_npy_features(const std::string& path)
    {
        return features_from_npy(parse_npy(read_all(path), path), path);
    }

    std::vector<std::int64_t> read_npy_ints(const std::string& path)
    {
        return ints_from_npy(parse_npy(read_all(path), path), path);
    }

    void write_npy(const std::string& path, const Matrix& m)
    {
        write_file(path, "<f4", "(" + std::to_string(m.rows) + ", " + std::to_string(m.cols) + ")", m.data.data(),
                   m.data.size() * sizeof(float));
    }

    void write_npy(const std::string& path, const std::vector<std::int32_t>& v)
    {
        write_file(path, "<i4", "(" + std::to_string(v.size()) + ",)", v.data(), v.size() * sizeof(std::int32_t));
    }

    void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const float* data)
    {
        std::string text = "(";
        std::size_t n = 1;
        for (std::size_t i = 0; i < shape.size(); ++i)
        {
            text += (i ? ", " : "") + std::to_string(shape[i]);
            n *= shape[i];
        }
        text += shape.size() == 1 ? ",)" : ")";
        write_file(path, "<f4", text, data, n * sizeof(float));
    }

    NpyArray read_npy(const std::string& path)
    {
        return parse_npy(read_all(path), path);
    }
}
