// charlm/src/train_config.cpp -- see train_config.hpp.
#include "xrnn/charlm/train_config.hpp"

#include "xrnn/check.hpp"

#include <nlohmann/json.hpp>

#include <stdexcept>

namespace xrnn
{
    using json = nlohmann::json;

    // ---- ranges

    namespace
    {
        struct Field
        {
            ValueRange range;
            double (*get)(const TrainConfig&);
            // config_from_json checks it too: not the run-length fields a resume replaces, nor
            // those the CLI once took unchecked (a run started with --seed -1 has seed 2^64 - 1
            // and still loads), none of which sizes an allocation
            bool on_load = true;
            bool optional = false; // absent from older checkpoints
        };
        const Field kFields[] = {
            {limits::hidden_size, [](const TrainConfig& c) { return double(c.hidden_size); }},
            {limits::num_layers, [](const TrainConfig& c) { return double(c.num_layers); }},
            {{"embed_size", 1, 65536, true}, [](const TrainConfig& c) { return double(c.embed_size); }},
            {limits::dropout, [](const TrainConfig& c) { return c.dropout; }},
            {{"weight_drop", 0, 0.99}, [](const TrainConfig& c) { return c.weight_drop; }, true, true},
            {limits::forget_bias, [](const TrainConfig& c) { return c.forget_bias; }},
            {limits::batch_size, [](const TrainConfig& c) { return double(c.batch_size); }},
            {{"seq_len", 1, 1000000, true}, [](const TrainConfig& c) { return double(c.seq_len); }},
            {optimizer_range::lr, [](const TrainConfig& c) { return c.optimizer.lr; }},
            {optimizer_range::beta1, [](const TrainConfig& c) { return c.optimizer.beta1; }},
            {optimizer_range::beta2, [](const TrainConfig& c) { return c.optimizer.beta2; }},
            {optimizer_range::alpha, [](const TrainConfig& c) { return c.optimizer.alpha; }},
            {optimizer_range::momentum, [](const TrainConfig& c) { return c.optimizer.momentum; }},
            {optimizer_range::eps, [](const TrainConfig& c) { return c.optimizer.eps; }},
            {optimizer_range::weight_decay, [](const TrainConfig& c) { return c.optimizer.weight_decay; }},
            {optimizer_range::lr_decay, [](const TrainConfig& c) { return c.optimizer.lr_decay; }},
            {optimizer_range::lr_decay_every, [](const TrainConfig& c) { return double(c.optimizer.lr_decay_every); }},
            {optimizer_range::lr_decay_start, [](const TrainConfig& c) { return double(c.optimizer.lr_decay_start); }, false},
            {optimizer_range::lr_decay_steps, [](const TrainConfig& c) { return double(c.optimizer.lr_decay_steps); }, false},
            {optimizer_range::lr_min, [](const TrainConfig& c) { return c.optimizer.lr_min; }},
            {limits::clip_norm, [](const TrainConfig& c) { return c.clip_norm; }},
            {{"clip_value", 0, 1e9}, [](const TrainConfig& c) { return c.clip_value; }},
            {{"ema", 0, 0.999999}, [](const TrainConfig& c) { return c.ema; }, true, true},
            {limits::time_budget, [](const TrainConfig& c) { return c.time_budget; }, false},
            {{"steps", 0, limits::kMaxCount, true}, [](const TrainConfig& c) { return double(c.steps); }, false},
            {{"eval_every", 1, limits::kMaxCount, true}, [](const TrainConfig& c) { return double(c.eval_every); }},
            {limits::monitor_every, [](const TrainConfig& c) { return double(c.monitor_every); }, false}, // not kept
            {{"eval_batch", 1, 65536, true}, [](const TrainConfig& c) { return double(c.eval_batch); }},
            {limits::seed, [](const TrainConfig& c) { return double(c.seed); }, false},
            {limits::threads, [](const TrainConfig& c) { return double(c.threads); }},
            {limits::max_memory, [](const TrainConfig& c) { return double(c.max_memory); }, false}, // not kept
        };

        // A checkpoint's config as written: "hidden_size -1", not the 2^64 - 1 get_to makes of it
        void check_config_json(const json& j)
        {
            for (const Field& f : kFields)
                if (f.on_load)
                    check_json_range(j, std::string("/") + f.range.name, f.range, f.optional);
                else if (f.range.whole) // every whole field here is unsigned
                    check_json_fits<std::uint64_t>(j, std::string("/") + f.range.name, f.range.name);
        }
    }

    const ValueRange& train_config_range(std::string_view field)
    {
        for (const Field& f : kFields)
            if (field == f.range.name)
                return f.range;
        throw std::logic_error("xrnn: TrainConfig has no range for '" + std::string(field) + "'");
    }

    void check_train_config(const TrainConfig& c)
    {
        for (const Field& f : kFields)
            check_range(f.range, f.get(c));
    }

    // ---- resume, model, JSON

    TrainConfig resumed_config(const TrainConfig& saved, const ResumeOverrides& o)
    {
        TrainConfig c = saved;
        c.time_budget = o.time_budget;
        c.steps = o.steps;
        if (o.eval_every > 0)
            c.eval_every = o.eval_every;
        c.monitor_every = o.monitor_every;
        c.max_memory = o.max_memory;
        if (!o.out.empty())
            c.out = o.out;
        if (!o.data.empty())
            c.data = o.data;
        return c;
    }

    CharModelConfig model_config(const TrainConfig& c, std::size_t vocab_size)
    {
        CharModelConfig m;
        m.vocab_size = vocab_size;
        m.embed_size = c.embed_size;
        m.dropout = c.dropout;
        m.weight_drop = c.weight_drop;
        m.rnn.cell = cell_from_name(c.cell);
        m.rnn.hidden_size = c.hidden_size;
        m.rnn.num_layers = c.num_layers;
        m.rnn.activation = activation_from_name(c.activation);
        m.rnn.recurrent_activation = activation_from_name(c.recurrent_activation);
        return m;
    }

    InitConfig init_config(const TrainConfig& c)
    {
        InitConfig i;
        i.seed = c.seed;
        i.recurrent = recurrent_init_from_name(c.init);
        if (c.forget_bias != 0.0) // the stack refuses it for cells without a forget gate
            i.forget_bias = c.forget_bias;
        return i;
    }

    json config_to_json(const TrainConfig& c)
    {
        const auto& o = c.optimizer;
        return json{{"data", c.data}, {"vocab", c.vocab}, {"cell", c.cell}, {"hidden_size", c.hidden_size},
                    {"num_layers", c.num_layers}, {"embed_size", c.embed_size}, {"activation", c.activation},
                    {"recurrent_activation", c.recurrent_activation}, {"dropout", c.dropout}, {"init", c.init},
                    {"forget_bias", c.forget_bias}, {"batch_size", c.batch_size}, {"seq_len", c.seq_len},
                    {"optimizer", optimizer_name(o.kind)}, {"lr", o.lr}, {"beta1", o.beta1}, {"beta2", o.beta2},
                    {"alpha", o.alpha}, {"momentum", o.momentum}, {"eps", o.eps},
                    {"weight_decay", o.weight_decay}, {"lr_decay", o.lr_decay},
                    {"lr_decay_every", o.lr_decay_every}, {"lr_decay_start", o.lr_decay_start}, {"lr_min", o.lr_min},
                    {"lr_schedule", lr_schedule_name(o.schedule)}, {"lr_decay_steps", o.lr_decay_steps},
                    {"clip_norm", c.clip_norm}, {"clip_value", c.clip_value}, {"ema", c.ema}, {"weight_drop", c.weight_drop}, {"time_budget", c.time_budget},
                    {"steps", c.steps}, {"eval_every", c.eval_every}, {"eval_batch", c.eval_batch},
                    {"seed", c.seed}, {"threads", c.threads}, {"out", c.out}};
    }

    TrainConfig config_from_json(const json& j)
    {
        check_config_json(j); // a forged hidden_size fails here, not in an allocation
        TrainConfig c;
        j.at("data").get_to(c.data);
        j.at("vocab").get_to(c.vocab);
        j.at("cell").get_to(c.cell);
        j.at("hidden_size").get_to(c.hidden_size);
        j.at("num_layers").get_to(c.num_layers);
        j.at("embed_size").get_to(c.embed_size);
        j.at("activation").get_to(c.activation);
        j.at("recurrent_activation").get_to(c.recurrent_activation);
        j.at("dropout").get_to(c.dropout);
        j.at("init").get_to(c.init);
        j.at("forget_bias").get_to(c.forget_bias);
        j.at("batch_size").get_to(c.batch_size);
        j.at("seq_len").get_to(c.seq_len);
        auto& o = c.optimizer;
        o.kind = optimizer_from_name(j.at("optimizer").get<std::string>());
        j.at("lr").get_to(o.lr);
        j.at("beta1").get_to(o.beta1);
        j.at("beta2").get_to(o.beta2);
        j.at("alpha").get_to(o.alpha);
        j.at("momentum").get_to(o.momentum);
        j.at("eps").get_to(o.eps);
        j.at("weight_decay").get_to(o.weight_decay);
        j.at("lr_decay").get_to(o.lr_decay);
        j.at("lr_decay_every").get_to(o.lr_decay_every);
        j.at("lr_decay_start").get_to(o.lr_decay_start);
        j.at("lr_min").get_to(o.lr_min);
        // added after format 1 was in use: absent in older checkpoints
        o.schedule = lr_schedule_from_name(j.value("lr_schedule", std::string("step")));
        o.lr_decay_steps = j.value("lr_decay_steps", std::uint64_t{0});
        c.ema = j.value("ema", 0.0);
        c.weight_drop = j.value("weight_drop", 0.0);
        j.at("clip_norm").get_to(c.clip_norm);
        j.at("clip_value").get_to(c.clip_value);
        j.at("time_budget").get_to(c.time_budget);
        j.at("steps").get_to(c.steps);
        j.at("eval_every").get_to(c.eval_every);
        j.at("eval_batch").get_to(c.eval_batch);
        j.at("seed").get_to(c.seed);
        j.at("threads").get_to(c.threads);
        j.at("out").get_to(c.out);
        return c;
    }
}
