// interop/src/state_dict.cpp -- see state_dict.hpp.
#include "xrnn/interop/state_dict.hpp"

#include "xrnn/charlm/char_memory.hpp"
#include "xrnn/checkpoint.hpp"
#include "xrnn/input_file.hpp"
#include "xrnn/seq/npy.hpp"
#include "xrnn/seq/seq_memory.hpp"
#include "xrnn/value_range.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <system_error>

#include <unistd.h>

namespace xrnn::interop
{
    using json = nlohmann::json;
    namespace fs = std::filesystem;

    namespace
    {
        constexpr const char* kFormat = "xrnn-state-dict";

        [[noreturn]] void fail(const std::string& where, const std::string& what)
        {
            throw std::invalid_argument("xrnn: " + where + ": " + what);
        }

        // A key is also a file name: letters, digits, '_' and '.', not starting with '.', so a
        // config.json cannot point outside its folder.
        bool valid_key(const std::string& k)
        {
            if (k.empty() || k.size() > 200 || k[0] == '.')
                return false;
            for (char ch : k)
                if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.'))
                    return false;
            return true;
        }

        std::size_t find_key(const StateDict& sd, const std::string& key)
        {
            for (std::size_t i = 0; i < sd.tensors.size(); ++i)
                if (sd.tensors[i].key == key)
                    return i;
            return sd.tensors.size();
        }

        // The folder's problems with a name: its own, a CLI's or a library caller's
        std::string rethrow_message(const std::exception& e)
        {
            const std::string what = e.what();
            return what.rfind("xrnn: ", 0) == 0 ? what.substr(6) : what;
        }

        json rnn_json(const RecurrentConfig& r)
        {
            return json{{"cell", cell_name(r.cell)},
                        {"input_size", r.input_size},
                        {"hidden_size", r.hidden_size},
                        {"num_layers", r.num_layers},
                        {"bidirectional", r.bidirectional},
                        {"activation", activation_name(r.activation)},
                        {"recurrent_activation", activation_name(r.recurrent_activation)}};
        }

        void refuse_existing_file(const std::string& path)
        {
            std::error_code ec;
            if (fs::exists(path, ec))
                fail(path, "exists; write the model to a new file name (nothing was overwritten)");
        }
    }

    void append_params(std::vector<NamedTensor>& out, const ParamSet<float>& params, const std::string& prefix)
    {
        for (std::size_t i = 0; i < params.count(); ++i)
        {
            const ParamInfo& p = params.table()[i];
            const float* v = params.value(i);
            out.push_back({prefix + p.name, p.shape, std::vector<float>(v, v + p.size)});
        }
    }

    void take_params(ParamSet<float>& params, const StateDict& sd, const std::string& prefix, std::vector<bool>& used,
                     const std::string& dir)
    {
        used.resize(sd.tensors.size(), false);
        for (std::size_t i = 0; i < params.count(); ++i)
        {
            const ParamInfo& p = params.table()[i];
            const std::string key = prefix + p.name;
            const std::size_t k = find_key(sd, key);
            if (k == sd.tensors.size())
                fail(dir, "no tensor '" + key + "'; the configuration needs it with shape " + detail::shape_str(p.shape));
            const NamedTensor& t = sd.tensors[k];
            if (t.shape != p.shape)
                fail(dir, "tensor '" + key + "' has shape " + detail::shape_str(t.shape) + "; the configuration needs "
                              + detail::shape_str(p.shape));
            std::copy(t.values.begin(), t.values.end(), params.value(i));
            used[k] = true;
        }
    }

    void check_all_used(const StateDict& sd, const std::vector<bool>& used, const std::string& dir)
    {
        std::string extra;
        for (std::size_t i = 0; i < sd.tensors.size(); ++i)
            if (i >= used.size() || !used[i])
                extra += (extra.empty() ? "" : ", ") + sd.tensors[i].key;
        if (!extra.empty())
            fail(dir, "tensors the configuration has no place for: " + extra
                          + " (import is strict, as load_state_dict(strict=True))");
    }

    void write_state_dict(const std::string& dir, const StateDict& sd)
    {
        XRNN_CHECK(!dir.empty(), "the export folder name is empty");
        std::error_code ec;
        const fs::path target(dir);
        if (fs::exists(target, ec))
        {
            if (!fs::is_directory(target, ec))
                fail(dir, "exists and is not a folder; export into a new folder");
            if (!fs::is_empty(target, ec))
                fail(dir, "exists and is not empty; export into a new folder (nothing was overwritten)");
        }
        json config = sd.config;
        config["format"] = kFormat;
        config["version"] = 1;
        json listed = json::object();
        for (const NamedTensor& t : sd.tensors)
        {
            XRNN_CHECK(valid_key(t.key), "tensor key '" + t.key + "' is not a valid file name");
            listed[t.key] = t.shape;
        }
        config["tensors"] = listed;

        // everything into a temporary folder beside the target, then one rename
        const fs::path tmp = target.string() + ".tmp-" + std::to_string(::getpid());
        fs::remove_all(tmp, ec);
        try
        {
            fs::create_directories(tmp);
            for (const NamedTensor& t : sd.tensors)
                seq::write_npy((tmp / (t.key + ".npy")).string(), t.shape, t.values.data());
            std::ofstream out(tmp / "config.json");
            out << config.dump(2) << '\n';
            out.close();
            if (!out)
                fail((tmp / "config.json").string(), "write failed");
            if (fs::exists(target, ec))
                fs::remove(target); // empty, checked above
            fs::rename(tmp, target);
        }
        catch (const seq::DataError& e)
        {
            fs::remove_all(tmp, ec);
            fail(dir, std::string("export failed, nothing written: ") + e.what());
        }
        catch (const fs::filesystem_error& e)
        {
            fs::remove_all(tmp, ec);
            fail(dir, std::string("export failed, nothing written: ") + e.what());
        }
        catch (...)
        {
            fs::remove_all(tmp, ec);
            throw;
        }
    }

    StateDict read_state_dict(const std::string& dir)
    {
        std::error_code ec;
        if (!fs::is_directory(dir, ec))
            fail(dir, "not a folder (an export folder holds config.json and one .npy per tensor)");
        const std::string config_path = (fs::path(dir) / "config.json").string();
        std::string text;
        const std::string problem = read_input_file(config_path, text, 64ull << 20);
        if (!problem.empty())
            fail(config_path, problem);
        StateDict sd;
        json config;
        try
        {
            config = json::parse(text);
        }
        catch (const json::exception& e)
        {
            fail(config_path, std::string("not JSON: ") + e.what());
        }
        if (!config.is_object() || config.value("format", json()) != kFormat)
            fail(config_path, "not an xrnn state_dict export (\"format\" must be \"xrnn-state-dict\")");
        if (config.value("version", json()) != 1)
            fail(config_path, "version " + config.value("version", json()).dump() + "; this xrnn reads version 1");
        if (!config.contains("tensors") || !config["tensors"].is_object())
            fail(config_path, "no \"tensors\" object (key: shape)");
        for (const auto& [key, shape_json] : config["tensors"].items())
        {
            if (!valid_key(key))
                fail(config_path, "tensor key '" + key + "' is not a valid file name (letters, digits, '_', '.')");
            std::vector<std::size_t> shape;
            if (!shape_json.is_array() || shape_json.size() > 4)
                fail(config_path, "the shape of '" + key + "' must be a list of at most 4 sizes");
            for (std::size_t i = 0; i < shape_json.size(); ++i)
            {
                const json& d = shape_json[i];
                if (!d.is_number_integer() || d.get<std::int64_t>() < 1 || d.get<std::int64_t>() > 16777216)
                    fail(config_path, "the shape of '" + key + "' holds " + d.dump()
                                          + "; sizes must be whole numbers from 1 to 16777216");
                shape.push_back(d.get<std::size_t>());
            }
            const std::string file = (fs::path(dir) / (key + ".npy")).string();
            seq::NpyArray a;
            try
            {
                a = seq::read_npy(file);
            }
            catch (const seq::DataError& e) // names the file already
            {
                throw std::invalid_argument(std::string("xrnn: ") + e.what());
            }
            if (a.kind != 'f')
                fail(file, "dtype '" + a.descr + "'; a tensor must be float32 or float64");
            if (a.shape != shape)
                fail(file, "has shape " + detail::shape_str(a.shape) + "; config.json lists " + detail::shape_str(shape));
            NamedTensor t{key, shape, std::vector<float>(a.values.size())};
            for (std::size_t i = 0; i < a.values.size(); ++i)
            {
                if (!std::isfinite(a.values[i]) || std::fabs(a.values[i]) > 3.4e38)
                    fail(file, "value " + plain_number(a.values[i]) + " at index " + std::to_string(i)
                                   + " (weights must be finite float32 values)");
                t.values[i] = static_cast<float>(a.values[i]);
            }
            sd.tensors.push_back(std::move(t));
        }
        // a tensor file nothing lists was probably meant to be read
        for (const auto& entry : fs::directory_iterator(dir, ec))
            if (entry.path().extension() == ".npy"
                && !config["tensors"].contains(entry.path().stem().string()))
                fail(entry.path().string(), "is not listed in config.json's \"tensors\"; list it with its shape or remove it");
        config.erase("tensors");
        sd.config = std::move(config);
        return sd;
    }

    // ---- char-LM

    StateDict char_state_dict(const LoadedCharModel& m)
    {
        StateDict sd;
        const CharModel<float>& model = *m.model;
        sd.config["kind"] = "charlm";
        sd.config["rnn"] = rnn_json(model.rnn().config());
        sd.config["embed_size"] = model.config().embed_size;
        sd.config["vocab"] = m.vocab.symbols();
        sd.config["xrnn_config"] = config_to_json(m.config);
        sd.config["step"] = m.step;
        sd.config["averaged"] = m.averaged;
        append_params(sd.tensors, const_cast<CharModel<float>&>(model).own_params(), "");
        append_params(sd.tensors, model.rnn().params(), "rnn.");
        return sd;
    }

    LoadedCharModel char_model_from(const StateDict& sd, const std::string& dir)
    {
        const json& c = sd.config;
        if (c.value("kind", json()) != "charlm")
            fail(dir, "holds a \"kind\": " + c.value("kind", json()).dump()
                          + " model; xrnn-charlm imports \"charlm\" (xrnn-seq imports \"seq\")");
        LoadedCharModel m;
        try
        {
            // the full training configuration when xrnn wrote the folder; the model's own fields rule
            if (c.contains("xrnn_config"))
                m.config = config_from_json(c.at("xrnn_config"));
            const json& r = c.at("rnn");
            check_json_range(r, "/hidden_size", limits::hidden_size, false);
            check_json_range(r, "/num_layers", limits::num_layers, false);
            check_json_range(c, "/embed_size", ValueRange{"embed_size", 1, 65536, true}, false);
            check_json_range(r, "/input_size", ValueRange{"rnn input_size", 1, 65536, true}, false);
            if (r.value("bidirectional", false))
                fail(dir, "a bidirectional stack cannot be a left-to-right language model");
            m.config.cell = r.at("cell").get<std::string>();
            m.config.hidden_size = r.at("hidden_size").get<std::size_t>();
            m.config.num_layers = r.at("num_layers").get<std::size_t>();
            m.config.activation = r.at("activation").get<std::string>();
            m.config.recurrent_activation = r.at("recurrent_activation").get<std::string>();
            m.config.embed_size = c.at("embed_size").get<std::size_t>();
            if (r.at("input_size").get<std::size_t>() != m.config.embed_size)
                fail(dir, "rnn input_size " + r.at("input_size").dump() + " differs from embed_size "
                              + std::to_string(m.config.embed_size) + " (the stack reads the embedding)");
            const json& vocab = c.at("vocab");
            if (!vocab.is_array() || vocab.empty() || vocab.size() > 256)
                fail(dir, "\"vocab\" must list 1 to 256 byte values (the byte of each token id)");
            for (std::size_t i = 0; i < vocab.size(); ++i)
                check_json_range(vocab, "/" + std::to_string(i), ValueRange{"a vocab entry", 0, 255, true}, false);
            m.vocab = Vocabulary::from_symbols(vocab.get<std::vector<std::uint8_t>>());
            if (c.contains("step"))
                check_json_fits<std::uint64_t>(c, "/step", "step");
            m.step = c.value("step", std::uint64_t(0));
            m.averaged = c.value("averaged", false);
            check_char_memory(m.config, m.vocab.size(), 0, false);
            m.model = std::make_unique<CharModel<float>>(model_config(m.config, m.vocab.size()), init_config(m.config));
        }
        catch (const json::exception& e)
        {
            fail(dir + "/config.json", std::string("unreadable: ") + e.what());
        }
        catch (const std::invalid_argument& e)
        {
            const std::string what = rethrow_message(e);
            if (what.rfind(dir, 0) == 0)
                throw;
            fail(dir, what);
        }
        std::vector<bool> used;
        take_params(m.model->own_params(), sd, "", used, dir);
        take_params(m.model->rnn().params(), sd, "rnn.", used, dir);
        check_all_used(sd, used, dir);
        return m;
    }

    void export_char_checkpoint(const std::string& checkpoint, const std::string& dir, bool raw)
    {
        write_state_dict(dir, char_state_dict(load_char_model(checkpoint, raw)));
    }

    void import_char_checkpoint(const std::string& dir, const std::string& checkpoint)
    {
        refuse_existing_file(checkpoint);
        const LoadedCharModel m = char_model_from(read_state_dict(dir), dir);
        save_char_model(checkpoint, m);
    }

    // ---- xrnn-seq

    StateDict seq_state_dict(const seq::SavedModel& m)
    {
        StateDict sd;
        const seq::SeqModel<float>& model = *m.model;
        sd.config["kind"] = "seq";
        sd.config["model"] = json::parse(seq::model_config_json(model.config()));
        sd.config["classes"] = m.classes.names();
        // what else the model file said (the training configuration, whose front end the speech
        // wing reads), so an import predicts as the original did
        const json meta = json::parse(m.meta_json);
        if (meta.contains("train_config"))
            sd.config["xrnn_train_config"] = meta["train_config"];
        append_params(sd.tensors, model.own_params(), "");
        append_params(sd.tensors, model.rnn().params(), "rnn.");
        if (!m.standardizer.mean.empty())
        {
            const std::vector<std::size_t> shape{m.standardizer.mean.size()};
            sd.tensors.push_back({"standardizer.mean", shape, m.standardizer.mean});
            sd.tensors.push_back({"standardizer.std", shape, m.standardizer.std});
        }
        return sd;
    }

    seq::SavedModel seq_model_from(const StateDict& sd, const std::string& dir)
    {
        const json& c = sd.config;
        if (c.value("kind", json()) != "seq")
            fail(dir, "holds a \"kind\": " + c.value("kind", json()).dump()
                          + " model; xrnn-seq imports \"seq\" (xrnn-charlm imports \"charlm\")");
        seq::SavedModel s;
        try
        {
            const seq::SeqModelConfig cfg = seq::model_config_from_json(c.at("model").dump());
            seq::check_seq_memory(cfg, 0, 0, OptimizerKind::adam, 0);
            s.model = std::make_unique<seq::SeqModel<float>>(cfg, InitConfig{0});
            s.classes = seq::ClassTable(c.at("classes").get<std::vector<std::string>>());
            const std::size_t C = cfg.outputs, K = s.classes.size();
            if ((cfg.task == seq::Task::classify && K != C) || (cfg.task == seq::Task::ctc && K + 1 != C))
                fail(dir, "the model has " + std::to_string(C) + " outputs but \"classes\" lists " + std::to_string(K)
                              + " (classify: one output per class; ctc: one per token and the blank)");
            json meta;
            meta["model_only"] = true;
            if (c.contains("xrnn_train_config"))
                meta["train_config"] = c["xrnn_train_config"];
            s.meta_json = meta.dump();
        }
        catch (const json::exception& e)
        {
            fail(dir + "/config.json", std::string("unreadable: ") + e.what());
        }
        catch (const std::invalid_argument& e)
        {
            const std::string what = rethrow_message(e);
            if (what.rfind(dir, 0) == 0)
                throw;
            fail(dir, what);
        }
        catch (const seq::DataError& e)
        {
            fail(dir, e.what());
        }
        std::vector<bool> used;
        take_params(s.model->own_params(), sd, "", used, dir);
        take_params(s.model->rnn().params(), sd, "rnn.", used, dir);
        const std::size_t mean = find_key(sd, "standardizer.mean"), sdev = find_key(sd, "standardizer.std");
        const std::size_t n = sd.tensors.size();
        if ((mean == n) != (sdev == n))
            fail(dir, "standardizer.mean and standardizer.std come together (one is missing)");
        if (mean != n)
        {
            const std::vector<std::size_t> shape{s.model->config().features};
            for (std::size_t k : {mean, sdev})
                if (sd.tensors[k].shape != shape)
                    fail(dir, "tensor '" + sd.tensors[k].key + "' has shape " + detail::shape_str(sd.tensors[k].shape)
                                  + "; the model's features need " + detail::shape_str(shape));
            for (float v : sd.tensors[sdev].values)
                if (!(v > 0))
                    fail(dir, "standardizer.std holds " + plain_number(v) + "; every entry must be > 0");
            s.standardizer.mean = sd.tensors[mean].values;
            s.standardizer.std = sd.tensors[sdev].values;
            used[mean] = used[sdev] = true;
        }
        check_all_used(sd, used, dir);
        return s;
    }

    void export_seq_model(const std::string& model, const std::string& dir)
    {
        write_state_dict(dir, seq_state_dict(seq::load_model(model)));
    }

    void import_seq_model(const std::string& dir, const std::string& model)
    {
        refuse_existing_file(model);
        const seq::SavedModel s = seq_model_from(read_state_dict(dir), dir);
        Checkpoint c;
        c.meta_json = s.meta_json;
        seq::put_model(c, *s.model, s.standardizer, s.classes);
        save_checkpoint(model, c);
    }
}
