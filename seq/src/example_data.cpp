// example_data.cpp -- the synthetic tasks of example_data.hpp.
#include "xrnn/seq/example_data.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <vector>

#include "xrnn/seq/npy.hpp"

namespace xrnn::seq
{
    std::string make_example_data(const std::string& kind, const std::string& out_dir, std::size_t count,
                                  std::uint64_t seed, std::size_t min_len, std::size_t max_len)
    {
        if (kind != "adding" && kind != "temporal_order" && kind != "tagging" && kind != "spelled")
            throw std::invalid_argument("unknown example kind '" + kind +
                                        "' (valid: adding, temporal_order, tagging, spelled)");
        if (min_len < 2 || max_len < min_len)
            throw std::invalid_argument("example lengths need 2 <= min_len <= max_len");
        std::filesystem::create_directories(out_dir);
        const std::string list_path = (std::filesystem::path(out_dir) / "list.txt").string();
        std::ofstream list(list_path);
        if (!list)
            throw DataError(list_path + ": cannot write file");
        list.precision(9); // float round trip
        list << "# " << kind << " example data, seed " << seed << "\n";

        std::mt19937_64 rng(seed);
        auto uniform = [&] { return static_cast<float>((rng() >> 40) * 0x1.0p-24); }; // [0,1) on a float grid
        auto below = [&](std::size_t n) { return static_cast<std::size_t>(rng() % n); };
        for (std::size_t k = 0; k < count; ++k)
        {
            char name[32];
            std::snprintf(name, sizeof name, "seq_%05zu", k);
            const std::size_t T = min_len + below(max_len - min_len + 1);
            // two distinct marked steps, p < q
            std::size_t p = below(T), q = below(T - 1);
            q += q >= p;
            if (q < p)
                std::swap(p, q);
            Matrix m;
            m.rows = T;
            if (kind == "adding")
            {
                m.cols = 2;
                m.data.assign(T * 2, 0.0f);
                for (std::size_t t = 0; t < T; ++t)
                    m.data[t * 2] = uniform();
                m.data[p * 2 + 1] = m.data[q * 2 + 1] = 1.0f;
                // the same float sum a reader recomputes from the stored values
                list << name << ".npy\t" << m.data[p * 2] + m.data[q * 2] << "\n";
            }
            else if (kind == "temporal_order")
            {
                m.cols = 6;
                m.data.assign(T * 6, 0.0f);
                std::string cls;
                for (std::size_t t = 0; t < T; ++t)
                {
                    const bool relevant = t == p || t == q;
                    const std::size_t sym = relevant ? below(2) : 2 + below(4);
                    m.data[t * 6 + sym] = 1.0f;
                    if (relevant)
                        cls += sym == 0 ? 'X' : 'Y';
                }
                list << name << ".npy\t" << cls << "\n";
            }
            else if (kind == "spelled")
            {
                static const char* const words[] = {"one", "two", "three", "four", "five"};
                constexpr std::size_t F = 6, silence = 5;
                const std::size_t n = 1 + below(5);
                std::vector<std::size_t> frames; // the feature that is on in each frame
                std::string label;
                auto quiet = [&](std::size_t k) { frames.insert(frames.end(), k, silence); };
                quiet(below(3));
                for (std::size_t i = 0, prev = F; i < n; ++i)
                {
                    const std::size_t w = below(5);
                    if (i > 0)
                        quiet(w == prev ? 1 + below(2) : below(3));
                    frames.insert(frames.end(), 2 + below(3), w);
                    label += (i ? " " : "") + std::string(words[w]);
                    prev = w;
                }
                quiet(below(3));
                m.rows = frames.size();
                m.cols = F;
                m.data.resize(m.rows * F);
                for (std::size_t t = 0; t < m.rows; ++t)
                    for (std::size_t j = 0; j < F; ++j)
                        m.data[t * F + j] = (j == frames[t] ? 1.0f : 0.0f) + 0.6f * (uniform() - 0.5f);
                list << name << ".npy\t" << label << "\n";
            }
            else
            {
                m.cols = 3;
                m.data.assign(T * 3, 0.0f);
                std::vector<std::int32_t> tags(T);
                int odd = 0;
                for (std::size_t t = 0; t < T; ++t)
                {
                    const std::size_t sym = below(3);
                    m.data[t * 3 + sym] = 1.0f;
                    odd ^= sym == 0;
                    tags[t] = odd;
                }
                write_npy((std::filesystem::path(out_dir) / (std::string(name) + ".tags.npy")).string(), tags);
                list << name << ".npy\t" << name << ".tags.npy\n";
            }
            write_npy((std::filesystem::path(out_dir) / (std::string(name) + ".npy")).string(), m);
        }
        if (!list)
            throw DataError(list_path + ": write failed");
        return list_path;
    }
}
