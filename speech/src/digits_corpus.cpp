// speech/src/digits_corpus.cpp -- see digits_corpus.hpp.
#include "xrnn/speech/digits_corpus.hpp"

#include "xrnn/seq/npy.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>
#include <unistd.h>

namespace xrnn::speech
{
    namespace fs = std::filesystem;
    using seq::DataError;

    std::string digit_of_word(const std::string& w)
    {
        static const char* words[] = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
        if (w == "oh" || w == "o")
            return "0";
        for (int d = 0; d < 10; ++d)
            if (w == words[d] || (w.size() == 1 && w[0] == char('0' + d)))
                return std::string(1, char('0' + d));
        return "";
    }

    std::vector<Utterance> read_corpus_list(const std::string& path)
    {
        std::error_code ec;
        if (!fs::is_regular_file(path, ec))
            throw DataError(path + (fs::exists(path, ec) ? ": not a regular file" : ": no such file")
                            + "; a corpus list is a text file of wav<TAB>words lines (scripts/make_digits.py writes them)");
        std::ifstream in(path);
        if (!in)
            throw DataError(path + ": cannot be read");
        const fs::path dir = fs::path(path).parent_path();
        std::vector<Utterance> out;
        std::string line;
        for (std::size_t n = 1; std::getline(in, line); ++n)
        {
            if (!line.empty() && line.back() == '\r')
                line.pop_back();
            if (line.empty() || line[0] == '#')
                continue;
            const std::string where = fs::path(path).filename().string() + ":" + std::to_string(n);
            std::vector<std::string> cols;
            std::stringstream ss(line);
            for (std::string c; std::getline(ss, c, '\t');)
                cols.push_back(c);
            if (cols.size() < 2 || cols[0].empty())
                throw DataError(path + ":" + std::to_string(n)
                                + ": expected wav path<TAB>digit words (e.g. 'wav/a.wav\tthree oh five')");
            Utterance u;
            u.wav = fs::path(cols[0]).is_absolute() ? cols[0] : (dir / cols[0]).string();
            u.voice = cols.size() > 2 ? cols[2] : "";
            u.source = where;
            std::stringstream ws(cols[1]);
            for (std::string w; ws >> w;)
            {
                std::string lower = w;
                std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return char(std::tolower(c)); });
                const std::string d = digit_of_word(lower);
                if (d.empty())
                    throw DataError(path + ":" + std::to_string(n) + ": '" + w
                                    + "' is not a digit word (valid: oh, zero, one ... nine, or 0-9)");
                u.digits.push_back(d);
            }
            if (u.digits.empty())
                throw DataError(path + ":" + std::to_string(n) + ": no digit words");
            out.push_back(std::move(u));
        }
        if (out.empty())
            throw DataError(path + ": no utterances in the list");
        return out;
    }

    const std::vector<CorpusSplit>& test_splits()
    {
        static const std::vector<CorpusSplit> s = {
            {"test", "held-out voices, connected digits", false},
            {"test_isolated", "held-out voices, isolated digits", true},
            {"test_accent", "held-out accent, connected digits", false},
            {"test_accent_isolated", "held-out accent, isolated digits", true},
        };
        return s;
    }

    namespace
    {
        seq::ClassTable digit_table()
        {
            std::vector<std::string> names;
            for (char c = '0'; c <= '9'; ++c)
                names.emplace_back(1, c);
            return seq::ClassTable(names);
        }

        // Runs f(worker, i) for i in 0..n-1 on `threads` workers; the first exception is rethrown.
        template <class F>
        void parallel_items(std::size_t n, int threads, const Progress& progress, F&& f)
        {
            std::atomic<std::size_t> next{0}, done{0};
            std::atomic<bool> failed{false};
            std::exception_ptr error;
            std::mutex mu;
            auto work = [&](int w) {
                try
                {
                    for (std::size_t i; !failed.load() && (i = next.fetch_add(1)) < n;)
                    {
                        f(w, i);
                        const std::size_t d = done.fetch_add(1) + 1;
                        if (progress && (d % 200 == 0 || d == n))
                        {
                            std::lock_guard<std::mutex> lock(mu);
                            progress(d, n);
                        }
                    }
                }
                catch (...)
                {
                    std::lock_guard<std::mutex> lock(mu);
                    if (!error)
                        error = std::current_exception();
                    failed.store(true);
                }
            };
            std::vector<std::thread> pool;
            for (int t = 1; t < std::max(1, threads); ++t)
                pool.emplace_back(work, t);
            work(0);
            for (auto& t : pool)
                t.join();
            if (error)
                std::rethrow_exception(error);
        }

        // The features of utts[i] into out[i], per thread one Frontend.
        std::vector<features::FeatureMatrix> compute_all(const std::vector<Utterance>& utts, const FrontendConfig& fc,
                                                         int threads, const Progress& progress)
        {
            std::vector<features::FeatureMatrix> out(utts.size());
            threads = std::max(1, threads);
            std::vector<Frontend> fronts; // one per worker: an MfccComputer is not thread-safe
            for (int t = 0; t < threads; ++t)
                fronts.emplace_back(fc);
            parallel_items(utts.size(), threads, progress, [&](int w, std::size_t i) {
                try
                {
                    out[i] = fronts[std::size_t(w)].compute_file(utts[i].wav);
                }
                catch (const features::DataError& e)
                {
                    throw DataError(utts[i].source + ": " + e.what());
                }
            });
            return out;
        }
    }

    seq::Dataset utterance_dataset(const std::vector<Utterance>& utts, const FrontendConfig& fc,
                                   const seq::ClassTable* vocab, int threads, const Progress& progress)
    {
        fc.validate();
        seq::Dataset d;
        d.task = seq::Task::ctc;
        d.classes = vocab ? *vocab : digit_table();
        d.outputs = d.classes.size() + 1;
        d.features = fc.dims();
        auto feats = compute_all(utts, fc, threads, progress);
        d.items.resize(utts.size());
        for (std::size_t i = 0; i < utts.size(); ++i)
        {
            seq::Sequence& s = d.items[i];
            s.x = std::move(feats[i].data);
            s.steps = feats[i].frames;
            s.source = utts[i].source;
            for (const auto& t : utts[i].digits)
            {
                const int id = d.classes.id(t);
                if (id < 0)
                    throw DataError(utts[i].source + ": digit '" + t + "' is not in the model's vocabulary");
                s.tokens.push_back(id);
            }
        }
        return d;
    }

    std::size_t prepare_corpus(const std::string& corpus_dir, const std::string& out_dir, const FrontendConfig& fc,
                               int threads, const Progress& progress)
    {
        fc.validate();
        std::error_code ec;
        if (!fs::is_directory(corpus_dir, ec))
            throw DataError(corpus_dir + ": not a corpus folder (make one with scripts/make_digits.py --out "
                            + corpus_dir + ")");
        if (fs::exists(out_dir, ec))
            throw DataError(out_dir + " exists; remove it or choose another --out");
        // which lists go into which output list
        const std::vector<std::pair<std::string, std::vector<std::string>>> plan = {
            {"train", {"train", "train_isolated"}}, {"test", {"test"}}, {"test_isolated", {"test_isolated"}},
            {"test_accent", {"test_accent"}}, {"test_accent_isolated", {"test_accent_isolated"}}};
        struct Job
        {
            std::string list;
            std::vector<Utterance> utts;
            std::vector<std::string> names;
        };
        std::vector<Job> jobs;
        std::size_t total = 0;
        for (const auto& [out_list, inputs] : plan)
        {
            Job j{out_list, {}, {}};
            for (const auto& in : inputs)
            {
                const fs::path p = fs::path(corpus_dir) / (in + ".tsv");
                if (!fs::exists(p, ec))
                {
                    if (in == "train")
                        throw DataError(p.string() + ": no such file; a corpus folder has train.tsv, test.tsv, ... "
                                                     "(scripts/make_digits.py)");
                    continue;
                }
                for (auto& u : read_corpus_list(p.string()))
                {
                    j.names.push_back(in + "_" + fs::path(u.wav).stem().string());
                    j.utts.push_back(std::move(u));
                }
            }
            total += j.utts.size();
            if (!j.utts.empty())
                jobs.push_back(std::move(j));
        }
        const std::string tmp = out_dir + ".tmp-" + std::to_string(::getpid());
        fs::remove_all(tmp, ec);
        std::size_t before = 0;
        try
        {
            for (const auto& j : jobs)
            {
                const fs::path npy_dir = fs::path(tmp) / "npy" / j.list;
                fs::create_directories(npy_dir);
                auto feats = compute_all(j.utts, fc, threads, [&](std::size_t d, std::size_t) {
                    if (progress)
                        progress(before + d, total);
                });
                std::ofstream list(fs::path(tmp) / (j.list + ".list"));
                for (std::size_t i = 0; i < j.utts.size(); ++i)
                {
                    seq::Matrix m;
                    m.rows = feats[i].frames;
                    m.cols = feats[i].dims;
                    m.data = std::move(feats[i].data);
                    const std::string rel = "npy/" + j.list + "/" + j.names[i] + ".npy";
                    seq::write_npy((fs::path(tmp) / rel).string(), m);
                    list << rel << "\t";
                    for (std::size_t k = 0; k < j.utts[i].digits.size(); ++k)
                        list << (k ? " " : "") << j.utts[i].digits[k];
                    list << "\n";
                }
                list.flush();
                if (!list)
                    throw DataError(tmp + ": writing " + j.list + ".list failed (disk full?)");
                before += j.utts.size();
            }
            std::ofstream f(fs::path(tmp) / "frontend.json");
            f << frontend_json(fc) << "\n";
            f.flush();
            if (!f)
                throw DataError(tmp + ": writing frontend.json failed (disk full?)");
        }
        catch (...)
        {
            fs::remove_all(tmp, ec);
            throw;
        }
        fs::rename(tmp, out_dir);
        return total;
    }
}
