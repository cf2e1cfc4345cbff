// charlm/src/char_train.cpp -- see char_train.hpp.
#include "xrnn/charlm/char_train.hpp"

#include "xrnn/checkpoint.hpp"
#include "xrnn/check.hpp"
#include "xrnn/blas.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <ostream>
#include <sstream>

namespace xrnn
{
    using json = nlohmann::json;
    namespace fs = std::filesystem;

    namespace
    {
        std::uint64_t fnv1a(const std::string& s)
        {
            std::uint64_t h = 1469598103934665603ull;
            for (unsigned char c : s)
            {
                h ^= c;
                h *= 1099511628211ull;
            }
            return h;
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
            if (c.forget_bias != 0.0)
            {
                XRNN_CHECK(c.cell == "lstm", "--forget-bias applies to lstm cells only");
                i.forget_bias = c.forget_bias;
            }
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

        std::string fmt(double v, int prec)
        {
            std::ostringstream os;
            os << std::fixed << std::setprecision(prec) << v;
            return os.str();
        }

        std::string duration(double s)
        {
            const long t = static_cast<long>(s + 0.5);
            char b[32];
            std::snprintf(b, sizeof(b), "%ld:%02ld", t / 60, t % 60);
            return b;
        }
    }

    // ---------------------------------------------------------------------------------------

    CharTrainer::CharTrainer(const TrainConfig& config) : config_(config)
    {
        XRNN_CHECK(config.batch_size > 0, "--batch-size must be > 0");
        XRNN_CHECK(config.seq_len > 0, "--seq-len must be > 0");
        XRNN_CHECK(config.eval_every > 0, "--eval-every must be > 0");
        XRNN_CHECK(config.eval_batch > 0, "eval batch must be > 0");
        XRNN_CHECK(config.threads >= 1, "--threads must be >= 1");
        XRNN_CHECK(config.clip_norm >= 0 && config.clip_value >= 0, "clip thresholds must be >= 0 (0 = off)");
        XRNN_CHECK(config.time_budget >= 0, "--time-budget must be >= 0");
        blas::set_threads(config.threads);
        const std::string text = read_file(config.data);
        XRNN_CHECK(!text.empty(), "'" + config.data + "' is empty: there is nothing to train on");
        data_hash_ = fnv1a(text);
        corpus_ = load_corpus(config.data, 0.1, config.vocab);
        XRNN_CHECK(corpus_.val.size() >= 2, "'" + config.data + "' is too short: its last 10% (validation) holds "
                                                + std::to_string(corpus_.val.size()) + " bytes; need at least 2");
        batcher_ = std::make_unique<StreamBatcher>(corpus_.train, config.batch_size, config.seq_len);
        model_ = std::make_unique<CharModel<float>>(model_config(config, corpus_.vocab.size()), init_config(config));
        opt_ = std::make_unique<Optimizer<float>>(config.optimizer);
        if (config.ema > 0)
            ema_ = std::make_unique<WeightAverage<float>>(config.ema);
        x_.resize(config.batch_size * config.seq_len);
        y_.resize(x_.size());
    }

    StepResult CharTrainer::train_step()
    {
        if (chunk_ >= batcher_->chunks_per_epoch())
        {
            chunk_ = 0;
            ++epoch_;
            model_->reset_state(); // the streams start over: the carried state means nothing now
        }
        batcher_->chunk(chunk_, x_.data(), y_.data());
        model_->set_training(true);
        model_->zero_grad();
        const bool monitored = config_.monitor_every > 0 && (step_ + 1) % config_.monitor_every == 0;
        model_->rnn().set_flow_trace(monitored); // the trace is filled by this step's backward
        StepResult r;
        r.loss = model_->forward(x_.data(), y_.data(), config_.seq_len, config_.batch_size, true);
        const auto spans = model_->spans();
        if (config_.clip_value > 0)
            clip_by_value(spans, config_.clip_value);
        ClipResult c;
        if (config_.clip_norm > 0)
            c = clip_by_global_norm(spans, config_.clip_norm);
        else
            c.norm_before = c.norm_after = global_grad_norm(spans);
        r.grad_norm = c.norm_before;
        r.clipped = c.clipped;
        monitor_.record_step(c);
        if (monitored)
            r.monitor = monitor_.report(step_ + 1, model_->rnn(),
                                        {{"", &model_->own_params()}, {"rnn.", &model_->rnn().params()}}, c, false);
        if (!std::isfinite(r.loss) || !std::isfinite(r.grad_norm))
            return r; // no update: the parameters stay as they were (the caller stops)
        opt_->step(spans);
        if (ema_)
            ema_->update(spans, opt_->steps());
        clips_.record(r.clipped);
        ++chunk_;
        ++step_;
        return r;
    }

    double evaluate_tokens(CharModel<float>& model, const std::vector<std::int32_t>& tokens, std::size_t streams,
                           std::size_t seq_len)
    {
        XRNN_CHECK(tokens.size() >= 2, "need at least 2 tokens to evaluate");
        const bool was_training = model.training();
        model.set_training(false);
        model.reset_state();
        // Streams of length L (the first token of each is context only); the (n-1) - S*L tokens
        // left over at the end are predicted after, continuing the last stream's state, so that
        // every token but the first is scored exactly once with its whole history.
        const std::size_t n = tokens.size();
        const std::size_t S = std::max<std::size_t>(1, std::min(streams, (n - 1) / std::max<std::size_t>(seq_len, 1)));
        const std::size_t L = (n - 1) / S;
        double total = 0;
        std::size_t counted = 0;
        std::vector<std::int32_t> x, y;
        for (std::size_t start = 0; start < L; start += seq_len)
        {
            const std::size_t T = std::min(seq_len, L - start);
            x.resize(T * S);
            y.resize(T * S);
            for (std::size_t b = 0; b < S; ++b)
                for (std::size_t t = 0; t < T; ++t)
                {
                    x[t * S + b] = tokens[b * L + start + t];
                    y[t * S + b] = tokens[b * L + start + t + 1];
                }
            total += model.forward(x.data(), y.data(), T, S, false) * static_cast<double>(T * S);
            counted += T * S;
        }
        const std::size_t rest = (n - 1) - S * L;
        if (rest > 0)
        {
            const auto& carried = model.rnn().carried_state();
            RecurrentState<float> last;
            last.h = xt::view(carried.h, xt::all(), xt::range(S - 1, S), xt::all());
            if (carried.c.size())
                last.c = xt::view(carried.c, xt::all(), xt::range(S - 1, S), xt::all());
            model.rnn().set_carried_state(last);
            x.assign(tokens.begin() + static_cast<std::ptrdiff_t>(S * L), tokens.end() - 1);
            y.assign(tokens.begin() + static_cast<std::ptrdiff_t>(S * L + 1), tokens.end());
            total += model.forward(x.data(), y.data(), rest, 1, false) * static_cast<double>(rest);
            counted += rest;
        }
        model.reset_state();
        model.set_training(was_training);
        XRNN_ASSERT(counted == n - 1);
        return total / static_cast<double>(counted);
    }

    double CharTrainer::evaluate()
    {
        const RecurrentState<float> keep = model_->rnn().carried_state();
        const bool averaged = ema_ && !ema_->values().empty();
        if (averaged)
            ema_->swap_into(model_->spans());
        const double v = evaluate_tokens(*model_, corpus_.val, config_.eval_batch, config_.seq_len);
        if (averaged)
            ema_->swap_into(model_->spans()); // back to the raw weights training continues from
        model_->rnn().set_carried_state(keep);
        return v;
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

    std::unique_ptr<CharTrainer> CharTrainer::resume(const std::string& path, const TrainConfig& overrides)
    {
        ModelPart p = read_model_part(path);
        TrainConfig c = p.config;
        c.time_budget = overrides.time_budget;
        c.steps = overrides.steps;
        c.monitor_every = overrides.monitor_every;
        if (!overrides.out.empty())
            c.out = overrides.out;
        if (!overrides.data.empty())
            c.data = overrides.data;
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

    int CharTrainer::run(std::ostream& progress, const std::atomic<bool>& stop)
    {
        using clock = std::chrono::steady_clock;
        std::error_code ec;
        fs::create_directories(config_.out, ec);
        const std::string last_path = (fs::path(config_.out) / "last.ckpt").string();
        const std::string best_path = (fs::path(config_.out) / "best.ckpt").string();
        const std::string log_path = (fs::path(config_.out) / "metrics.jsonl").string();
        {
            // fail now, not after minutes of training, if the folder cannot take a checkpoint
            const std::string probe = (fs::path(config_.out) / ".write-test").string();
            std::ofstream t(probe);
            if (!t)
                detail::fail("cannot write to output folder '" + config_.out + "'"
                             + (ec ? ": " + ec.message() : std::string()) + "; choose another with --out");
            t.close();
            fs::remove(probe, ec);
        }
        std::ofstream log(log_path, std::ios::app);
        const std::size_t tokens_per_step = config_.batch_size * config_.seq_len;
        progress << "xrnn-charlm: " << config_.cell << " " << config_.num_layers << "x" << config_.hidden_size
                 << " (" << model_->num_parameters() << " parameters), vocab " << corpus_.vocab.size() << ", train "
                 << corpus_.train.size() << " / val " << corpus_.val.size() << " chars, batch "
                 << config_.batch_size << "x" << config_.seq_len << ", " << config_.threads << " threads"
                 << (step_ > 0 ? ", resumed at step " + std::to_string(step_) : std::string()) << "\n";

        const double elapsed0 = elapsed_;
        const std::uint64_t step0 = step_;
        const auto t0 = clock::now();
        auto last_print = t0;
        double loss_sum = 0, norm_sum = 0, last_val = best_val_;
        FlowDiagnosis last_diagnosis = FlowDiagnosis::healthy;
        std::size_t loss_n = 0;
        auto now_elapsed = [&] { return elapsed0 + std::chrono::duration<double>(clock::now() - t0).count(); };
        auto done = [&] {
            return (config_.steps > 0 && step_ >= config_.steps)
                   || (config_.time_budget > 0 && now_elapsed() >= config_.time_budget);
        };
        auto eval_and_save = [&](bool final) {
            elapsed_ = now_elapsed();
            const double val = evaluate();
            last_val = val;
            const bool best = best_val_ == 0 || val < best_val_;
            if (best)
            {
                best_val_ = val;
                best_step_ = step_;
            }
            elapsed_ = now_elapsed();
            json rec{{"step", step_},
                     {"seconds", std::round(elapsed_ * 1000) / 1000},
                     {"train_loss", loss_n ? loss_sum / static_cast<double>(loss_n) : NAN},
                     {"val_loss", val},
                     {"val_bpc", val / std::log(2.0)},
                     {"grad_norm", loss_n ? norm_sum / static_cast<double>(loss_n) : NAN},
                     {"clip_fraction", clips_.clip_fraction_recent()},
                     {"lr", opt_->current_lr()},
                     {"epoch", epoch_}};
            log << rec.dump() << "\n" << std::flush;
            save(last_path);
            if (best)
                save(best_path);
            progress << "\r\033[K" << "step " << step_ << "  " << duration(elapsed_) << "  train " << fmt(loss_n ? loss_sum / loss_n : NAN, 4)
                     << "  val " << fmt(val, 4) << " (" << fmt(val / std::log(2.0), 3) << " bpc)"
                     << (best ? "  best" : "") << (final ? "  [final]" : "") << "\n"
                     << std::flush;
            loss_sum = norm_sum = 0;
            loss_n = 0;
        };

        while (!done())
        {
            if (stop.load())
            {
                elapsed_ = now_elapsed();
                save(last_path);
                progress << "\r\033[K" << "interrupted at step " << step_ << ": saved " << last_path
                         << " (resume with --resume " << last_path << ")\n";
                return 130;
            }
            const StepResult r = train_step();
            if (!std::isfinite(r.loss) || !std::isfinite(r.grad_norm))
            {
                elapsed_ = now_elapsed();
                progress << "\r\033[K" << "stopped: at step " << step_ + 1 << " the "
                         << (!std::isfinite(r.loss) ? "loss" : "gradient norm") << " is not finite (loss "
                         << r.loss << ", gradient norm " << r.grad_norm
                         << "): training diverged. The update was not applied; "
                         << (fs::exists(last_path) ? "the last good checkpoint is " + last_path
                                                   : std::string("no checkpoint was written yet"))
                         << ". Try a lower --lr (now " << config_.optimizer.lr << ") or --clip-norm (now "
                         << config_.clip_norm << ").\n";
                return 3;
            }
            loss_sum += r.loss;
            norm_sum += r.grad_norm;
            ++loss_n;
            if (r.monitor)
            {
                log << "{\"type\":\"monitor\"," << monitor_json(*r.monitor).substr(1) << "\n" << std::flush;
                // a warning line when the diagnosis turns unhealthy or changes; the log has them all
                if (r.monitor->diagnosis != FlowDiagnosis::healthy && r.monitor->diagnosis != last_diagnosis)
                    progress << "\r\033[K" << "gradient monitor, step " << step_ << ": " << r.monitor->summary() << "\n";
                last_diagnosis = r.monitor->diagnosis;
            }
            const auto now = clock::now();
            if (std::chrono::duration<double>(now - last_print).count() >= 1.0)
            {
                last_print = now;
                const double run_s = std::chrono::duration<double>(now - t0).count();
                const double tps = static_cast<double>((step_ - step0) * tokens_per_step) / run_s;
                double eta = 0;
                if (config_.time_budget > 0)
                    eta = config_.time_budget - now_elapsed();
                if (config_.steps > 0)
                {
                    const double by_steps = static_cast<double>(config_.steps - step_) * run_s / static_cast<double>(step_ - step0);
                    eta = config_.time_budget > 0 ? std::min(eta, by_steps) : by_steps;
                }
                progress << "\r\033[K" << "step " << step_ << "  " << fmt(tps, 0) << " tok/s  train "
                         << fmt(r.loss, 4) << "  val " << (last_val > 0 ? fmt(last_val, 4) : std::string("-"))
                         << "  |g| " << fmt(r.grad_norm, 2)
                         << ((config_.time_budget > 0 || config_.steps > 0) ? "  ETA " + duration(std::max(0.0, eta)) : std::string())
                         << std::flush;
            }
            if (step_ % config_.eval_every == 0)
                eval_and_save(false);
        }
        if (loss_n > 0 || step_ == step0)
            eval_and_save(true);
        progress << "best val " << fmt(best_val_, 4) << " nats/char at step " << best_step_ << "; checkpoints in "
                 << config_.out << "\n";
        return 0;
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
