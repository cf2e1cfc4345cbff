// charlm/src/train_config.cpp -- see train_config.hpp.
#include "xrnn/charlm/train_config.hpp"

#include "xrnn/check.hpp"

#include <nlohmann/json.hpp>

namespace xrnn
{
    using json = nlohmann::json;

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
