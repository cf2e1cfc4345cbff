// charlm/src/char_checkpoint.cpp -- see char_checkpoint.hpp: CharTrainer::save and ::resume,
// load_char_model.
#include "xrnn/charlm/char_checkpoint.hpp"

#include "xrnn/charlm/char_memory.hpp"
#include "xrnn/charlm/char_train.hpp"
#include "xrnn/check.hpp"
#include "xrnn/checkpoint.hpp"
#include "xrnn/value_range.hpp"

#include <nlohmann/json.hpp>
#include <xtensor/xview.hpp>

#include <algorithm>
#include <utility>

namespace xrnn
{
    using json = nlohmann::json;

    namespace
    {
        // Tensor names. Format 1 (before named tensors) had "params" (flat, in spans order),
        // "adam_m" / "adam_v" whatever the optimizer, and the step count and RNG states in the
        // metadata; those still load.
        constexpr const char* kParams = "params.";        // + embedding.weight, head.*, rnn.weight_ih_l0, ...
        constexpr const char* kAverage = "ema_params";    // flat, in spans order, as WeightAverage keeps it
        constexpr const char* kRnnDropout = "rng.rnn_dropout";
        constexpr const char* kHeadDropout = "rng.head_dropout";

        void put_model_params(Checkpoint& c, CharModel<float>& m)
        {
            put_params(c, kParams, m.own_params());
            put_params(c, std::string(kParams) + "rnn.", m.rnn().params());
        }
        void get_model_params(const Checkpoint& c, CharModel<float>& m)
        {
            if (c.has("params")) // format 1
                return get_span_values(c, "params", m.spans());
            get_params(c, kParams, m.own_params());
            get_params(c, std::string(kParams) + "rnn.", m.rnn().params());
        }

        void get_optimizer_state(const Checkpoint& c, const nlohmann::json& meta, Optimizer<float>& opt)
        {
            if (get_optimizer(c, opt))
                return;
            opt.first_moment() = c.tensor("adam_m"); // format 1
            opt.second_moment() = c.tensor("adam_v");
            opt.set_steps(meta.at("optimizer_steps").get<std::uint64_t>());
        }

        void get_rng_state(const Checkpoint& c, const nlohmann::json& meta, const char* name, const char* old_key,
                           Rng& r)
        {
            if (c.has(name))
                return get_rng(c, name, r);
            const json& j = meta.at(old_key); // format 1
            Rng::State s;
            j.at("s").get_to(s.s);
            j.at("spare").get_to(s.spare);
            j.at("has_spare").get_to(s.has_spare);
            r.set_state(s);
        }

        // The metadata's whole numbers, before get<> reads them: it casts a float unchecked
        // (1e30 into uint64_t is undefined behaviour) and wraps an integer (a vocab entry of 355
        // would read as byte 99).
        void check_meta_numbers(const json& meta)
        {
            for (const char* p : {"/step", "/chunk", "/epoch", "/best_step", "/data_hash", "/optimizer_steps"})
                check_json_fits<std::uint64_t>(meta, p, p + 1);
            for (const char* p : {"/state_shape", "/rng_rnn_dropout/s", "/rng_head_dropout/s"})
            {
                const json::json_pointer at(p);
                if (meta.contains(at) && meta.at(at).is_array())
                    for (std::size_t i = 0; i < meta.at(at).size(); ++i)
                        check_json_fits<std::uint64_t>(meta, std::string(p) + "/" + std::to_string(i), p + 1);
            }
            const json& vocab = meta.at("vocab");
            if (vocab.is_array())
                for (std::size_t i = 0; i < vocab.size(); ++i)
                    check_json_range(vocab, "/" + std::to_string(i), ValueRange{"a vocab entry", 0, 255, true}, false);
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
                check_meta_numbers(p.meta);
                p.config = config_from_json(p.meta.at("config"));
                p.vocab = Vocabulary::from_symbols(p.meta.at("vocab").get<std::vector<std::uint8_t>>());
            }
            catch (const json::exception& e)
            {
                throw CheckpointError("xrnn: checkpoint '" + path + "' has unreadable metadata: " + e.what());
            }
            catch (const std::invalid_argument& e) // a value out of its range (check_train_config, check_meta_numbers)
            {
                const std::string what = e.what();
                throw CheckpointError("xrnn: checkpoint '" + path + "': " + (what.rfind("xrnn: ", 0) == 0 ? what.substr(6) : what));
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
        // with ranks, all B streams' state (gather_state), as one process with batch B saves it
        const auto& s = comm_->size() > 1 ? saved_state_ : model_->rnn().carried_state();
        j["state_shape"] = s.h.size() ? std::vector<std::size_t>(s.h.shape().begin(), s.h.shape().end())
                                      : std::vector<std::size_t>{};
        return j.dump();
    }

    void CharTrainer::save(const std::string& path) const
    {
        Checkpoint c;
        c.meta_json = meta_json();
        put_model_params(c, *model_); // unique_ptr: the model itself is not const here
        put_optimizer(c, *opt_);
        if (ema_ && !ema_->values().empty()) // empty before the first step
            c.tensors.emplace_back(kAverage, ema_->values());
        put_rng(c, kRnnDropout, model_->rnn().dropout_rng());
        put_rng(c, kHeadDropout, model_->dropout_rng());
        const auto& s = comm_->size() > 1 ? saved_state_ : model_->rnn().carried_state();
        c.tensors.emplace_back("state_h", std::vector<float>(s.h.begin(), s.h.end()));
        c.tensors.emplace_back("state_c", std::vector<float>(s.c.begin(), s.c.end()));
        save_checkpoint(path, c);
    }

    std::unique_ptr<CharTrainer> CharTrainer::resume(const std::string& path, const ResumeOverrides& overrides,
                                                     Communicator* comm)
    {
        ModelPart p = read_model_part(path);
        if (p.meta.value("model_only", false))
            throw CheckpointError("xrnn: checkpoint '" + path + "' holds a model without training state (made by "
                                  "import): it can be sampled and evaluated, not resumed; train a new run instead");
        const TrainConfig c = resumed_config(p.config, overrides);
        auto t = std::make_unique<CharTrainer>(c, comm);
        try
        {
            const json& m = p.meta;
            if (m.at("data_hash").get<std::uint64_t>() != t->data_hash_)
                detail::fail("'" + c.data + "' is not the file checkpoint '" + path
                             + "' was trained on (content differs); resume with the same data");
            if (t->corpus_.vocab.symbols() != p.vocab.symbols())
                detail::fail("vocabulary of '" + c.data + "' differs from the checkpoint's");
            get_model_params(p.ckpt, *t->model_);
            get_optimizer_state(p.ckpt, m, *t->opt_);
            if (t->ema_ && p.ckpt.has(kAverage))
            {
                auto avg = p.ckpt.tensor(kAverage);
                if (avg.size() != t->model_->num_parameters())
                    throw CheckpointError("xrnn: checkpoint '" + path + "' has a weight average of the wrong size");
                t->ema_->set_values(std::move(avg));
            }
            t->step_ = m.at("step").get<std::uint64_t>();
            t->chunk_ = m.at("chunk").get<std::uint64_t>();
            t->epoch_ = m.at("epoch").get<std::uint64_t>();
            t->elapsed_ = m.at("elapsed").get<double>();
            t->best_val_ = m.at("best_val").get<double>();
            t->best_step_ = m.at("best_step").get<std::uint64_t>();
            get_rng_state(p.ckpt, m, kRnnDropout, "rng_rnn_dropout", t->model_->rnn().dropout_rng());
            get_rng_state(p.ckpt, m, kHeadDropout, "rng_head_dropout", t->model_->dropout_rng());
            const auto shape = m.at("state_shape").get<std::vector<std::size_t>>();
            const std::vector<std::size_t> expected{c.num_layers, c.batch_size, c.hidden_size};
            if (!shape.empty() && shape != expected)
                throw CheckpointError("xrnn: checkpoint '" + path + "' has a carried state of shape "
                                      + detail::shape_str(shape) + "; its config needs " + detail::shape_str(expected));
            if (shape.size() == 3)
            {
                RecurrentState<float> s;
                s.h = Tensor3<float>::from_shape({shape[0], shape[1], shape[2]});
                const auto h = p.ckpt.tensor("state_h");
                const auto cc = p.ckpt.tensor("state_c");
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
                if (t->comm_->size() > 1) // this rank's streams: rows rank*b .. rank*b+b-1 of every layer
                {
                    const std::size_t b = t->local_batch_, first = static_cast<std::size_t>(t->comm_->rank()) * b;
                    auto mine = [&](const Tensor3<float>& all) {
                        return Tensor3<float>(xt::view(all, xt::all(), xt::range(first, first + b), xt::all()));
                    };
                    RecurrentState<float> local;
                    local.h = mine(s.h);
                    if (s.c.size())
                        local.c = mine(s.c);
                    t->model_->rnn().set_carried_state(local);
                }
                else
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
        try // names the config does not check (cell, activations, init) are refused by the model
        {
            check_char_memory(p.config, p.vocab.size(), 0, false); // a forged size fails here, not in new
            m.model = std::make_unique<CharModel<float>>(model_config(p.config, p.vocab.size()), init_config(p.config));
        }
        catch (const std::invalid_argument& e)
        {
            const std::string what = e.what();
            throw CheckpointError("xrnn: checkpoint '" + path + "': " + (what.rfind("xrnn: ", 0) == 0 ? what.substr(6) : what));
        }
        // the weights validation measured: the average when the run kept one
        const bool averaged = !raw && p.ckpt.has(kAverage);
        if (averaged)
            get_span_values(p.ckpt, kAverage, m.model->spans());
        else
            get_model_params(p.ckpt, *m.model);
        m.averaged = averaged;
        return m;
    }

    void save_char_model(const std::string& path, const LoadedCharModel& m)
    {
        json j;
        j["format"] = "xrnn-charlm";
        j["model_only"] = true;
        j["config"] = config_to_json(m.config);
        j["vocab"] = m.vocab.symbols();
        j["step"] = m.step;
        Checkpoint c;
        c.meta_json = j.dump();
        put_model_params(c, *m.model);
        save_checkpoint(path, c);
    }
}
