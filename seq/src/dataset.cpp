// dataset.cpp -- list-file and .npz loading, validation split, standardization.
#include "xrnn/seq/dataset.hpp"

#include "xrnn/input_file.hpp"
#include "xrnn/value_range.hpp"
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <stdexcept>

#include "xrnn/seq/npz.hpp"

namespace xrnn::seq
{
    const char* task_name(Task t)
    {
        switch (t)
        {
        case Task::classify: return "classify";
        case Task::regress: return "regress";
        case Task::tag: return "tag";
        case Task::ctc: return "ctc";
        }
        return "?";
    }

    Task task_from_name(const std::string& name)
    {
        for (Task t : {Task::classify, Task::regress, Task::tag, Task::ctc})
            if (name == task_name(t))
                return t;
        throw std::invalid_argument("unknown task '" + name + "' (valid: classify, regress, tag, ctc)");
    }

    ClassTable::ClassTable(std::vector<std::string> names) : names_(std::move(names))
    {
        std::sort(names_.begin(), names_.end());
        names_.erase(std::unique(names_.begin(), names_.end()), names_.end());
    }

    int ClassTable::id(const std::string& name) const
    {
        auto it = std::lower_bound(names_.begin(), names_.end(), name);
        return it != names_.end() && *it == name ? static_cast<int>(it - names_.begin()) : -1;
    }

    namespace
    {
        [[noreturn]] void fail(const std::string& where, const std::string& what)
        {
            throw DataError(where + ": " + what);
        }

        std::string trim(const std::string& s)
        {
            auto b = s.find_first_not_of(" \t\r");
            auto e = s.find_last_not_of(" \t\r");
            return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
        }

        // Adds m as a sequence, checking the feature dimension against the first one's.
        Sequence& add_features(Dataset& d, Matrix&& m, const std::string& where, std::string& first_source)
        {
            if (d.items.empty())
            {
                d.features = m.cols;
                first_source = where;
            }
            else if (m.cols != d.features)
                fail(where, std::to_string(m.cols) + " features per step, but " + first_source + " has " +
                                std::to_string(d.features));
            Sequence s;
            s.steps = m.rows;
            s.x = std::move(m.data);
            s.source = where;
            d.items.push_back(std::move(s));
            return d.items.back();
        }

        void set_tags(Sequence& s, const std::vector<std::int64_t>& tags, const std::string& where)
        {
            if (tags.size() != s.steps)
                fail(where, "tag length " + std::to_string(tags.size()) + " differs from the feature length " +
                                std::to_string(s.steps));
            for (auto t : tags)
                if (t < 0 || t > 1000000)
                    fail(where, "tag " + std::to_string(t) + " out of range (valid: 0..1000000)");
            s.tags.assign(tags.begin(), tags.end());
        }

        void finish(Dataset& d, const std::string& path)
        {
            if (d.items.empty())
                fail(path, "no sequences");
            if (d.task == Task::tag)
            {
                std::int32_t top = 0;
                for (auto& s : d.items)
                    for (auto t : s.tags)
                        top = std::max(top, t);
                d.outputs = static_cast<std::size_t>(top) + 1;
            }
        }
    }

    Dataset load_list(const std::string& path, Task task, const ClassTable* classes)
    {
        if (const std::string problem = input_file_problem(path); !problem.empty())
            throw DataError(path + ": the list file " + problem);
        std::ifstream in(path);
        if (!in)
            throw DataError(path + ": cannot open list file (missing or unreadable)");
        const auto dir = std::filesystem::path(path).parent_path();
        auto resolve = [&](const std::string& p) {
            std::filesystem::path q(p);
            return (q.is_absolute() ? q : dir / q).string();
        };

        Dataset d;
        d.task = task;
        std::string first_source, line;
        std::vector<std::string> labels; // classify: names, mapped to ids at the end
        std::vector<std::vector<std::string>> token_lines; // ctc: the same, per token
        for (std::size_t no = 1; std::getline(in, line); ++no)
        {
            const std::string where = path + ":" + std::to_string(no);
            const std::string t = trim(line);
            if (t.empty() || t[0] == '#')
                continue;
            auto tab = line.find('\t');
            if (tab == std::string::npos)
                fail(where, "no label: expected 'features.npy<TAB>label'");
            const std::string file = trim(line.substr(0, tab)), label = trim(line.substr(tab + 1));
            if (task == Task::ctc && !file.empty() && label.empty())
                fail(where, "empty label: ctc needs at least one label token per sequence "
                            "('features.npy<TAB>token token ...')");
            if (file.empty() || label.empty())
                fail(where, "empty path or label: expected 'features.npy<TAB>label'");
            try
            {
                Sequence& s = add_features(d, read_npy_features(resolve(file)), where, first_source);
                if (task == Task::classify)
                    labels.push_back(label);
                else if (task == Task::ctc)
                {
                    std::istringstream words(label);
                    std::vector<std::string> seq;
                    for (std::string w; words >> w;)
                        seq.push_back(w);
                    token_lines.push_back(std::move(seq));
                }
                else if (task == Task::tag)
                {
                    std::vector<std::int64_t> tags;
                    try
                    {
                        tags = read_npy_ints(resolve(label));
                    }
                    catch (const DataError& e) // say what the label of a tag task must be
                    {
                        fail(where, std::string(e.what()) + " (for --task tag the label is a .npy of per-step int labels)");
                    }
                    set_tags(s, tags, where);
                }
                else
                {
                    std::size_t pos = 0;
                    while (pos <= label.size())
                    {
                        auto comma = std::min(label.find(',', pos), label.size());
                        const std::string v = trim(label.substr(pos, comma - pos));
                        char* end = nullptr;
                        const float f = std::strtof(v.c_str(), &end);
                        if (v.empty() || *end != '\0' || !std::isfinite(f))
                            fail(where, "bad regression target '" + v + "' (valid: floats separated by commas)");
                        s.target.push_back(f);
                        pos = comma + 1;
                    }
                    if (d.items.size() == 1)
                        d.outputs = s.target.size();
                    else if (s.target.size() != d.outputs)
                        fail(where, std::to_string(s.target.size()) + " targets, but " + first_source + " has " +
                                        std::to_string(d.outputs));
                }
            }
            catch (const DataError& e)
            {
                const std::string msg = e.what();
                if (msg.compare(0, where.size(), where) == 0)
                    throw;
                fail(where, msg);
            }
        }
        if (task == Task::classify)
        {
            d.classes = classes ? *classes : ClassTable(labels);
            if (!classes && d.classes.size() < 2)
                fail(path, "only " + std::to_string(d.classes.size()) +
                               " class in training: classification needs at least 2");
            for (std::size_t i = 0; i < labels.size(); ++i)
            {
                const int id = d.classes.id(labels[i]);
                if (id < 0)
                    fail(d.items[i].source, "class '" + labels[i] + "' was not seen in training");
                d.items[i].label = id;
            }
            d.outputs = d.classes.size();
        }
        else if (task == Task::ctc)
        {
            if (classes)
                d.classes = *classes;
            else
            {
                std::vector<std::string> all;
                for (const auto& seq : token_lines)
                    all.insert(all.end(), seq.begin(), seq.end());
                d.classes = ClassTable(all);
            }
            for (std::size_t i = 0; i < token_lines.size(); ++i)
                for (const auto& w : token_lines[i])
                {
                    const int id = d.classes.id(w);
                    if (id < 0)
                        fail(d.items[i].source, "token '" + w + "' was not seen in training");
                    d.items[i].tokens.push_back(id);
                }
            d.outputs = d.classes.size() + 1; // class 0 is the CTC blank
        }
        finish(d, path);
        return d;
    }

    Dataset load_npz(const std::string& path, Task task)
    {
        if (task == Task::ctc)
            fail(path, "ctc needs a list file (features.npy<TAB>token token ...), not an .npz");
        const auto members = read_npz(path);
        Dataset d;
        d.task = task;
        std::string first_source;
        std::int64_t top_class = -1;
        for (std::size_t k = 0;; ++k)
        {
            const std::string xk = "x_" + std::to_string(k), yk = "y_" + std::to_string(k);
            auto x = members.find(xk);
            if (x == members.end())
            {
                for (const auto& [name, bytes] : members)
                    if (name != xk && (name.rfind("x_", 0) == 0 || name.rfind("y_", 0) == 0) &&
                        name.size() > 2 && std::isdigit(static_cast<unsigned char>(name[2])) &&
                        std::strtoull(name.c_str() + 2, nullptr, 10) >= k) // saturates: stoul threw "stoul" past 2^64
                        fail(path, "member " + name + " present but " + xk +
                                       " missing (valid: x_0, y_0, x_1, y_1, ... without gaps)");
                break;
            }
            auto y = members.find(yk);
            const std::string where = path + ":" + xk;
            if (y == members.end())
                fail(path, "member " + xk + " has no " + yk);
            Sequence& s = add_features(d, features_from_npy(parse_npy(x->second, where), where), where, first_source);
            const NpyArray ya = parse_npy(y->second, path + ":" + yk);
            if (task == Task::tag)
                set_tags(s, ints_from_npy(ya, path + ":" + yk), where);
            else if (task == Task::classify)
            {
                if (ya.values.size() != 1 || ya.kind == 'f')
                    fail(path + ":" + yk, "class label must be one integer");
                if (ya.values[0] < 0 || ya.values[0] > 1000000) // as tags; a class id per name below
                    fail(path + ":" + yk, "class label " + xrnn::plain_number(ya.values[0])
                                              + " out of range (valid: 0..1000000)");
                s.label = static_cast<std::int32_t>(ya.values[0]);
                top_class = std::max<std::int64_t>(top_class, s.label);
            }
            else
            {
                if (ya.shape.size() > 1 || ya.values.empty())
                    fail(path + ":" + yk, "regression target must be a scalar or a 1-D array");
                s.target.assign(ya.values.begin(), ya.values.end());
                for (float v : s.target) // as a list's targets: one NaN would turn every loss NaN
                    if (!std::isfinite(v))
                        fail(path + ":" + yk, "non-finite regression target " + std::to_string(v)
                                                  + " (targets must be finite floats)");
                if (d.items.size() == 1)
                    d.outputs = s.target.size();
                else if (s.target.size() != d.outputs)
                    fail(path + ":" + yk, "target size differs from y_0's");
            }
        }
        if (task == Task::classify)
        {
            std::vector<std::string> names;
            for (std::int64_t c = 0; c <= top_class; ++c)
                names.push_back(std::to_string(c));
            // Numeric names keep id == label only if sorted as numbers; store them in id order.
            d.classes = ClassTable(names);
            std::vector<std::int32_t> remap(names.size());
            for (std::size_t c = 0; c < names.size(); ++c)
                remap[c] = d.classes.id(std::to_string(c));
            for (auto& s : d.items)
                s.label = remap[s.label];
            d.outputs = names.size();
            if (d.outputs < 2)
                fail(path, "only one class: classification needs at least 2");
        }
        finish(d, path);
        return d;
    }

    Dataset split_validation(Dataset& train, double fraction, std::uint64_t seed)
    {
        if (!(fraction >= 0.0 && fraction < 1.0))
            throw std::invalid_argument("validation fraction must be in [0, 1)");
        const std::size_t n = train.size();
        std::size_t nv = static_cast<std::size_t>(std::llround(fraction * static_cast<double>(n)));
        if (fraction > 0 && nv == 0 && n >= 2)
            nv = 1;
        // Fisher-Yates with mt19937_64 and a modulo draw: the same on every standard library.
        std::vector<std::size_t> idx(n);
        for (std::size_t i = 0; i < n; ++i)
            idx[i] = i;
        std::mt19937_64 rng(seed);
        for (std::size_t i = n; i > 1; --i)
            std::swap(idx[i - 1], idx[rng() % i]);
        std::vector<char> is_val(n, 0);
        for (std::size_t i = 0; i < nv; ++i)
            is_val[idx[i]] = 1;

        Dataset val;
        val.task = train.task;
        val.features = train.features;
        val.outputs = train.outputs;
        val.classes = train.classes;
        std::vector<Sequence> rest;
        for (std::size_t i = 0; i < n; ++i)
            (is_val[i] ? val.items : rest).push_back(std::move(train.items[i]));
        train.items = std::move(rest);
        return val;
    }

    Standardizer Standardizer::fit(const Dataset& d)
    {
        const std::size_t f = d.features;
        std::vector<double> sum(f, 0.0), sq(f, 0.0);
        double count = 0;
        for (const auto& s : d.items)
        {
            for (std::size_t t = 0; t < s.steps; ++t)
                for (std::size_t j = 0; j < f; ++j)
                    sum[j] += s.x[t * f + j];
            count += static_cast<double>(s.steps);
        }
        Standardizer z;
        z.mean.resize(f);
        z.std.resize(f);
        for (std::size_t j = 0; j < f; ++j)
            sum[j] /= std::max(count, 1.0);
        // two passes: the one-pass E[x^2]-E[x]^2 cancels badly for large offsets
        for (const auto& s : d.items)
            for (std::size_t t = 0; t < s.steps; ++t)
                for (std::size_t j = 0; j < f; ++j)
                {
                    const double c = s.x[t * f + j] - sum[j];
                    sq[j] += c * c;
                }
        for (std::size_t j = 0; j < f; ++j)
        {
            z.mean[j] = static_cast<float>(sum[j]);
            z.std[j] = static_cast<float>(std::max(std::sqrt(sq[j] / std::max(count, 1.0)), 1e-8));
        }
        return z;
    }

    void Standardizer::apply(Dataset& d) const
    {
        if (mean.size() != d.features || std.size() != d.features)
            throw std::invalid_argument("Standardizer has " + std::to_string(mean.size()) +
                                        " features, the data set " + std::to_string(d.features));
        const std::size_t f = d.features;
        for (auto& s : d.items)
            for (std::size_t i = 0; i < s.x.size(); ++i)
                s.x[i] = (s.x[i] - mean[i % f]) / std[i % f];
    }
}
