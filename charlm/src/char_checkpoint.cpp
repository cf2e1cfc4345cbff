// charlm/src/char_checkpoint.cpp -- see char_checkpoint.hpp: CharTrainer::save and ::resume,
// load_char_model.
#include "xrnn/charlm/char_checkpoint.hpp"

#include "xrnn/charlm/char_train.hpp"
#include "xrnn/check.hpp"
#include "xrnn/checkpoint.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace xrnn
{
    using json = nlohmann::json;

    namespace
    {
        json rng_to_json(const Rng& r)
        {
            const auto s = r.state();
            return json{{"s", s.s}, {"spare", s.spare}, {"has_spare", s.has_spare}};
        }
        void rng_from_json(Rng& r, const json& j)
        {
            Rng::State s;
            j.at("s").get_to(s.s);
            j.at("spare").get_to(s.spare);
            j.at("has_spare").get_to(s.has_spare);
            r.set_state(s);
        }

        std::vector<float> flat_params(CharModel<float>& m)
        {
            std::vector<float> v;
            for (const auto& s : m.spans())
                v.insert(v.end(), s.values, s.values + s.size);
            return v;
        }

        void set_flat_params(CharModel<float>& m, const std::vector<float>& v, const std::string& path)
        {
            const std::size_t n = total_size(m.spans());
            if (v.size() != n)
                throw CheckpointError("xrnn: checkpoint '" + path + "' has " + std::to_string(v.size())
                                      + " parameters but its configuration needs " + std::to_string(n));
            std::size_t off = 0;
            for (const auto& s : m.spans())
            {
                std::copy(v.begin() + static_cast<std::ptrdiff_t>(off),
                          v.begin() + static_cast<std::ptrdiff_t>(off + s.size), s.values);
                off += s.size;
            }
        }

        bool has_tensor(const Checkpoint& c, const std::string& name)
        {
            return std::any_of(c.tensors.begin(), c.tensors.end(), [&](const auto& t) { return t.first == name; });
        }

        // The model part of a checkpoint: config, vocabulary, parameters.
        struct ModelPart
        {
            json meta;
            Checkpoint ckpt;
            TrainConfig config;
            Vocabulary vocab;
        };
        ModelPart read_model_part(const std::string& path)
        {
            ModelPart p;
            p.ckpt = load_checkpoint(path);
            try
            {
                p.meta = json::parse(p.ckpt.meta_json);
                p.config = config_from_json(p.meta.at("config"));
                p.vocab = Vocabulary::from_symbols(p.meta.at("vocab").get<std::vector<std::uint8_t>>());
            }
            catch (const json::exception& e)
            {
                throw CheckpointError("xrnn: checkpoint '" + path + "' has unreadable metadata: " + e.what());
            }
            return p;
        }

    }

    std::string CharTrainer::meta_json() const
    {
        json j;
        j["format"] = "xrnn-charlm";
        j["config"] = config_to_json(config_);
        j["vocab"] = corpus_.vocab.symbols();
        j["data_hash"] = data_hash_;
        j["data_bytes"] = corpus_.file_bytes;
        j["step"] = step_;
        j["chunk"] = chunk_;
        j["epoch"] = epoch_;
        j["elapsed"] = elapsed_;
        j["best_val"] = best_val_;
        j["best_step"] = best_step_;
        j["optimizer_steps"] = opt_->steps();
        j["rng_rnn_dropout"] = rng_to_json(model_->rnn().dropout_rng());
        j["rng_head_dropout"] = rng_to_json(model_->dropout_rng());
        const auto& s = model_->rnn().carried_state();
        j["state_shape"] = s.h.size() ? std::vector<std::size_t>(s.h.shape().begin(), s.h.shape().end())
                                      : std::vector<std::size_t>{};
        return j.dump();
    }

    void CharTrainer::save(const std::string& path) const
    {
        Checkpoint c;
        c.meta_json = meta_json();
        auto& m = *model_; // unique_ptr: the model itself is not const here
        c.tensors.emplace_back("params", flat_params(m));
        c.tensors.emplace_back("adam_m", opt_->first_moment());
        c.tensors.emplace_back("adam_v", opt_->second_moment());
        if (ema_ && !ema_->values().empty()) // empty before the first step
            c.tensors.emplace_back("ema_params", ema_->values());
        const auto& s = model_->rnn().carried_state();
        c.tensors.emplace_back("state_h", std::vector<float>(s.h.begin(), s.h.end()));
        c.tensors.emplace_back("state_c", std::vector<float>(s.c.begin(), s.c.end()));
        save_checkpoint(path, c);
    }

    std::unique_ptr<CharTrainer> CharTrainer::resume(const std::string& path, const ResumeOverrides& overrides)
    {
        ModelPart p = read_model_part(path);
        const TrainConfig c = resumed_config(p.config, overrides);
        auto t = std::make_unique<CharTrainer>(c);
        try
        {
            const json& m = p.meta;
            if (m.at("data_hash").get<std::uint64_t>() != t->data_hash_)
                detail::fail("'" + c.data + "' is not the file checkpoint '" + path
                             + "' was trained on (content differs); resume with the same data");
            if (t->corpus_.vocab.symbols() != p.vocab.symbols())
                detail::fail("vocabulary of '" + c.data + "' differs from the checkpoint's");
            set_flat_params(*t->model_, p.ckpt.tensor("params"), path);
            t->opt_->first_moment() = p.ckpt.tensor("adam_m");
            t->opt_->second_moment() = p.ckpt.tensor("adam_v");
            t->opt_->set_steps(m.at("optimizer_steps").get<std::uint64_t>());
            if (t->ema_ && has_tensor(p.ckpt, "ema_params"))
            {
                const auto& avg = p.ckpt.tensor("ema_params");
                if (avg.size() != p.ckpt.tensor("params").size())
                    throw CheckpointError("xrnn: checkpoint '" + path + "' has a weight average of the wrong size");
                t->ema_->set_values(avg);
            }
            t->step_ = m.at("step").get<std::uint64_t>();
            t->chunk_ = m.at("chunk").get<std::uint64_t>();
            t->epoch_ = m.at("epoch").get<std::uint64_t>();
            t->elapsed_ = m.at("elapsed").get<double>();
            t->best_val_ = m.at("best_val").get<double>();
            t->best_step_ = m.at("best_step").get<std::uint64_t>();
            rng_from_json(t->model_->rnn().dropout_rng(), m.at("rng_rnn_dropout"));
            rng_from_json(t->model_->dropout_rng(), m.at("rng_head_dropout"));
            const auto shape = m.at("state_shape").get<std::vector<std::size_t>>();
            if (shape.size() == 3)
            {
                RecurrentState<float> s;
                s.h = Tensor3<float>::from_shape({shape[0], shape[1], shape[2]});
                const auto& h = p.ckpt.tensor("state_h");
                const auto& cc = p.ckpt.tensor("state_c");
                if (h.size() != s.h.size())
                    throw CheckpointError("xrnn: checkpoint '" + path + "' has a hidden state of the wrong size");
                std::copy(h.begin(), h.end(), s.h.begin());
                if (!cc.empty())
                {
                    s.c = Tensor3<float>::from_shape({shape[0], shape[1], shape[2]});
                    if (cc.size() != s.c.size())
                        throw CheckpointError("xrnn: checkpoint '" + path + "' has a cell state of the wrong size");
                    std::copy(cc.begin(), cc.end(), s.c.begin());
                }
                t->model_->rnn().set_carried_state(s);
            }
        }
        catch (const json::exception& e)
        {
            throw CheckpointError("xrnn: checkpoint '" + path + "' has unreadable metadata: " + e.what());
        }
        return t;
    }

    LoadedCharModel load_char_model(const std::string& path, bool raw)
    {
        ModelPart p = read_model_part(path);
        LoadedCharModel m;
        m.config = p.config;
        m.vocab = p.vocab;
        try
        {
            m.step = p.meta.at("step").get<std::uint64_t>();
        }
        catch (const json::exception& e)
        {
            throw CheckpointError("xrnn: checkpoint '" + path + "' has unreadable metadata: " + e.what());
        }
        m.model = std::make_unique<CharModel<float>>(model_config(p.config, p.vocab.size()), init_config(p.config));
        // the weights validation measured: the average when the run kept one
        const bool averaged = !raw && has_tensor(p.ckpt, "ema_params");
        set_flat_params(*m.model, p.ckpt.tensor(averaged ? "ema_params" : "params"), path);
        m.averaged = averaged;
        return m;
    }
}
