// lib/memory_budget.cpp -- see memory_budget.hpp.
#include "xrnn/memory_budget.hpp"

#include "xrnn/cell_traits.hpp"
#include "xrnn/check.hpp"
#include "xrnn/input_file.hpp" // format_bytes

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <sys/resource.h>

namespace xrnn
{
    namespace
    {
        // a number from a one-value file ("max" or unreadable: 0)
        std::uint64_t read_number(const std::string& path)
        {
            std::ifstream in(path);
            std::string s;
            if (!(in >> s) || s.empty() || s == "max")
                return 0;
            try
            {
                return std::stoull(s);
            }
            catch (const std::exception&)
            {
                return 0;
            }
        }

        std::uint64_t mem_available()
        {
            std::ifstream in("/proc/meminfo");
            std::string key, unit;
            std::uint64_t kib = 0;
            while (in >> key >> kib)
            {
                std::getline(in, unit);
                if (key == "MemAvailable:")
                    return kib * 1024;
            }
            return 0;
        }

        // the cgroup (v2) this process is in, for its memory.max
        std::string cgroup_dir()
        {
            std::ifstream in("/proc/self/cgroup");
            std::string line;
            while (std::getline(in, line))
                if (line.rfind("0::", 0) == 0)
                    return "/sys/fs/cgroup" + line.substr(3);
            return "";
        }
    }

    std::uint64_t available_memory()
    {
        std::uint64_t avail = mem_available();
        auto tighten = [&](std::uint64_t v) {
            if (v > 0)
                avail = avail == 0 ? v : std::min(avail, v);
        };
        const std::string cg = cgroup_dir();
        if (!cg.empty())
        {
            const std::uint64_t max = read_number(cg + "/memory.max");
            const std::uint64_t cur = read_number(cg + "/memory.current");
            if (max > 0)
                tighten(max > cur ? max - cur : 1);
        }
        struct rlimit rl;
        if (::getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
            tighten(static_cast<std::uint64_t>(rl.rlim_cur));
        return avail;
    }

    double recurrent_param_count(const RecurrentConfig& c)
    {
        const CellTraits& tr = cell_traits(c.cell);
        const double H = static_cast<double>(c.hidden_size);
        const double dirs = c.bidirectional ? 2 : 1;
        double total = 0;
        for (std::size_t l = 0; l < c.num_layers; ++l)
        {
            const double I = l == 0 ? static_cast<double>(c.input_size) : dirs * H;
            for (const CellTensor& t : tr.tensors)
            {
                const double rows = static_cast<double>(t.blocks == 0 ? tr.gates : t.blocks) * H;
                const double cols = t.cols == CellTensor::Cols::input ? I : t.cols == CellTensor::Cols::hidden ? H : 1;
                total += dirs * rows * cols;
            }
        }
        return total;
    }

    double recurrent_activation_count(const RecurrentConfig& c, double steps, double batch)
    {
        const CellTraits& tr = cell_traits(c.cell);
        const double H = static_cast<double>(c.hidden_size);
        const double dirs = c.bidirectional ? 2 : 1;
        const double G = static_cast<double>(tr.gates) * H;
        // per step and row of one layer and direction: h and c, gates and pre-activations, and
        // up to 4H of the cells' scratch (the GRU's W_hn h and dL/d(W_hh h)); per layer the
        // output and its gradient (both directions)
        const double per_step = 2 * H + 2 * G + 4 * H;
        const double layers = static_cast<double>(c.num_layers);
        return layers * (dirs * per_step + 2 * dirs * H) * steps * batch;
    }

    std::string stack_phrase(const RecurrentConfig& c)
    {
        std::string name = cell_name(c.cell);
        for (char& ch : name)
            ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
        return "a " + std::to_string(c.num_layers) + "x" + std::to_string(c.hidden_size) + (c.bidirectional ? " bidirectional " : " ")
               + name;
    }

    void check_memory(double bytes, std::uint64_t limit, const std::string& what, const std::string& parts,
                      const std::string& flag)
    {
        const bool given = limit > 0;
        const std::uint64_t cap = given ? limit : available_memory();
        if (cap == 0 || bytes <= static_cast<double>(cap))
            return;
        const std::string need = bytes >= 1.8e19 ? "more than 16 EiB" : "about " + format_bytes(static_cast<std::uint64_t>(bytes));
        detail::fail(what + " needs " + need + " of memory (" + parts + "), more than "
                     + (given ? "the " + format_bytes(cap) + " " + flag + " allows"
                              : "the " + format_bytes(cap) + " this machine has available")
                     + "; make it smaller, or set " + flag + " if the estimate is wrong");
    }
}
