// charlm/src/char_train.cpp -- see char_train.hpp.
#include "xrnn/charlm/char_train.hpp"

#include "xrnn/blas.hpp"
#include "xrnn/charlm/char_memory.hpp"
#include "xrnn/charlm/train_report.hpp"
#include "xrnn/check.hpp"
#include "xrnn/checkpoint.hpp" // fnv1a
#include "xrnn/input_file.hpp" // format_bytes
#include "xrnn/run_folder.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>

namespace xrnn
{
    namespace fs = std::filesystem;

    // ---------------------------------------------------------------------------------------

    CharTrainer::CharTrainer(const TrainConfig& config, Communicator* comm) : config_(config)
    {
        if (comm)
            comm_ = comm;
        const std::size_t ranks = static_cast<std::size_t>(comm_->size());
        XRNN_CHECK(config.batch_size % ranks == 0,
                   "batch_size " + std::to_string(config.batch_size) + " does not split evenly over " + std::to_string(ranks)
                       + " processes: give a multiple of " + std::to_string(ranks) + " (each process trains batch_size / "
                       + std::to_string(ranks) + " of the streams)");
        local_batch_ = config.batch_size / ranks;
        XRNN_CHECK(config.batch_size > 0, "batch_size must be > 0");
        XRNN_CHECK(config.seq_len > 0, "seq_len must be > 0");
        XRNN_CHECK(config.eval_every > 0, "eval_every must be > 0");
        XRNN_CHECK(config.eval_batch > 0, "eval_batch must be > 0");
        XRNN_CHECK(config.threads >= 1, "threads must be >= 1");
        XRNN_CHECK(config.clip_norm >= 0 && config.clip_value >= 0, "clip_norm and clip_value must be >= 0 (0 = off)");
        XRNN_CHECK(config.time_budget >= 0, "time_budget must be >= 0");
        blas::set_threads(config.threads);
        const std::string text = read_file(config.data);
        XRNN_CHECK(!text.empty(), "'" + config.data + "' is empty: there is nothing to train on");
        data_hash_ = fnv1a(text);
        corpus_ = load_corpus(config.data, 0.1, config.vocab);
        // refuse what the machine cannot hold before allocating any of it
        check_char_memory(config, corpus_.vocab.size(), corpus_.file_bytes, true);
        XRNN_CHECK(corpus_.val.size() >= 2, "'" + config.data + "' is too short: its last 10% (validation) holds "
                                                + std::to_string(corpus_.val.size()) + " bytes; need at least 2");
        batcher_ = std::make_unique<StreamBatcher>(corpus_.train, config.batch_size, config.seq_len);
        model_ = std::make_unique<CharModel<float>>(model_config(config, corpus_.vocab.size()), init_config(config));
        opt_ = std::make_unique<Optimizer<float>>(config.optimizer);
        if (config.ema > 0)
            ema_ = std::make_unique<WeightAverage<float>>(config.ema);
        x_.resize(local_batch_ * config.seq_len);
        y_.resize(x_.size());
        if (ranks > 1)
        {
            all_x_.resize(config.batch_size * config.seq_len);
            all_y_.resize(all_x_.size());
            fused_.resize(model_->num_parameters() + 1);
            check_same_run();
        }
    }

    void CharTrainer::check_same_run() const
    {
        // rank 0's flags and data, as JSON, against this rank's: a difference is named, field by field
        nlohmann::json mine = config_to_json(config_);
        mine["data_hash"] = data_hash_;
        check_same_as_root(*comm_, mine);
    }

    void CharTrainer::gather_state()
    {
        const RecurrentState<float>& s = model_->rnn().carried_state();
        saved_state_ = RecurrentState<float>{};
        if (s.h.size() == 0) // every rank resets at the same step
            return;
        const std::size_t L = s.h.shape()[0], b = local_batch_, H = s.h.shape()[2], ranks = comm_->size();
        const std::size_t n = L * b * H;
        std::vector<float> all(comm_->root() ? ranks * n : 0);
        auto collect = [&](const Tensor3<float>& local, Tensor3<float>& out) {
            comm_->gather(local.data(), n, all.data());
            if (!comm_->root())
                return;
            out = Tensor3<float>::from_shape({L, b * ranks, H});
            for (std::size_t r = 0; r < ranks; ++r) // rank r holds streams r*b .. r*b+b-1 of every layer
                for (std::size_t l = 0; l < L; ++l)
                    std::copy_n(all.data() + r * n + l * b * H, b * H, out.data() + (l * b * ranks + r * b) * H);
        };
        collect(s.h, saved_state_.h);
        if (s.c.size())
            collect(s.c, saved_state_.c);
    }

    StepResult CharTrainer::train_step()
    {
        if (chunk_ >= batcher_->chunks_per_epoch())
        {
            chunk_ = 0;
            ++epoch_;
            model_->reset_state(); // the streams start over: the carried state means nothing now
        }
        const std::size_t T = config_.seq_len, b = local_batch_;
        if (comm_->size() > 1) // this rank's streams of the chunk
        {
            batcher_->chunk(chunk_, all_x_.data(), all_y_.data());
            const std::size_t B = config_.batch_size, first = static_cast<std::size_t>(comm_->rank()) * b;
            for (std::size_t t = 0; t < T; ++t)
            {
                std::copy_n(all_x_.data() + t * B + first, b, x_.data() + t * b);
                std::copy_n(all_y_.data() + t * B + first, b, y_.data() + t * b);
            }
        }
        else
            batcher_->chunk(chunk_, x_.data(), y_.data());
        model_->set_training(true);
        model_->zero_grad();
        const bool monitored = config_.monitor_every > 0 && (step_ + 1) % config_.monitor_every == 0;
        model_->rnn().set_flow_trace(monitored); // the trace is filled by this step's backward
        StepResult r;
        r.loss = model_->forward(x_.data(), y_.data(), T, b, true);
        const auto spans = model_->spans();
        if (comm_->size() > 1)
        {
            // one allreduce of every gradient and the loss; each rank's are means over its own
            // streams, so the mean over ranks is the whole batch's (equal shares)
            float* f = fused_.data();
            for (const auto& sp : spans)
                f = std::copy_n(sp.grads, sp.size, f);
            *f = static_cast<float>(r.loss);
            comm_->allreduce_sum(fused_.data(), fused_.size());
            const float inv = 1.0f / static_cast<float>(comm_->size());
            f = fused_.data();
            for (const auto& sp : spans)
                for (std::size_t i = 0; i < sp.size; ++i)
                    sp.grads[i] = *f++ * inv;
            r.loss = static_cast<double>(*f) * inv;
        }
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
                           std::size_t seq_len, Communicator* comm)
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
        // with ranks, each scores its share of the streams (rank r: streams first .. first+s-1);
        // the last rank holds the last stream and so the rest
        const std::size_t ranks = comm ? static_cast<std::size_t>(comm->size()) : 1;
        const std::size_t rank = comm ? static_cast<std::size_t>(comm->rank()) : 0;
        const std::size_t first = S * rank / ranks, s = S * (rank + 1) / ranks - first;
        double sums[2] = {0, 0}; // loss sum, tokens
        std::vector<std::int32_t> x, y;
        for (std::size_t start = 0; start < L && s > 0; start += seq_len)
        {
            const std::size_t T = std::min(seq_len, L - start);
            x.resize(T * s);
            y.resize(T * s);
            for (std::size_t b = 0; b < s; ++b)
                for (std::size_t t = 0; t < T; ++t)
                {
                    x[t * s + b] = tokens[(first + b) * L + start + t];
                    y[t * s + b] = tokens[(first + b) * L + start + t + 1];
                }
            sums[0] += model.forward(x.data(), y.data(), T, s, false) * static_cast<double>(T * s);
            sums[1] += static_cast<double>(T * s);
        }
        const std::size_t rest = (n - 1) - S * L;
        if (rest > 0 && rank == ranks - 1)
        {
            const auto& carried = model.rnn().carried_state();
            RecurrentState<float> last;
            last.h = xt::view(carried.h, xt::all(), xt::range(s - 1, s), xt::all());
            if (carried.c.size())
                last.c = xt::view(carried.c, xt::all(), xt::range(s - 1, s), xt::all());
            model.rnn().set_carried_state(last);
            x.assign(tokens.begin() + static_cast<std::ptrdiff_t>(S * L), tokens.end() - 1);
            y.assign(tokens.begin() + static_cast<std::ptrdiff_t>(S * L + 1), tokens.end());
            sums[0] += model.forward(x.data(), y.data(), rest, 1, false) * static_cast<double>(rest);
            sums[1] += static_cast<double>(rest);
        }
        if (comm)
            comm->allreduce_sum(sums, 2);
        model.reset_state();
        model.set_training(was_training);
        XRNN_ASSERT(static_cast<std::size_t>(sums[1]) == n - 1);
        return sums[0] / sums[1];
    }

    double CharTrainer::evaluate()
    {
        const RecurrentState<float> keep = model_->rnn().carried_state();
        const bool averaged = ema_ && !ema_->values().empty();
        if (averaged)
            ema_->swap_into(model_->spans());
        const double v = evaluate_tokens(*model_, corpus_.val, config_.eval_batch, config_.seq_len, comm_);
        if (averaged)
            ema_->swap_into(model_->spans()); // back to the raw weights training continues from
        model_->rnn().set_carried_state(keep);
        return v;
    }

    std::uint64_t CharTrainer::checkpoint_bytes() const
    {
        // parameters, optimizer moments, weight average, carried state, metadata (save())
        const std::size_t n = model_->num_parameters();
        const std::size_t state = 2 * config_.num_layers * config_.batch_size * config_.hidden_size;
        return 4 * (n * (1 + 2 + (ema_ ? 1 : 0)) + state) + (16 << 10);
    }

    int CharTrainer::run(std::ostream& progress, const std::atomic<bool>& stop, const FieldNames& names)
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
            folder.emplace(config_.out, "xrnn-charlm train", "out");
        const std::string last_path = (fs::path(config_.out) / "last.ckpt").string();
        const std::string best_path = (fs::path(config_.out) / "best.ckpt").string();
        if (root)
        {
            folder->check_room(checkpoint_bytes());
            if (folder->removed_temps() > 0)
                out << "removed " << folder->removed_temps() << " unfinished checkpoint temp file"
                    << (folder->removed_temps() == 1 ? "" : "s") << " (" << format_bytes(folder->removed_temp_bytes())
                    << ") left by a killed run\n";
        }
        // a save that fails (a full disk) ends the run saying what is still in place
        std::uint64_t landed_step = 0;
        bool landed = false;
        auto save_or_say = [&](const std::string& path) {
            if (parallel)
                gather_state(); // collective: every rank, every save
            if (!root)
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
        const std::size_t tokens_per_step = config_.batch_size * config_.seq_len;
        out << run_header(config_, model_->num_parameters(), corpus_.vocab.size(), corpus_.train.size(),
                               corpus_.val.size(), step_);

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
            EvalRecord rec;
            rec.step = step_;
            rec.seconds = elapsed_;
            rec.train_loss = loss_n ? loss_sum / static_cast<double>(loss_n) : NAN;
            rec.val_loss = val;
            rec.grad_norm = loss_n ? norm_sum / static_cast<double>(loss_n) : NAN;
            rec.clip_fraction = clips_.clip_fraction_recent();
            rec.lr = opt_->current_lr();
            rec.epoch = epoch_;
            // best first, then last (the resume point), then the metrics line: a kill between them
            // leaves no line for an evaluation whose checkpoint did not land
            if (best)
                save_or_say(best_path);
            save_or_say(last_path);
            if (root)
                folder->append_metrics(metrics_record(rec));
            out << eval_line(rec, best, final) << std::flush;
            loss_sum = norm_sum = 0;
            loss_n = 0;
        };

        // Stop and finish as one: a Ctrl-C reaches the ranks at different steps and only rank 0's
        // clock counts for --time-budget, so every step they vote (one tiny allreduce).
        bool stopping = false;
        double step_seconds = 0, reduce_seconds = 0; // in train_step, and of that in its allreduce
        comm_->take_reduce_seconds();
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
                out << interrupted_line(step_, last_path, names);
                return 130;
            }
            const auto step_start = clock::now();
            const StepResult r = train_step();
            step_seconds += std::chrono::duration<double>(clock::now() - step_start).count();
            reduce_seconds += comm_->take_reduce_seconds();
            if (!std::isfinite(r.loss) || !std::isfinite(r.grad_norm))
            {
                elapsed_ = now_elapsed();
                out << diverged_line(step_ + 1, r.loss, r.grad_norm, fs::exists(last_path) ? last_path : "",
                                          config_, names);
                return 3;
            }
            loss_sum += r.loss;
            norm_sum += r.grad_norm;
            ++loss_n;
            if (r.monitor)
            {
                if (root)
                    folder->append_metrics(monitor_record(*r.monitor));
                // a warning line when the diagnosis turns unhealthy or changes; the log has them all
                if (r.monitor->diagnosis != FlowDiagnosis::healthy && r.monitor->diagnosis != last_diagnosis)
                    out << monitor_warning(step_, *r.monitor);
                last_diagnosis = r.monitor->diagnosis;
            }
            const auto now = clock::now();
            if (std::chrono::duration<double>(now - last_print).count() >= 1.0)
            {
                last_print = now;
                const double run_s = std::chrono::duration<double>(now - t0).count();
                const double tps = static_cast<double>((step_ - step0) * tokens_per_step) / run_s;
                double eta = -1; // no run length: no ETA
                if (config_.time_budget > 0)
                    eta = config_.time_budget - now_elapsed();
                if (config_.steps > 0)
                {
                    const double by_steps = static_cast<double>(config_.steps - step_) * run_s / static_cast<double>(step_ - step0);
                    eta = config_.time_budget > 0 ? std::min(eta, by_steps) : by_steps;
                }
                if (config_.time_budget > 0 || config_.steps > 0)
                    eta = std::max(0.0, eta);
                out << progress_line(step_, tps, r.loss, last_val, r.grad_norm, eta) << std::flush;
            }
            if (step_ % config_.eval_every == 0)
                eval_and_save(false);
        }
        if (loss_n > 0 || step_ == step0)
            eval_and_save(true);
        out << summary_line(best_val_, best_step_, config_.out);
        if (step_ > step0) // where a step's time goes (the data-parallel measurements read this line)
        {
            const double n = static_cast<double>(step_ - step0);
            auto fmt_fixed = [](double v, int digits) {
                char b[64];
                std::snprintf(b, sizeof b, "%.*f", digits, v);
                return std::string(b);
            };
            out << "steps: " << step_ - step0 << " in " << fmt_fixed(step_seconds, 1) << " s, "
                << fmt_fixed(1000 * step_seconds / n, 1) << " ms per step";
            if (parallel)
                out << ", of which allreduce (and waiting for the slowest rank) " << fmt_fixed(1000 * reduce_seconds / n, 2)
                    << " ms (" << fmt_fixed(100 * reduce_seconds / std::max(step_seconds, 1e-9), 1) << "%)";
            out << "\n";
        }
        return 0;
    }
}
