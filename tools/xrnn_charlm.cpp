// tools/xrnn_charlm.cpp -- xrnn-charlm: train, sample and evaluate character-level language
// models. Only the flags: the work is the char-LM wing's (xrnn/charlm/commands.hpp).
#include <xrnn/blas.hpp>
#include <xrnn/cell_traits.hpp>
#include <xrnn/communicator.hpp>
#include <xrnn/charlm/commands.hpp>
#include <xrnn/checkpoint.hpp>
#include <xrnn/init.hpp>
#include <xrnn/interop/state_dict.hpp>
#include <xrnn/optimizer.hpp>

#include <CLI/CLI.hpp>

#ifdef XRNN_HAVE_ONNX
#include <xrnn/onnx/onnx_export.hpp>
#endif


#include "cli_checks.hpp"
#include "job.hpp"
#include "lead_line.hpp"
#include "resume_flags.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <iterator>

using xrnn_cli::in;

namespace
{
    std::atomic<bool> g_stop{false};
    extern "C" void on_sigint(int) { g_stop.store(true); }

    // The library's errors and advice name TrainConfig / OptimizerConfig fields (batch_size) and
    // CharTrainer::resume; the user typed flags. Fields whose flag is not the field's own name
    // with dashes are not listed here.
    constexpr const char* kFlaggedFields[] = {
        "batch_size", "clip_norm", "clip_value", "dropout", "embed_size", "eval_every", "forget_bias",
        "hidden_size", "lr", "lr_decay", "lr_decay_every", "lr_decay_start", "lr_decay_steps", "lr_min",
        "max_memory", "momentum", "monitor_every", "num_layers", "out", "recurrent_activation", "resume",
        "seq_len", "threads", "time_budget", "weight_decay", "weight_drop",
    };

    // Rewrites every whole-word field name of kFlaggedFields in a library error as its flag
    // (forget_bias -> --forget-bias), leaving text in single quotes (paths, names) alone.
    std::string with_flags(const std::string& message)
    {
        auto word_char = [](char ch) { return std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-'; };
        std::string out;
        bool quoted = false;
        for (std::size_t i = 0; i < message.size();)
        {
            if (message[i] == '\'')
                quoted = !quoted;
            if (quoted || !word_char(message[i]) || (i > 0 && word_char(message[i - 1])))
            {
                out += message[i++];
                continue;
            }
            std::size_t end = i;
            while (end < message.size() && word_char(message[end]))
                ++end;
            const std::string word = message.substr(i, end - i);
            const bool field = std::find(std::begin(kFlaggedFields), std::end(kFlaggedFields), word)
                               != std::end(kFlaggedFields);
            if (field)
            {
                out += "--";
                for (char ch : word)
                    out += ch == '_' ? '-' : ch;
            }
            else
                out += word;
            i = end;
        }
        return out;
    }

    // A resumed run takes these from the command line (ResumeOverrides); every other flag must
    // match the checkpoint's config or is refused (resume_flags.hpp).
    const std::vector<std::string> kResumeFlags = {"--data", "--time-budget", "--steps", "--eval-every",
                                                   "--monitor-every", "--out", "--max-memory"};
    void refuse_changed_flags(const CLI::App& train, const xrnn::TrainConfig& given, const std::string& checkpoint)
    {
        // the whole file is read (and its checksum checked) twice, but before the data is
        const auto meta = nlohmann::json::parse(xrnn::load_checkpoint(checkpoint).meta_json, nullptr, false);
        nlohmann::json saved;
        try
        {
            // read and written back: fields older checkpoints lack get the values they are read as
            saved = xrnn::config_to_json(xrnn::config_from_json(meta.at("config")));
        }
        catch (const std::exception&)
        {
            return; // not a char-LM checkpoint, or a bad config: the resume itself says so
        }
        xrnn_cli::refuse_changed_flags(train, xrnn::config_to_json(given), saved, kResumeFlags);
    }
}

int main(int argc, char** argv)
{
    // under mpirun, train is data parallel over the ranks (char_train.hpp)
    xrnn_cli::Job job(&argc, &argv);
    xrnn::Communicator* comm = job.comm();
    CLI::App app{"xrnn-charlm: character-level language models with xrnn (RNN / GRU / LSTM)"};
    app.require_subcommand(1);
    // an option given twice takes the last value, so scripts can append overrides to a recipe
    app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

    // ---- train
    xrnn::TrainConfig tc;
    std::string resume, optimizer = "adam", lr_schedule = "step";
    auto* train = app.add_subcommand("train", "train a model on a text file (or resume one)");
    train->add_option("--data", tc.data, "text file to train on (last 10% = validation)");
    train->add_option("--vocab", tc.vocab, "vocabulary: the bytes seen in the file, or all 256")->check(CLI::IsMember({"seen", "bytes"}))->capture_default_str();
    train->add_option("--cell", tc.cell, "recurrent cell")->check(CLI::IsMember(xrnn::cell_names()))->capture_default_str();
    // the ranges are the library's (train_config.hpp), so a flag and its field agree
    auto range = [](const char* field) { return in(xrnn::train_config_range(field)); };
    train->add_option("--hidden-size", tc.hidden_size, "units per layer")->check(range("hidden_size"))->capture_default_str();
    train->add_option("--num-layers", tc.num_layers, "stacked layers")->check(range("num_layers"))->capture_default_str();
    train->add_option("--embed-size", tc.embed_size, "embedding size")->check(range("embed_size"))->capture_default_str();
    train->add_option("--activation", tc.activation, "candidate activation (Keras `activation`)")->capture_default_str();
    train->add_option("--recurrent-activation", tc.recurrent_activation, "gate activation (Keras `recurrent_activation`)")->capture_default_str();
    train->add_option("--dropout", tc.dropout, "dropout between layers and before the head")->check(range("dropout"))->capture_default_str();
    train->add_option("--weight-drop", tc.weight_drop, "DropConnect on the recurrent weights (AWD-LSTM's weight drop)")->check(range("weight_drop"))->capture_default_str();
    train->add_option("--init", tc.init, "recurrent weight init")->check(CLI::IsMember(xrnn::recurrent_init_names()))->capture_default_str();
    train->add_option("--forget-bias", tc.forget_bias, "LSTM forget-gate bias (0 = PyTorch init)")->check(range("forget_bias"))->capture_default_str();
    train->add_option("--batch-size", tc.batch_size, "streams per batch")->check(range("batch_size"))->capture_default_str();
    train->add_option("--seq-len", tc.seq_len, "BPTT steps per chunk")->check(range("seq_len"))->capture_default_str();
    train->add_option("--optimizer", optimizer, "optimizer")->check(CLI::IsMember(xrnn::optimizer_names()))->capture_default_str();
    train->add_option("--lr", tc.optimizer.lr, "learning rate")->check(range("lr"))->capture_default_str();
    train->add_option("--lr-decay", tc.optimizer.lr_decay, "multiply lr by this every --lr-decay-every steps")->check(range("lr_decay"))->capture_default_str();
    train->add_option("--lr-decay-every", tc.optimizer.lr_decay_every, "steps between lr decays")->check(range("lr_decay_every"))->capture_default_str();
    train->add_option("--lr-decay-start", tc.optimizer.lr_decay_start, "first step of the decay schedule")->check(range("lr_decay_start"))->capture_default_str();
    train->add_option("--lr-schedule", lr_schedule, "lr schedule after --lr-decay-start: step (x --lr-decay every --lr-decay-every), cosine or linear (to --lr-min over --lr-decay-steps)")->check(CLI::IsMember(xrnn::lr_schedule_names()))->capture_default_str();
    train->add_option("--lr-decay-steps", tc.optimizer.lr_decay_steps, "cosine/linear: steps from --lr-decay-start to --lr-min")->check(range("lr_decay_steps"))->capture_default_str();
    train->add_option("--lr-min", tc.optimizer.lr_min, "floor of the decayed learning rate")->check(range("lr_min"))->capture_default_str();
    train->add_option("--weight-decay", tc.optimizer.weight_decay, "decoupled weight decay")->check(range("weight_decay"))->capture_default_str();
    train->add_option("--momentum", tc.optimizer.momentum, "SGD momentum")->check(range("momentum"))->capture_default_str();
    train->add_option("--clip-norm", tc.clip_norm, "clip gradients to this global norm (0 = off)")->check(range("clip_norm"))->capture_default_str();
    train->add_option("--ema", tc.ema, "decay of a moving average of the weights used for validation, sampling and eval (e.g. 0.999; 0 = off)")->check(range("ema"))->capture_default_str();
    train->add_option("--clip-value", tc.clip_value, "clip each gradient entry to +-this (0 = off)")->check(range("clip_value"))->capture_default_str();
    train->add_option("--time-budget", tc.time_budget, "stop after this many seconds (0 = no limit)")->check(range("time_budget"));
    train->add_option("--steps", tc.steps, "stop after this many steps (0 = no limit)")->check(range("steps"));
    train->add_option("--eval-every", tc.eval_every, "steps between validation + checkpoint")->check(range("eval_every"))->capture_default_str();
    train->add_option("--monitor-every", tc.monitor_every, "steps between gradient-flow reports in metrics.jsonl (0 = off)")->check(range("monitor_every"))->capture_default_str();
    train->add_option("--seed", tc.seed, "random seed")->check(range("seed"))->capture_default_str();
    train->add_option("--threads", tc.threads, "BLAS threads")->check(range("threads"))->capture_default_str();
    train->add_option("--max-memory", tc.max_memory, "refuse a run estimated to need more memory than this (512M, 8G; 0 = what the machine has available)")->transform(xrnn_cli::bytes(xrnn::train_config_range("max_memory")))->type_name("BYTES")->capture_default_str();
    train->add_option("--out", tc.out, "output folder: last.ckpt, best.ckpt, metrics.jsonl")->check(xrnn_cli::not_empty("a folder"))->capture_default_str();
    train->add_option("--resume", resume, "continue from this checkpoint (model options come from it)");

    // ---- sample
    std::string ckpt;
    xrnn::SampleConfig sc;
    auto* sample = app.add_subcommand("sample", "generate text from a checkpoint");
    sample->add_option("--checkpoint", ckpt, "checkpoint file")->required();
    sample->add_option("--length", sc.length, "bytes to generate")->check(in(xrnn::sample_range::length))->capture_default_str();
    sample->add_option("--temperature", sc.temperature, "softmax temperature (0 = argmax)")->check(in(xrnn::sample_range::temperature))->capture_default_str();
    sample->add_option("--prime", sc.prime, "text to start from");
    sample->add_option("--seed", sc.seed, "random seed")->check(in(xrnn::limits::seed))->capture_default_str();

    // ---- eval
    std::string eval_data;
    auto* eval = app.add_subcommand("eval", "mean loss of a checkpoint on a file");
    eval->add_option("--checkpoint", ckpt, "checkpoint file")->required();
    eval->add_option("--data", eval_data, "text file")->required();
    bool raw_weights = false;
    eval->add_flag("--raw-weights", raw_weights, "evaluate the trained weights, not their moving average (runs with --ema)");

    // ---- export / import: PyTorch state_dict folders (interop/state_dict.hpp)
    std::string export_out, export_format = "torch";
    auto* exp = app.add_subcommand("export", "write a checkpoint's model as a PyTorch state_dict folder (.npy per tensor + config.json)");
    exp->add_option("--checkpoint", ckpt, "checkpoint file")->required();
    exp->add_option("--out", export_out, "new folder (torch) or file (onnx) to write")->required()->check(xrnn_cli::not_empty("a folder"));
    exp->add_option("--format", export_format, "torch: a folder, one .npy per state_dict key + config.json; "
                                               "onnx: one .onnx file (opset 17) for ONNX Runtime")
        ->check(CLI::IsMember({"torch", "onnx"}))->capture_default_str();
    exp->add_flag("--raw-weights", raw_weights, "export the trained weights, not their moving average (runs with --ema)");
    std::string import_from, import_out;
    auto* imp = app.add_subcommand("import", "make a checkpoint (for sample and eval) from a state_dict folder");
    imp->add_option("--from", import_from, "folder written by export or by examples/torch_interop.py")->required();
    imp->add_option("--out", import_out, "new checkpoint file to write")->required()->check(xrnn_cli::not_empty("a file"));

    if (const int rc = xrnn_cli::parse(app, argc, argv, "xrnn-charlm"); rc >= 0)
    {
        if (rc > 0) // the parse error is printed already
            job.end_on_error("xrnn-charlm", "bad command line", rc);
        return rc;
    }

    try
    {
        if (*train)
        {
            tc.optimizer.kind = xrnn::optimizer_from_name(optimizer);
            tc.optimizer.schedule = xrnn::lr_schedule_from_name(lr_schedule);
            if (resume.empty() && tc.data.empty())
                throw std::invalid_argument("train needs --data FILE (or --resume CHECKPOINT)");
            if (!resume.empty())
                refuse_changed_flags(*train, tc, resume);
            xrnn::ResumeOverrides overrides; // what a resumed run takes from the command line (kResumeFlags)
            overrides.data = tc.data;
            overrides.time_budget = tc.time_budget;
            overrides.steps = tc.steps;
            overrides.eval_every = train->count("--eval-every") ? tc.eval_every : 0;
            overrides.monitor_every = tc.monitor_every;
            overrides.out = train->count("--out") ? tc.out : "";
            overrides.max_memory = tc.max_memory;
            auto trainer = xrnn::start_training(tc, resume, overrides, comm);
            std::signal(SIGINT, on_sigint);
            std::signal(SIGTERM, on_sigint);
            std::signal(SIGHUP, on_sigint);   // a closed terminal or ssh session saves too
            std::signal(SIGXFSZ, SIG_IGN);    // ulimit -f: the write fails with an error, no kill
            // the kernels line leads the first progress line: a run refused at start (busy
            // folder, no room) says only its error
            std::string lead_text = "xrnn-charlm: " + xrnn::blas::kernel_info().summary();
            if (comm->size() > 1)
                lead_text += "; data parallel over " + std::to_string(comm->size()) + " MPI ranks, batch "
                             + std::to_string(trainer->config().batch_size / static_cast<std::size_t>(comm->size())) + " each";
            xrnn_cli::LeadLine lead(std::cerr, lead_text);
            std::ostream progress(&lead);
            return trainer->run(progress, g_stop, with_flags);
        }
        if (*sample)
        {
            xrnn::sample_checkpoint(ckpt, sc, [](char c) {
                std::fputc(c, stdout);
                if (c == '\n')
                    std::fflush(stdout);
            });
            std::fputc('\n', stdout);
            return 0;
        }
        if (*exp && export_format == "onnx")
        {
            xrnn_cli::refuse_existing(export_out);
#ifdef XRNN_HAVE_ONNX
            xrnn::onnx::export_char_model(xrnn::load_char_model(ckpt, raw_weights), export_out);
#else
            throw std::invalid_argument("this xrnn-charlm was built without ONNX export (it needs Debian's libonnx-dev "
                                        "and libprotobuf-dev at build time); --format torch works");
#endif
            std::printf("wrote %s (ONNX opset 17: tokens (T, B) int64, h0/c0 -> logits, probabilities, hn/cn)\n",
                        export_out.c_str());
            return 0;
        }
        if (*exp)
        {
            xrnn::interop::export_char_checkpoint(ckpt, export_out, raw_weights);
            std::printf("wrote %s (config.json and one .npy per tensor; examples/torch_interop.py loads it into torch.nn)\n",
                        export_out.c_str());
            return 0;
        }
        if (*imp)
        {
            xrnn::interop::import_char_checkpoint(import_from, import_out);
            std::printf("wrote %s (sample and eval read it; it holds no training state to resume)\n", import_out.c_str());
            return 0;
        }
        if (*eval)
        {
            const auto s = xrnn::score_file(ckpt, eval_data, raw_weights);
            std::printf("%s: %.4f nats/char, %.4f bits/char over %zu chars (checkpoint step %llu%s)\n",
                        eval_data.c_str(), s.nats, s.nats / std::log(2.0), s.chars,
                        static_cast<unsigned long long>(s.step), s.averaged ? ", averaged weights" : "");
            return 0;
        }
    }
    catch (const std::exception& e)
    {
        job.end_on_error("xrnn-charlm", with_flags(e.what()), 2);
        std::cerr << "xrnn-charlm: error: " << with_flags(e.what()) << "\n";
        return 2;
    }
    return 0;
}
