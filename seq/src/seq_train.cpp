// seq/src/seq_train.cpp -- see seq_train.hpp.
#include "xrnn/seq/seq_train.hpp"

#include "xrnn/run_folder.hpp"
#include "xrnn/seq/seq_memory.hpp"
#include "xrnn/input_file.hpp"
#include "xrnn/blas.hpp"
#include "xrnn/check.hpp"
#include "xrnn/ctc.hpp"
#include "xrnn/monitor_json.hpp"
#include "xrnn/random.hpp"
#include "xrnn/seq/npz.hpp"
#include "xrnn/softmax_xent.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <fstream>
#include <iomanip>
#include <numeric>
#include <ostream>
#include <sstream>

namespace xrnn::seq
{
    namespace fs = std::filesystem;
    using json = nlohmann::json;

    namespace
    {
        constexpr const char* kReplaceLine = "\r\033[K";

        bool is_npz(const std::string& path)
        {
            return path.size() >= 4 && path.compare(path.size() - 4, 4, ".npz") == 0;
        }

        std::string fmt(double v, int prec)
        {
            std::ostringstream os;
            os << std::fixed << std::setprecision(prec) << v;
            return os.str();
        }

        std::string duration(double s)
        {
            const long t = static_cast<long>(std::max(0.0, s) + 0.5);
            char b[32];
            std::snprintf(b, sizeof(b), "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
            return b;
        }

        // A fingerprint of a data set's content, so a resume on other data is refused.
        std::uint64_t data_hash(const Dataset& d)
        {
            std::uint64_t h = fnv1a(task_name(d.task), std::char_traits<char>::length(task_name(d.task)));
            for (const auto& s : d.items)
            {
                h ^= fnv1a(s.x.data(), s.x.size() * sizeof(float)) + 0x9E3779B97F4A7C15ull + (h << 6) + (h >> 2);
                h ^= fnv1a(s.tags.data(), s.tags.size() * sizeof(std::int32_t)) + std::uint64_t(s.label) + (h << 6);
                h ^= fnv1a(s.target.data(), s.target.size() * sizeof(float)) + (h >> 2);
                if (!s.tokens.empty()) // only ctc has tokens: the other tasks' hashes stay as they were
                    h ^= fnv1a(s.tokens.data(), s.tokens.size() * sizeof(std::int32_t)) + (h << 6);
            }
            return h;
        }

        template <class V>
        std::size_t argmax(const V* v, std::size_t n)
        {
            return static_cast<std::size_t>(std::max_element(v, v + n) - v);
        }

        // Batches of `batch` indices in length order: little padding, and the same every time.
        std::vector<std::vector<std::size_t>> sorted_batches(const Dataset& d, std::size_t batch)
        {
            std::vector<std::size_t> idx(d.size());
            std::iota(idx.begin(), idx.end(), std::size_t(0));
            std::stable_sort(idx.begin(), idx.end(),
                             [&](std::size_t a, std::size_t b) { return d.items[a].steps > d.items[b].steps; });
            std::vector<std::vector<std::size_t>> out;
            for (std::size_t i = 0; i < idx.size(); i += batch)
                out.emplace_back(idx.begin() + static_cast<std::ptrdiff_t>(i),
                                 idx.begin() + static_cast<std::ptrdiff_t>(std::min(idx.size(), i + batch)));
            return out;
        }

        // Pads a batch; lengths stay empty when every sequence has the batch's length (the dense path).
        void make_batch(const Dataset& d, const std::vector<std::size_t>& idx, Tensor3<float>& x,
                        std::vector<std::size_t>& lengths)
        {
            pad_batch(d, idx, x, lengths);
            if (std::all_of(lengths.begin(), lengths.end(), [&](std::size_t l) { return l == x.shape()[0]; }))
                lengths.clear();
        }

        // ctc: every sequence must have frames for its labels plus a blank between repeats;
        // checked on the data so that the error names the sequence's source (ctc_loss could only
        // name its place in a batch).
        void check_ctc_alignable(const Dataset& d)
        {
            for (const auto& s : d.items)
            {
                std::size_t repeats = 0;
                for (std::size_t j = 1; j < s.tokens.size(); ++j)
                    repeats += s.tokens[j] == s.tokens[j - 1];
                const std::size_t need = s.tokens.size() + repeats;
                if (need > s.steps)
                    throw DataError(s.source + ": " + std::to_string(s.tokens.size()) + " label tokens with "
                                    + std::to_string(repeats) + " adjacent repeat(s) need at least "
                                    + std::to_string(need) + " frames for CTC (a blank between repeats), but the "
                                    + "sequence has " + std::to_string(s.steps)
                                    + "; drop it, or train with --ctc-zero-infinity to give it loss 0");
            }
        }

        // ctc: the decoded labels of a batch's logits (T, B, C), as token ids (class - 1)
        std::vector<std::vector<std::int32_t>> ctc_decode(const std::vector<float>& logits,
                                                          const std::vector<std::size_t>& lengths, std::size_t S,
                                                          std::size_t B, std::size_t C, std::size_t beam)
        {
            std::vector<std::int32_t> frames(lengths.begin(), lengths.end());
            const std::int32_t* len = lengths.empty() ? nullptr : frames.data();
            auto out = beam > 0 ? ctc_beam_search(logits.data(), len, S, B, C, beam, 0)
                                : ctc_greedy_decode(logits.data(), len, S, B, C, 0);
            for (auto& seq : out)
                for (auto& k : seq)
                    --k;
            return out;
        }
    }

    // ---- configuration

    SeqModelConfig model_config(const SeqTrainConfig& c, const Dataset& train)
    {
        SeqModelConfig m;
        m.task = c.task;
        m.features = train.features;
        m.outputs = train.outputs;
        m.input = input_layer_from_name(c.input);
        m.input_size = c.input_size;
        m.vocab = c.vocab;
        m.pool = pool_from_name(c.pool);
        m.rnn.cell = cell_from_name(c.cell);
        m.rnn.hidden_size = c.hidden_size;
        m.rnn.num_layers = c.num_layers;
        m.rnn.bidirectional = c.bidirectional;
        m.rnn.activation = activation_from_name(c.activation);
        m.rnn.recurrent_activation = activation_from_name(c.recurrent_activation);
        m.rnn.dropout = c.dropout;
        m.zero_infinity = c.ctc_zero_infinity;
        return m;
    }

    namespace
    {
        struct Field
        {
            ValueRange range;
            const char* pointer; // in config_json's object
            double (*get)(const SeqTrainConfig&);
            // config_from_json checks it too: not the fields the CLI once took unchecked (a run
            // started with --seed -1 has seed 2^64 - 1 and still resumes), none of which sizes
            // an allocation
            bool on_load = true;
            bool optional = false; // written only when set, or absent from older checkpoints
        };
        const Field kFields[] = {
            {{"val_fraction", 0, 0.9, false, true}, "/val_fraction", [](const SeqTrainConfig& c) { return c.val_fraction; }, false},
            {limits::hidden_size, "/hidden_size", [](const SeqTrainConfig& c) { return double(c.hidden_size); }},
            {limits::num_layers, "/num_layers", [](const SeqTrainConfig& c) { return double(c.num_layers); }},
            {{"input_size", 0, 65536, true}, "/input_size", [](const SeqTrainConfig& c) { return double(c.input_size); }},
            {{"vocab", 0, 16777216, true}, "/vocab", [](const SeqTrainConfig& c) { return double(c.vocab); }},
            {limits::dropout, "/dropout", [](const SeqTrainConfig& c) { return c.dropout; }},
            {optimizer_range::lr, "/lr", [](const SeqTrainConfig& c) { return c.optimizer.lr; }},
            {optimizer_range::weight_decay, "/weight_decay", [](const SeqTrainConfig& c) { return c.optimizer.weight_decay; }, true, true},
            {optimizer_range::lr_decay, "/lr_schedule/decay", [](const SeqTrainConfig& c) { return c.optimizer.lr_decay; }, true, true},
            {optimizer_range::lr_decay_every, "/lr_schedule/every", [](const SeqTrainConfig& c) { return double(c.optimizer.lr_decay_every); }, true, true},
            {optimizer_range::lr_decay_start, "/lr_schedule/start", [](const SeqTrainConfig& c) { return double(c.optimizer.lr_decay_start); }, true, true},
            {optimizer_range::lr_decay_steps, "/lr_schedule/steps", [](const SeqTrainConfig& c) { return double(c.optimizer.lr_decay_steps); }, true, true},
            {optimizer_range::lr_min, "/lr_schedule/min", [](const SeqTrainConfig& c) { return c.optimizer.lr_min; }, true, true},
            {limits::clip_norm, "/clip_norm", [](const SeqTrainConfig& c) { return c.clip_norm; }},
            {{"epochs", 0, 1e9, true}, "/epochs", [](const SeqTrainConfig& c) { return double(c.epochs); }},
            {limits::time_budget, "/time_budget", [](const SeqTrainConfig& c) { return c.time_budget; }, false},
            {limits::batch_size, "/batch_size", [](const SeqTrainConfig& c) { return double(c.batch_size); }},
            {limits::seed, "/seed", [](const SeqTrainConfig& c) { return double(c.seed); }, false},
            {limits::threads, "/threads", [](const SeqTrainConfig& c) { return double(c.threads); }},
            {limits::monitor_every, "/monitor_every", [](const SeqTrainConfig& c) { return double(c.monitor_every); }, false},
            {{"feature_noise", 0, 10}, "/augment/feature_noise", [](const SeqTrainConfig& c) { return c.feature_noise; }, true, true},
            {{"time_masks", 0, 100, true}, "/augment/time_masks", [](const SeqTrainConfig& c) { return double(c.time_masks); }, true, true},
            {{"time_mask_width", 0, 10000, true}, "/augment/time_mask_width", [](const SeqTrainConfig& c) { return double(c.time_mask_width); }, true, true},
            {limits::max_memory, nullptr, [](const SeqTrainConfig& c) { return double(c.max_memory); }, false}, // not kept
        };
    }

    const ValueRange& train_config_range(std::string_view field)
    {
        for (const Field& f : kFields)
            if (field == f.range.name)
                return f.range;
        throw std::logic_error("xrnn: SeqTrainConfig has no range for '" + std::string(field) + "'");
    }

    void check_train_config(const SeqTrainConfig& c)
    {
        for (const Field& f : kFields)
            check_range(f.range, f.get(c));
    }

    std::string config_json(const SeqTrainConfig& c)
    {
        json j{{"train", c.train}, {"val", c.val}, {"val_fraction", c.val_fraction}, {"task", task_name(c.task)},
               {"cell", c.cell}, {"hidden_size", c.hidden_size}, {"num_layers", c.num_layers},
               {"bidirectional", c.bidirectional}, {"activation", c.activation},
               {"recurrent_activation", c.recurrent_activation}, {"pool", c.pool}, {"input", c.input},
               {"input_size", c.input_size}, {"vocab", c.vocab}, {"dropout", c.dropout},
               {"ctc_zero_infinity", c.ctc_zero_infinity}, {"standardize", c.standardize}, {"optimizer", optimizer_name(c.optimizer.kind)},
               {"lr", c.optimizer.lr}, {"clip_norm", c.clip_norm}, {"epochs", c.epochs},
               {"time_budget", c.time_budget}, {"batch_size", c.batch_size}, {"seed", c.seed},
               {"threads", c.threads}, {"monitor_every", c.monitor_every}, {"out", c.out}};
        // options added later are written only when set, so older configs read back unchanged
        if (c.optimizer.weight_decay != 0)
            j["weight_decay"] = c.optimizer.weight_decay;
        if (c.optimizer.schedule != LrSchedule::step || c.optimizer.lr_decay != 1.0)
            j["lr_schedule"] = {{"kind", lr_schedule_name(c.optimizer.schedule)}, {"decay", c.optimizer.lr_decay},
                                {"every", c.optimizer.lr_decay_every}, {"start", c.optimizer.lr_decay_start},
                                {"steps", c.optimizer.lr_decay_steps}, {"min", c.optimizer.lr_min}};
        if (c.feature_noise > 0 || c.time_masks > 0)
            j["augment"] = {{"feature_noise", c.feature_noise}, {"time_masks", c.time_masks},
                            {"time_mask_width", c.time_mask_width}};
        if (!c.frontend.empty())
            j["frontend"] = json::parse(c.frontend);
        return j.dump();
    }

    SeqTrainConfig config_from_json(const std::string& text)
    {
        const json j = json::parse(text);
        for (const Field& f : kFields) // as written: "hidden_size -1", not the 2^64 - 1 get_to makes of it
            if (f.on_load && f.pointer)
                check_json_range(j, f.pointer, f.range, f.optional);
            else if (f.pointer && f.range.whole) // every whole field here is unsigned
                check_json_fits<std::uint64_t>(j, f.pointer, f.range.name);
        SeqTrainConfig c;
        j.at("train").get_to(c.train);
        j.at("val").get_to(c.val);
        j.at("val_fraction").get_to(c.val_fraction);
        c.task = task_from_name(j.at("task").get<std::string>());
        j.at("cell").get_to(c.cell);
        j.at("hidden_size").get_to(c.hidden_size);
        j.at("num_layers").get_to(c.num_layers);
        j.at("bidirectional").get_to(c.bidirectional);
        j.at("activation").get_to(c.activation);
        j.at("recurrent_activation").get_to(c.recurrent_activation);
        j.at("pool").get_to(c.pool);
        j.at("input").get_to(c.input);
        j.at("input_size").get_to(c.input_size);
        j.at("vocab").get_to(c.vocab);
        j.at("dropout").get_to(c.dropout);
        c.ctc_zero_infinity = j.value("ctc_zero_infinity", false); // absent before the ctc task
        j.at("standardize").get_to(c.standardize);
        c.optimizer.kind = optimizer_from_name(j.at("optimizer").get<std::string>());
        j.at("lr").get_to(c.optimizer.lr);
        c.optimizer.weight_decay = j.value("weight_decay", 0.0);
        if (j.contains("lr_schedule"))
        {
            const json& l = j.at("lr_schedule");
            c.optimizer.schedule = lr_schedule_from_name(l.at("kind").get<std::string>());
            l.at("decay").get_to(c.optimizer.lr_decay);
            l.at("every").get_to(c.optimizer.lr_decay_every);
            l.at("start").get_to(c.optimizer.lr_decay_start);
            l.at("steps").get_to(c.optimizer.lr_decay_steps);
            l.at("min").get_to(c.optimizer.lr_min);
        }
        if (j.contains("augment"))
        {
            const json& a = j.at("augment");
            a.at("feature_noise").get_to(c.feature_noise);
            a.at("time_masks").get_to(c.time_masks);
            a.at("time_mask_width").get_to(c.time_mask_width);
        }
        j.at("clip_norm").get_to(c.clip_norm);
        j.at("epochs").get_to(c.epochs);
        j.at("time_budget").get_to(c.time_budget);
        j.at("batch_size").get_to(c.batch_size);
        j.at("seed").get_to(c.seed);
        j.at("threads").get_to(c.threads);
        j.at("monitor_every").get_to(c.monitor_every);
        j.at("out").get_to(c.out);
        if (j.contains("frontend"))
            c.frontend = j.at("frontend").dump();
        return c;
    }

    std::string model_config_json(const SeqModelConfig& c)
    {
        const RecurrentConfig& r = c.rnn;
        json j{{"task", task_name(c.task)}, {"features", c.features}, {"outputs", c.outputs},
               {"input", input_layer_name(c.input)}, {"input_size", c.input_size}, {"vocab", c.vocab},
               {"pool", pool_name(c.pool)}, {"zero_infinity", c.zero_infinity},
               {"rnn", {{"cell", cell_name(r.cell)}, {"input_size", r.input_size}, {"hidden_size", r.hidden_size},
                        {"num_layers", r.num_layers}, {"bidirectional", r.bidirectional},
                        {"activation", activation_name(r.activation)},
                        {"recurrent_activation", activation_name(r.recurrent_activation)},
                        {"dropout", r.dropout}, {"weight_drop", r.weight_drop}}}};
        return j.dump();
    }

    SeqModelConfig model_config_from_json(const std::string& text)
    {
        const json j = json::parse(text);
        // checked as written before get_to: it casts a float to the integer type unchecked (1e30
        // is undefined behaviour, -1 wraps to 2^64 - 1)
        static const std::pair<const char*, ValueRange> kSizes[] = {
            {"/features", {"features", 1, 16777216, true}},
            {"/outputs", {"outputs", 1, 16777216, true}},
            {"/input_size", {"input_size", 0, 65536, true}},
            {"/vocab", {"vocab", 0, 16777216, true}},
            {"/rnn/input_size", {"rnn input_size", 0, 16777216, true}},
            {"/rnn/hidden_size", limits::hidden_size},
            {"/rnn/num_layers", limits::num_layers},
            {"/rnn/dropout", limits::dropout},
            {"/rnn/weight_drop", {"weight_drop", 0, 0.99}},
        };
        for (const auto& [pointer, range] : kSizes)
            check_json_range(j, pointer, range, false);
        SeqModelConfig c;
        c.task = task_from_name(j.at("task").get<std::string>());
        j.at("features").get_to(c.features);
        j.at("outputs").get_to(c.outputs);
        c.input = input_layer_from_name(j.at("input").get<std::string>());
        j.at("input_size").get_to(c.input_size);
        j.at("vocab").get_to(c.vocab);
        c.pool = pool_from_name(j.at("pool").get<std::string>());
        c.zero_infinity = j.value("zero_infinity", false); // absent before the ctc task
        const json& r = j.at("rnn");
        c.rnn.cell = cell_from_name(r.at("cell").get<std::string>());
        r.at("input_size").get_to(c.rnn.input_size);
        r.at("hidden_size").get_to(c.rnn.hidden_size);
        r.at("num_layers").get_to(c.rnn.num_layers);
        r.at("bidirectional").get_to(c.rnn.bidirectional);
        c.rnn.activation = activation_from_name(r.at("activation").get<std::string>());
        c.rnn.recurrent_activation = activation_from_name(r.at("recurrent_activation").get<std::string>());
        r.at("dropout").get_to(c.rnn.dropout);
        r.at("weight_drop").get_to(c.rnn.weight_drop);
        return c;
    }

    // ---- data

    Dataset load_data(const std::string& path, Task task, const ClassTable* classes)
    {
        if (!is_npz(path))
            return load_list(path, task, classes);
        Dataset d = load_npz(path, task);
        if (task == Task::classify && classes) // map the .npz's class names onto training's ids
        {
            for (auto& s : d.items)
            {
                const std::string name = d.classes.name(static_cast<std::size_t>(s.label));
                const int id = classes->id(name);
                if (id < 0)
                    throw DataError(s.source + ": class '" + name + "' was not seen in training");
                s.label = id;
            }
            d.classes = *classes;
            d.outputs = classes->size();
        }
        return d;
    }

    Dataset load_unlabeled(const std::string& path)
    {
        Dataset d;
        auto add = [&](Matrix&& m, const std::string& where) {
            if (!d.items.empty() && m.cols != d.features)
                throw DataError(where + ": " + std::to_string(m.cols) + " features per step, but "
                                + d.items[0].source + " has " + std::to_string(d.features));
            d.features = m.cols;
            Sequence s;
            s.steps = m.rows;
            s.x = std::move(m.data);
            s.source = where;
            d.items.push_back(std::move(s));
        };
        if (is_npz(path))
        {
            const auto members = read_npz(path);
            for (std::size_t k = 0;; ++k)
            {
                const std::string xk = "x_" + std::to_string(k);
                auto it = members.find(xk);
                if (it == members.end())
                    break;
                add(features_from_npy(parse_npy(it->second, path + ":" + xk), path + ":" + xk), path + ":" + xk);
            }
        }
        else
        {
            if (const std::string problem = input_file_problem(path); !problem.empty())
                throw DataError(path + ": the list file " + problem);
            std::ifstream in(path);
            if (!in)
                throw DataError(path + ": cannot open list file (missing or unreadable)");
            const auto dir = fs::path(path).parent_path();
            std::string line;
            for (std::size_t no = 1; std::getline(in, line); ++no)
            {
                const std::string where = path + ":" + std::to_string(no);
                std::string file = line.substr(0, line.find('\t'));
                while (!file.empty() && (file.back() == '\r' || file.back() == ' '))
                    file.pop_back();
                if (file.empty() || file[0] == '#')
                    continue;
                const fs::path p(file);
                try
                {
                    add(read_npy_features((p.is_absolute() ? p : dir / p).string()), file);
                }
                catch (const DataError& e)
                {
                    throw DataError(where + ": " + e.what());
                }
            }
        }
        if (d.items.empty())
            throw DataError(path + ": no sequences");
        return d;
    }

    BatchTargets batch_targets(const Dataset& d, const std::vector<std::size_t>& idx, std::size_t steps)
    {
        BatchTargets t;
        const std::size_t B = idx.size();
        if (d.task == Task::classify)
            for (std::size_t i : idx)
                t.labels.push_back(d.items[i].label);
        else if (d.task == Task::regress)
            for (std::size_t i : idx)
                t.values.insert(t.values.end(), d.items[i].target.begin(), d.items[i].target.end());
        else if (d.task == Task::ctc) // token id i is class i + 1: class 0 is the blank
            for (std::size_t i : idx)
            {
                for (auto k : d.items[i].tokens)
                    t.labels.push_back(k + 1);
                t.label_lengths.push_back(static_cast<std::int32_t>(d.items[i].tokens.size()));
            }
        else
        {
            t.labels.assign(steps * B, kIgnoreTarget);
            for (std::size_t b = 0; b < B; ++b)
                for (std::size_t s = 0; s < d.items[idx[b]].steps; ++s)
                    t.labels[s * B + b] = d.items[idx[b]].tags[s];
        }
        return t;
    }

    // ---- the model file

    void put_model(Checkpoint& c, const SeqModel<float>& m, const Standardizer& st, const ClassTable& classes)
    {
        put_params(c, "model.", m.own_params());
        put_params(c, "rnn.", m.rnn().params());
        if (!st.mean.empty())
        {
            c.tensors.emplace_back("standardizer.mean", st.mean);
            c.tensors.emplace_back("standardizer.std", st.std);
        }
        json meta = c.meta_json.empty() ? json::object() : json::parse(c.meta_json);
        meta["format"] = "xrnn-seq";
        meta["model"] = json::parse(model_config_json(m.config()));
        meta["classes"] = classes.names();
        c.meta_json = meta.dump();
    }

    namespace
    {
        // The metadata's "format", "?" when absent or not a string (json::value() throws on a
        // document that is not an object and on a format of another type)
        std::string format_of(const json& meta)
        {
            if (meta.is_object() && meta.contains("format") && meta.at("format").is_string())
                return meta.at("format").get<std::string>();
            return "?";
        }
    }

    SavedModel load_model(const std::string& path)
    {
        const Checkpoint c = load_checkpoint(path);
        json meta;
        try
        {
            meta = json::parse(c.meta_json);
        }
        catch (const json::exception&)
        {
            throw CheckpointError(path + ": its metadata is not JSON: not an xrnn-seq model");
        }
        if (format_of(meta) != "xrnn-seq")
            throw CheckpointError(path + ": not an xrnn-seq model (format '" + format_of(meta)
                                  + "'); xrnn-charlm checkpoints are read by xrnn-charlm");
        SavedModel s;
        try // the metadata's problems as one message naming the file
        {
            const SeqModelConfig cfg = model_config_from_json(meta.at("model").dump());
            check_seq_memory(cfg, 0, 0, OptimizerKind::adam, 0); // a forged size fails here, not in new
            s.model = std::make_unique<SeqModel<float>>(cfg, InitConfig{0});
            s.classes = ClassTable(meta.at("classes").get<std::vector<std::string>>());
            const std::size_t C = cfg.outputs, K = s.classes.size();
            if ((cfg.task == Task::classify && K != C) || (cfg.task == Task::ctc && K + 1 != C))
                throw CheckpointError(path + ": its model has " + std::to_string(C) + " outputs but its metadata lists "
                                      + std::to_string(K) + " classes (classify: one output per class; ctc: one per "
                                      "token and the blank)");
        }
        catch (const json::exception& e)
        {
            throw CheckpointError(path + ": unreadable xrnn-seq model metadata: " + e.what());
        }
        catch (const std::invalid_argument& e) // a value out of its range, an inconsistent config, too large
        {
            const std::string what = e.what();
            throw CheckpointError(path + ": " + (what.rfind("xrnn: ", 0) == 0 ? what.substr(6) : what));
        }
        get_params(c, "model.", s.model->own_params());
        get_params(c, "rnn.", s.model->rnn().params());
        if (c.has("standardizer.mean"))
        {
            s.standardizer.mean = c.tensor<float>("standardizer.mean");
            s.standardizer.std = c.tensor<float>("standardizer.std");
        }
        s.meta_json = c.meta_json;
        return s;
    }

    // ---- evaluation and prediction

    EvalResult evaluate(SeqModel<float>& model, const Dataset& d, std::size_t batch_size, std::size_t beam,
                        Communicator* comm)
    {
        const std::size_t ranks = comm ? static_cast<std::size_t>(comm->size()) : 1;
        const std::size_t rank = comm ? static_cast<std::size_t>(comm->rank()) : 0;
        const SeqModelConfig& mc = model.config();
        XRNN_CHECK(d.features == mc.features, "the data has " + std::to_string(d.features)
                                                  + " features per step; the model reads " + std::to_string(mc.features));
        XRNN_CHECK(d.task == mc.task, std::string("the data is for ") + task_name(d.task) + "; the model does "
                                          + task_name(mc.task));
        const std::size_t C = mc.outputs;
        if (mc.task == Task::ctc && !mc.zero_infinity)
            check_ctc_alignable(d);
        EvalResult r;
        std::size_t token_errors = 0;
        if (mc.task == Task::classify)
            r.confusion.assign(C, std::vector<std::size_t>(C, 0));
        double total = 0;
        std::size_t correct = 0;
        model.set_training(false);
        Tensor3<float> x;
        std::vector<std::size_t> lengths;
        std::size_t batch_no = 0;
        for (const auto& idx : sorted_batches(d, batch_size))
        {
            if (batch_no++ % ranks != rank) // with ranks: every ranks-th batch is this one's
                continue;
            make_batch(d, idx, x, lengths);
            const std::size_t S = x.shape()[0], B = idx.size();
            const BatchTargets t = batch_targets(d, idx, S);
            const double loss = model.forward(x, lengths, &t);
            const float* out = model.outputs().data();
            if (mc.task == Task::tag)
            {
                std::size_t valid = 0;
                for (std::size_t b = 0; b < B; ++b)
                    for (std::size_t s = 0; s < d.items[idx[b]].steps; ++s, ++valid)
                        correct += argmax(out + (s * B + b) * C, C) == std::size_t(t.labels[s * B + b]);
                total += loss * double(valid);
                r.count += valid;
            }
            else if (mc.task == Task::ctc)
            {
                total += loss * double(B);
                r.count += B;
                const auto decoded = ctc_decode(model.outputs(), lengths, S, B, C, beam);
                for (std::size_t b = 0; b < B; ++b)
                {
                    const auto& ref = d.items[idx[b]].tokens;
                    token_errors += edit_distance(decoded[b], ref);
                    r.tokens += ref.size();
                    correct += decoded[b] == ref;
                }
            }
            else
            {
                total += loss * double(B);
                r.count += B;
                if (mc.task == Task::classify)
                    for (std::size_t b = 0; b < B; ++b)
                    {
                        const std::size_t p = argmax(out + b * C, C);
                        correct += p == std::size_t(t.labels[b]);
                        ++r.confusion[std::size_t(t.labels[b])][p];
                    }
            }
        }
        model.set_training(true);
        if (ranks > 1) // the sums of every rank's share, to every rank
        {
            std::vector<double> v{total, double(r.count), double(correct), double(token_errors), double(r.tokens)};
            for (const auto& row : r.confusion)
                v.insert(v.end(), row.begin(), row.end());
            comm->allreduce_sum(v.data(), v.size());
            total = v[0];
            r.count = static_cast<std::size_t>(v[1]);
            correct = static_cast<std::size_t>(v[2]);
            token_errors = static_cast<std::size_t>(v[3]);
            r.tokens = static_cast<std::size_t>(v[4]);
            std::size_t k = 5;
            for (auto& row : r.confusion)
                for (auto& cell : row)
                    cell = static_cast<std::size_t>(v[k++]);
        }
        r.loss = total / double(std::max<std::size_t>(r.count, 1));
        if (mc.task != Task::regress)
            r.accuracy = double(correct) / double(std::max<std::size_t>(r.count, 1));
        if (mc.task == Task::ctc)
            r.error_rate = double(token_errors) / double(std::max<std::size_t>(r.tokens, 1));
        return r;
    }

    void predict_csv(SeqModel<float>& model, const Dataset& d, const ClassTable& classes, std::size_t batch_size,
                     std::ostream& out, std::size_t beam)
    {
        const SeqModelConfig& mc = model.config();
        XRNN_CHECK(d.features == mc.features, "the data has " + std::to_string(d.features)
                                                  + " features per step; the model reads " + std::to_string(mc.features));
        const std::size_t C = mc.outputs;
        auto class_name = [&](std::size_t id) { return classes.size() ? classes.name(id) : std::to_string(id); };
        auto quoted = [](const std::string& s) {
            return s.find_first_of(",\"\n") == std::string::npos ? s : "\"" + s + "\"";
        };
        out << "source";
        if (mc.task == Task::classify)
        {
            out << ",prediction";
            for (std::size_t k = 0; k < C; ++k)
                out << ",p_" << quoted(class_name(k));
        }
        else if (mc.task == Task::regress)
            for (std::size_t k = 0; k < C; ++k)
                out << ",y" << k;
        else if (mc.task == Task::ctc)
        {
            XRNN_CHECK(classes.size() + 1 == C, "a ctc model with " + std::to_string(C - 1) + " tokens but a vocabulary of "
                                                    + std::to_string(classes.size()));
            out << ",tokens";
        }
        else
            out << ",tags";
        out << "\n";
        std::vector<std::string> rows(d.size());
        model.set_training(false);
        Tensor3<float> x;
        std::vector<std::size_t> lengths;
        for (const auto& idx : sorted_batches(d, batch_size))
        {
            make_batch(d, idx, x, lengths);
            model.forward(x, lengths, nullptr);
            const float* o = model.outputs().data();
            const std::size_t B = idx.size();
            std::vector<std::vector<std::int32_t>> decoded;
            if (mc.task == Task::ctc)
                decoded = ctc_decode(model.outputs(), lengths, x.shape()[0], B, C, beam);
            for (std::size_t b = 0; b < B; ++b)
            {
                std::ostringstream row;
                row << quoted(d.items[idx[b]].source);
                if (mc.task == Task::classify)
                {
                    const float* z = o + b * C;
                    const float mx = *std::max_element(z, z + C);
                    double sum = 0;
                    for (std::size_t k = 0; k < C; ++k)
                        sum += std::exp(double(z[k] - mx));
                    row << "," << quoted(class_name(argmax(z, C)));
                    for (std::size_t k = 0; k < C; ++k)
                        row << "," << std::setprecision(6) << std::exp(double(z[k] - mx)) / sum;
                }
                else if (mc.task == Task::regress)
                    for (std::size_t k = 0; k < C; ++k)
                        row << "," << std::setprecision(7) << o[b * C + k];
                else if (mc.task == Task::ctc)
                {
                    std::string text;
                    for (std::size_t j = 0; j < decoded[b].size(); ++j)
                        text += (j ? " " : "") + classes.name(static_cast<std::size_t>(decoded[b][j]));
                    row << "," << quoted(text);
                }
                else
                {
                    row << ",";
                    for (std::size_t s = 0; s < d.items[idx[b]].steps; ++s)
                        row << (s ? " " : "") << argmax(o + (s * B + b) * C, C);
                }
                rows[idx[b]] = row.str();
            }
        }
        model.set_training(true);
        for (const auto& r : rows) // in the data set's order
            out << r << "\n";
    }

    std::string eval_report(const EvalResult& r, const ClassTable& classes, Task task)
    {
        std::ostringstream os;
        os << (task == Task::tag ? "steps " : "sequences ") << r.count << "\n";
        os << (task == Task::regress ? "mse " : "loss ") << fmt(r.loss, 6)
           << (task == Task::regress ? "\n" : task == Task::ctc ? " nats per label token\n" : " nats\n");
        if (task == Task::ctc)
        {
            os << "tokens " << r.tokens << "\n";
            os << "token error rate " << fmt(100 * r.error_rate, 2) << "%\n";
            os << "sequence accuracy " << fmt(100 * r.accuracy, 2) << "%\n";
        }
        else if (r.accuracy >= 0)
            os << "accuracy " << fmt(100 * r.accuracy, 2) << "%\n";
        if (!r.confusion.empty())
        {
            std::size_t w = 9;
            for (const auto& n : classes.names())
                w = std::max(w, n.size() + 1);
            os << "confusion matrix (rows: true class, columns: predicted)\n" << std::setw(int(w)) << "";
            for (const auto& n : classes.names())
                os << std::setw(int(w)) << n;
            os << std::setw(10) << "recall" << "\n";
            for (std::size_t i = 0; i < r.confusion.size(); ++i)
            {
                os << std::setw(int(w)) << classes.name(i);
                std::size_t row = 0;
                for (std::size_t j = 0; j < r.confusion.size(); ++j)
                {
                    os << std::setw(int(w)) << r.confusion[i][j];
                    row += r.confusion[i][j];
                }
                os << std::setw(9) << (row ? fmt(100.0 * double(r.confusion[i][i]) / double(row), 1) : "-") << "%\n";
            }
        }
        return os.str();
    }

    // ---- the trainer

    void SeqTrainer::setup_data()
    {
        const SeqTrainConfig& c = config_;
        train_ = load_data(c.train, c.task);
        data_hash_ = data_hash(train_); // of the data as read, before any split or standardisation
        if (!c.val.empty())
            val_ = load_data(c.val, c.task, c.task == Task::classify || c.task == Task::ctc ? &train_.classes : nullptr);
        else
        {
            XRNN_CHECK(c.val_fraction > 0 && c.val_fraction < 1,
                       "without a validation set, val_fraction must be in (0, 1), got " + std::to_string(c.val_fraction));
            XRNN_CHECK(train_.size() >= 2, c.train + ": " + std::to_string(train_.size())
                                               + " sequence; holding out a validation fraction needs at least 2");
            val_ = split_validation(train_, c.val_fraction, c.seed);
        }
        XRNN_CHECK(val_.features == train_.features,
                   "the validation data has " + std::to_string(val_.features) + " features per step; training has "
                       + std::to_string(train_.features));
        if (c.task == Task::regress)
            XRNN_CHECK(val_.outputs == train_.outputs, "the validation data has " + std::to_string(val_.outputs)
                                                           + " targets per sequence; training has "
                                                           + std::to_string(train_.outputs));
        if (c.task == Task::tag)
        {
            XRNN_CHECK(train_.outputs >= 2, c.train + ": every tag is 0; tagging needs at least 2 tag values");
            for (const auto& s : val_.items)
                for (auto t : s.tags)
                    XRNN_CHECK(std::size_t(t) < train_.outputs,
                               s.source + ": tag " + std::to_string(t) + " was not seen in training (tags 0.."
                                   + std::to_string(train_.outputs - 1) + ")");
            val_.outputs = train_.outputs;
        }
        if (c.task == Task::ctc && !c.ctc_zero_infinity)
        {
            check_ctc_alignable(train_);
            check_ctc_alignable(val_);
        }
    }

    SeqTrainer::SeqTrainer(const SeqTrainConfig& config, Communicator* comm) : config_(config)
    {
        check_train_config(config); // every number finite and in its range (value_range.hpp)
        XRNN_CHECK(config.epochs > 0 || config.time_budget > 0, "give epochs > 0 or a time budget");
        XRNN_CHECK(config.time_masks == 0 || config.time_mask_width > 0, "time masks need time_mask_width > 0");
        blas::set_threads(config.threads);
        setup_data();
        if (config.optimizer.schedule != LrSchedule::step && config.optimizer.lr_decay_steps == 0)
        {
            // cosine / linear without a length: decay over the whole run, which needs it in steps
            XRNN_CHECK(config.epochs > 0, "the " + lr_schedule_name(config.optimizer.schedule)
                                              + " schedule needs epochs (to decay over the whole run) or lr_decay_steps");
            const std::uint64_t total = config.epochs * Batcher(train_, config.batch_size, config.seed).batches_per_epoch();
            config_.optimizer.lr_decay_steps = total > config.optimizer.lr_decay_start ? total - config.optimizer.lr_decay_start : 1;
        }
        if (config.standardize && config.input != "embedding")
        {
            standardizer_ = Standardizer::fit(train_);
            standardizer_.apply(train_);
            standardizer_.apply(val_);
        }
        check_memory(); // before any of the model is allocated
        model_ = std::make_unique<SeqModel<float>>(model_config(config, train_), InitConfig{config.seed});
        model_->rnn().dropout_rng().reseed(config.seed ^ 0xD0D0D0D0ull);
        opt_ = std::make_unique<Optimizer<float>>(config_.optimizer);
        batcher_ = std::make_unique<Batcher>(train_, config.batch_size, config.seed);
        use(comm);
    }

    void SeqTrainer::use(Communicator* comm)
    {
        if (!comm || comm->size() == 1)
            return;
        comm_ = comm;
        fused_.resize(model_->num_parameters() + 2);
        check_same_run();
    }

    void SeqTrainer::check_same_run() const
    {
        // rank 0's configuration and data, as JSON, against this rank's; every rank learns whether
        // any differs, so none trains alone
        json mine = json::parse(config_json(config_));
        mine["data_hash"] = std::to_string(data_hash_);
        mine.erase("max_memory");
        check_same_as_root(*comm_, mine);
    }

    void SeqTrainer::check_memory() const
    {
        std::size_t longest = 0;
        for (const Dataset* d : {&train_, &val_})
            for (const auto& s : d->items)
                longest = std::max(longest, s.steps);
        check_seq_memory(model_config(config_, train_), config_.batch_size, longest, config_.optimizer.kind,
                         config_.max_memory);
    }

    void SeqTrainer::augment()
    {
        const SeqTrainConfig& c = config_;
        if (c.feature_noise <= 0 && c.time_masks == 0)
            return;
        Rng rng(c.seed ^ (0xA5A5A5A5A5A5A5A5ull + step_ * 0x9E3779B97F4A7C15ull)); // (seed, step): a resume repeats it
        const std::size_t T = x_.shape()[0], B = x_.shape()[1], F = x_.shape()[2];
        for (std::size_t b = 0; b < B; ++b)
        {
            const std::size_t len = lengths_.empty() ? T : lengths_[b];
            if (c.feature_noise > 0)
                for (std::size_t t = 0; t < len; ++t)
                {
                    float* v = x_.data() + (t * B + b) * F;
                    for (std::size_t f = 0; f < F; ++f)
                        v[f] += static_cast<float>(c.feature_noise * rng.normal());
                }
            const std::size_t widest = std::min(c.time_mask_width, len / 5);
            for (std::size_t m = 0; m < c.time_masks && widest > 0; ++m)
            {
                const std::size_t w = static_cast<std::size_t>(rng.uniform() * double(widest + 1));
                const std::size_t t0 = static_cast<std::size_t>(rng.uniform() * double(len - w + 1));
                for (std::size_t t = t0; t < t0 + w; ++t)
                    std::fill_n(x_.data() + (t * B + b) * F, F, 0.0f);
            }
        }
    }

    void SeqTrainer::save(const std::string& path) const
    {
        Checkpoint c;
        json meta{{"train_config", json::parse(config_json(config_))}, {"step", step_},
                  {"epoch", batcher_->epoch()}, {"batch", batcher_->batch_index()}, {"elapsed", elapsed_},
                  {"best_val", best_val_}, {"best_epoch", best_epoch_},
                  {"data_hash", std::to_string(data_hash_)}};
        c.meta_json = meta.dump();
        put_model(c, *model_, standardizer_, train_.classes);
        put_optimizer(c, *opt_);
        put_rng(c, "rng.dropout", const_cast<SeqModel<float>&>(*model_).rnn().dropout_rng());
        save_checkpoint(path, c);
    }

    std::unique_ptr<SeqTrainer> SeqTrainer::resume(const std::string& path, std::size_t epochs, double time_budget,
                                                   std::uint64_t max_memory, Communicator* comm)
    {
        const Checkpoint c = load_checkpoint(path);
        const json meta = json::parse(c.meta_json);
        if (format_of(meta) != "xrnn-seq" || !meta.contains("train_config"))
            throw CheckpointError(path + ": not an xrnn-seq training checkpoint");
        if (meta.value("model_only", false))
            throw CheckpointError(path + ": holds a model without training state (made by import): it can be "
                                         "evaluated and used to predict, not resumed; train a new run instead");
        try // the counters get<> reads below: it casts a float past the type unchecked
        {
            for (const char* p : {"/epoch", "/batch", "/step", "/best_epoch"})
                check_json_fits<std::uint64_t>(meta, p, p + 1);
        }
        catch (const std::invalid_argument& e)
        {
            throw CheckpointError(path + ": " + std::string(e.what()).substr(6)); // less "xrnn: "
        }
        std::unique_ptr<SeqTrainer> t(new SeqTrainer());
        t->config_ = config_from_json(meta.at("train_config").dump());
        if (epochs > 0)
            t->config_.epochs = epochs;
        if (time_budget > 0)
            t->config_.time_budget = time_budget;
        t->config_.max_memory = max_memory;
        blas::set_threads(t->config_.threads);
        t->setup_data();
        if (std::to_string(t->data_hash_) != meta.at("data_hash").get<std::string>())
            throw CheckpointError(path + ": the training data in '" + t->config_.train
                                  + "' changed since this checkpoint was saved; resume needs the same data");
        if (c.has("standardizer.mean"))
        {
            t->standardizer_.mean = c.tensor<float>("standardizer.mean");
            t->standardizer_.std = c.tensor<float>("standardizer.std");
            t->standardizer_.apply(t->train_);
            t->standardizer_.apply(t->val_);
        }
        t->check_memory();
        t->model_ = std::make_unique<SeqModel<float>>(model_config(t->config_, t->train_), InitConfig{t->config_.seed});
        get_params(c, "model.", t->model_->own_params());
        get_params(c, "rnn.", t->model_->rnn().params());
        t->opt_ = std::make_unique<Optimizer<float>>(t->config_.optimizer);
        get_optimizer(c, *t->opt_);
        get_rng(c, "rng.dropout", t->model_->rnn().dropout_rng());
        t->batcher_ = std::make_unique<Batcher>(t->train_, t->config_.batch_size, t->config_.seed);
        t->batcher_->set_position(meta.at("epoch").get<std::size_t>(), meta.at("batch").get<std::size_t>());
        t->step_ = meta.at("step").get<std::uint64_t>();
        t->elapsed_ = meta.at("elapsed").get<double>();
        t->best_val_ = meta.at("best_val").get<double>();
        t->best_epoch_ = meta.at("best_epoch").get<std::size_t>();
        t->use(comm);
        return t;
    }

    double SeqTrainer::train_step(double* grad_norm, MonitorReport* monitor)
    {
        std::vector<std::size_t> idx = batcher_->next();
        last_batch_ = idx.size();
        const std::size_t ranks = static_cast<std::size_t>(comm_->size());
        if (ranks > 1) // every rank drew the same batch: this one's share of its sequences
        {
            const std::size_t r = static_cast<std::size_t>(comm_->rank()), n = idx.size();
            idx = std::vector<std::size_t>(idx.begin() + static_cast<std::ptrdiff_t>(n * r / ranks),
                                           idx.begin() + static_cast<std::ptrdiff_t>(n * (r + 1) / ranks));
        }
        model_->set_training(true);
        model_->zero_grad();
        const bool monitored = monitor && config_.monitor_every > 0 && (step_ + 1) % config_.monitor_every == 0;
        model_->rnn().set_flow_trace(monitored);
        double loss = 0;
        if (!idx.empty()) // a batch smaller than the ranks leaves some without sequences
        {
            make_batch(train_, idx, x_, lengths_);
            augment();
            const BatchTargets t = batch_targets(train_, idx, x_.shape()[0]);
            loss = model_->forward(x_, lengths_, &t);
            model_->backward();
        }
        const auto spans = model_->spans();
        if (ranks > 1)
        {
            // each rank's loss and gradient are means over its share: weighted by the share's
            // count (sequences; tag: valid steps, its loss's denominator) they sum to the batch's
            double weight = 0;
            for (std::size_t i : idx)
                weight += config_.task == Task::tag ? double(train_.items[i].steps) : 1.0;
            float* f = fused_.data();
            for (const auto& sp : spans)
                for (std::size_t i = 0; i < sp.size; ++i)
                    *f++ = static_cast<float>(sp.grads[i] * weight);
            f[0] = static_cast<float>(loss * weight);
            f[1] = static_cast<float>(weight);
            comm_->allreduce_sum(fused_.data(), fused_.size());
            const float total = f[1];
            f = fused_.data();
            for (const auto& sp : spans)
                for (std::size_t i = 0; i < sp.size; ++i)
                    sp.grads[i] = *f++ / total;
            loss = static_cast<double>(f[0]) / static_cast<double>(total);
        }
        ClipResult c;
        if (config_.clip_norm > 0)
            c = clip_by_global_norm(spans, config_.clip_norm);
        else
            c.norm_before = c.norm_after = global_grad_norm(spans);
        monitor_.record_step(c);
        if (grad_norm)
            *grad_norm = c.norm_before;
        if (monitored)
            *monitor = monitor_.report(step_ + 1, model_->rnn(),
                                       {{"", &model_->own_params()}, {"rnn.", &model_->rnn().params()}}, c, false);
        else if (monitor)
            monitor->step = 0; // no report this step
        if (!std::isfinite(loss) || !std::isfinite(c.norm_before))
            return loss;
        opt_->step(spans);
        ++step_;
        return loss;
    }

    int SeqTrainer::run(std::ostream& progress, const std::atomic<bool>& stop)
    {
        using clock = std::chrono::steady_clock;
        // one run per folder (a second is refused naming the first's PID); temp files of killed
        // saves go; no room for the checkpoints is said now, not at the first evaluation
        // With ranks, rank 0 alone owns the folder and says anything; the others follow its collectives.
        const bool root = comm_->root(), parallel = comm_->size() > 1;
        std::ostream quiet(nullptr);
        std::ostream& out = root ? progress : quiet;
        std::optional<RunFolder> folder;
        if (root)
            folder.emplace(config_.out, program_ + " train", "--out");
        const std::string last_path = (fs::path(config_.out) / "last.ckpt").string();
        const std::string best_path = (fs::path(config_.out) / "best.ckpt").string();
        if (root)
        {
            // parameters, two optimizer moments, the standardizer, metadata (save())
            folder->check_room(4 * (3 * model_->num_parameters() + 2 * train_.features) + (64 << 10));
            if (folder->removed_temps() > 0)
                out << "removed " << folder->removed_temps() << " unfinished checkpoint temp file"
                    << (folder->removed_temps() == 1 ? "" : "s") << " (" << format_bytes(folder->removed_temp_bytes())
                    << ") left by a killed run\n";
        }
        // a save that fails (a full disk) ends the run saying what is still in place
        std::uint64_t landed_step = 0;
        bool landed = false;
        auto save_or_say = [&](const std::string& path) {
            if (!root) // the parameters are the same on every rank
                return;
            try
            {
                save(path);
            }
            catch (const std::exception& e)
            {
                throw CheckpointError(std::string(e.what())
                                      + (landed ? "; '" + last_path + "' from step " + std::to_string(landed_step) + " is intact"
                                         : fs::exists(last_path) ? "; the earlier '" + last_path + "' is intact"
                                                                 : std::string()));
            }
            if (path == last_path)
            {
                landed = true;
                landed_step = step_;
            }
        };
        const std::size_t per_epoch = batcher_->batches_per_epoch();
        const SeqModelConfig& mc = model_->config();
        out << program_ << ": " << task_name(config_.task) << ", " << cell_name(mc.rnn.cell) << " "
                 << mc.rnn.num_layers << "x" << mc.rnn.hidden_size << (mc.rnn.bidirectional ? " bidirectional" : "")
                 << " (" << model_->num_parameters() << " parameters), " << train_.size() << " training / "
                 << val_.size() << " validation sequences, " << train_.features << " features, "
                 << (config_.task == Task::regress ? std::to_string(train_.outputs) + (train_.outputs == 1 ? " target" : " targets")
                     : config_.task == Task::ctc   ? std::to_string(train_.outputs - 1) + " label tokens + blank"
                                                   : std::to_string(train_.outputs) + " classes")
                 << ", " << per_epoch << " batches per epoch"
                 << (step_ > 0 ? ", resuming at step " + std::to_string(step_) : std::string()) << "\n";

        const double elapsed0 = elapsed_;
        const std::uint64_t step0 = step_;
        const auto t0 = clock::now();
        auto last_print = t0;
        auto now_elapsed = [&] { return elapsed0 + std::chrono::duration<double>(clock::now() - t0).count(); };
        const std::uint64_t total_steps = config_.epochs > 0 ? config_.epochs * per_epoch : 0;
        auto done = [&] {
            return (total_steps > 0 && step_ >= total_steps)
                   || (config_.time_budget > 0 && now_elapsed() >= config_.time_budget);
        };
        double loss_sum = 0, norm_sum = 0;
        std::size_t loss_n = 0, seqs = 0;
        std::string val_text = "";
        FlowDiagnosis last_diagnosis = FlowDiagnosis::healthy;
        auto eval_and_save = [&] {
            elapsed_ = now_elapsed();
            const EvalResult v = evaluate(*model_, val_, config_.batch_size, 0, comm_);
            const bool best = best_val_ < 0 || v.loss < best_val_;
            const std::size_t epochs_done = (step_ + per_epoch - 1) / per_epoch;
            if (best)
            {
                best_val_ = v.loss;
                best_epoch_ = epochs_done;
            }
            json rec{{"epoch", epochs_done}, {"step", step_}, {"seconds", std::round(now_elapsed() * 1000) / 1000},
                     {"train_loss", loss_n ? loss_sum / double(loss_n) : NAN}, {"val_loss", v.loss},
                     {"grad_norm", loss_n ? norm_sum / double(loss_n) : NAN}, {"lr", opt_->current_lr()}};
            if (v.error_rate >= 0)
                rec["val_token_error_rate"] = v.error_rate;
            if (v.accuracy >= 0)
                rec[config_.task == Task::ctc ? "val_sequence_accuracy" : "val_accuracy"] = v.accuracy;
            // best first, then last (the resume point), then the metrics line: a kill between them
            // leaves no line for an evaluation whose checkpoint did not land
            if (best)
                save_or_say(best_path);
            save_or_say(last_path);
            if (root)
                folder->append_metrics(rec.dump());
            val_text = "val " + fmt(v.loss, 4)
                       + (v.error_rate >= 0 ? " ter " + fmt(100 * v.error_rate, 1) + "% seq acc " + fmt(100 * v.accuracy, 1) + "%"
                          : v.accuracy >= 0 ? " acc " + fmt(100 * v.accuracy, 1) + "%"
                                            : "");
            out << kReplaceLine << "epoch " << epochs_done << "  step " << step_ << "  "
                     << duration(now_elapsed()) << "  train " << fmt(loss_n ? loss_sum / double(loss_n) : NAN, 4)
                     << "  " << val_text << (best ? "  (best, saved)" : "") << "\n"
                     << std::flush;
            loss_sum = norm_sum = 0;
            loss_n = 0;
        };

        MonitorReport report;
        // Stop and finish as one: a Ctrl-C reaches the ranks at different steps and only rank 0's
        // clock counts for --time-budget, so every step they vote (one tiny allreduce).
        bool stopping = false;
        auto decide = [&] {
            double votes[2] = {stop.load() ? 1.0 : 0.0, root && done() ? 1.0 : 0.0};
            if (parallel)
                comm_->allreduce_sum(votes, 2);
            stopping = votes[0] > 0;
            return votes[1] > 0;
        };
        while (!decide())
        {
            if (stopping)
            {
                elapsed_ = now_elapsed();
                save_or_say(last_path);
                out << kReplaceLine << "interrupted at step " << step_ << "; saved " << last_path
                         << "; continue with: " << program_ << " train --resume " << last_path << "\n";
                return 130;
            }
            double norm = 0;
            const double loss = train_step(&norm, &report);
            if (!std::isfinite(loss) || !std::isfinite(norm))
            {
                out << kReplaceLine << "step " << step_ + 1 << ": the loss (" << loss << ") or gradient norm ("
                         << norm << ") is not finite; stopped without updating"
                         << (fs::exists(last_path) ? "; the last good state is in " + last_path : std::string())
                         << ". Try a lower --lr, --clip-norm, or bounded activations.\n";
                return 3;
            }
            loss_sum += loss;
            norm_sum += norm;
            ++loss_n;
            seqs += last_batch_;
            if (report.step != 0)
            {
                if (root)
                    folder->append_metrics("{\"type\":\"monitor\"," + monitor_json(report).substr(1));
                if (report.diagnosis != FlowDiagnosis::healthy && report.diagnosis != last_diagnosis)
                    out << kReplaceLine << "step " << step_ << ": gradient flow " << diagnosis_name(report.diagnosis)
                             << " (see metrics.jsonl)\n";
                last_diagnosis = report.diagnosis;
            }
            const auto now = clock::now();
            if (std::chrono::duration<double>(now - last_print).count() >= 1.0)
            {
                last_print = now;
                const double run_s = std::chrono::duration<double>(now - t0).count();
                double eta = -1;
                if (total_steps > 0)
                    eta = double(total_steps - step_) * run_s / double(step_ - step0);
                if (config_.time_budget > 0)
                    eta = eta < 0 ? config_.time_budget - now_elapsed() : std::min(eta, config_.time_budget - now_elapsed());
                out << kReplaceLine << "epoch " << step_ / per_epoch + 1
                         << (config_.epochs ? "/" + std::to_string(config_.epochs) : std::string()) << "  step "
                         << step_ << "  " << fmt(double(seqs) / run_s, 0) << " seq/s  loss " << fmt(loss, 4) << "  "
                         << val_text << (eta >= 0 ? "  ETA " + duration(eta) : std::string()) << std::flush;
            }
            if (step_ % per_epoch == 0)
                eval_and_save();
        }
        if (loss_n > 0 || step_ == step0)
            eval_and_save();
        out << "best validation loss " << fmt(best_val_, 4) << " after epoch " << best_epoch_ << "; model in "
                 << best_path << "\n";
        return 0;
    }
}
