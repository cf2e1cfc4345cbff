// tools/xrnn_speech.cpp -- xrnn-speech: a connected-digit recogniser. prepare (WAV corpus ->
// MFCC .npy lists), train (a bidirectional recurrent acoustic model with CTC), eval (digit error
// rate and string accuracy on the corpus's test sets) and predict (the digits in WAV files).
// Only the flags: the work is the speech wing's (xrnn/speech/*.hpp) and the seq wing's trainer.
#include <xrnn/activation.hpp>
#include <xrnn/blas.hpp>
#include <xrnn/cell_traits.hpp>
#include <xrnn/optimizer.hpp>
#include <xrnn/speech/digits_corpus.hpp>
#include <xrnn/speech/recognizer.hpp>

#include <CLI/CLI.hpp>

#include "cli_checks.hpp"
#include "lead_line.hpp"
#include "train_options.hpp"

#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>

using xrnn_cli::in;
using xrnn_cli::joined;
using xrnn_cli::seq_range;
namespace fr = xrnn::speech::frontend_range;

namespace
{
    std::atomic<bool> g_stop{false};
    extern "C" void on_signal(int) { g_stop.store(true); }

    xrnn::speech::Progress progress_line(const char* what)
    {
        return [what](std::size_t done, std::size_t total) {
            std::cerr << "\r\033[K" << what << " " << done << "/" << total << std::flush;
            if (done == total)
                std::cerr << "\r\033[K" << std::flush; // the result lines follow on a clean line
        };
    }
}

int main(int argc, char** argv)
{
    CLI::App app{"xrnn-speech: a connected-digit recogniser (MFCC features, bidirectional GRU/LSTM, CTC)"};
    app.require_subcommand(1);
    int threads = 2;

    // ---- prepare
    std::string corpus, out_dir;
    xrnn::speech::FrontendConfig fc;
    bool no_cmvn = false;
    auto* prepare = app.add_subcommand("prepare", "compute the features of a corpus (scripts/make_digits.py) as .npy lists");
    prepare->add_option("--corpus", corpus, "corpus folder (train.tsv, test.tsv, ...)")->required();
    prepare->add_option("--out", out_dir, "feature folder to create")->required()->check(xrnn_cli::not_empty("a folder"));
    prepare->add_option("--num-ceps", fc.num_ceps, "cepstra per frame, C0 included")->check(in(fr::num_ceps))->capture_default_str();
    prepare->add_option("--num-mel-bins", fc.num_mel_bins, "mel filters")->check(in(fr::num_mel_bins))->capture_default_str();
    prepare->add_option("--deltas", fc.delta_order, "0 (none), 1 (deltas) or 2 (and delta-deltas)")->check(in(fr::delta_order))->capture_default_str();
    prepare->add_flag("--no-cmvn", no_cmvn, "keep the cepstral means (default: removed per utterance)");
    prepare->add_option("--stack", fc.stack, "frames side by side per model step")->check(in(fr::stack))->capture_default_str();
    prepare->add_option("--subsample", fc.subsample, "keep every n-th stacked frame")->check(in(fr::subsample))->capture_default_str();
    prepare->add_option("--threads", threads, "feature threads")->check(in(xrnn::limits::threads))->capture_default_str();

    // ---- train
    xrnn::seq::SeqTrainConfig tc;
    tc.cell = "gru";
    tc.hidden_size = 128;
    tc.num_layers = 2;
    tc.bidirectional = true;
    tc.batch_size = 32;
    tc.optimizer.lr = 2e-3;
    tc.val_fraction = 0.05;
    tc.out = "runs/digits";
    // the recipe measured on the make_digits corpus (benchmarks/RESULTS.md, issue 14): dropout and
    // augmentation keep a 2x128 BiGRU from overfitting the training voices; a cosine decay over 16
    // epochs (2 minutes on 2 cores) scored the held-out accent better than 24 or 60 epochs did
    tc.dropout = 0.3;
    tc.feature_noise = 0.1;
    tc.time_masks = 2;
    tc.time_mask_width = 5;
    const std::size_t default_epochs = 16;
    std::string features_dir, optimizer = "adam", resume;
    bool unidirectional = false;
    auto* train = app.add_subcommand("train", "train a CTC acoustic model on prepared features; checkpoints in --out");
    train->add_option("--features", features_dir, "feature folder from prepare");
    train->add_option("--cell", tc.cell, "cell: " + joined(xrnn::cell_names()))->capture_default_str();
    train->add_option("--hidden-size", tc.hidden_size, "hidden units per direction")->check(seq_range("hidden_size"))->capture_default_str();
    train->add_option("--num-layers", tc.num_layers, "stacked layers")->check(seq_range("num_layers"))->capture_default_str();
    train->add_flag("--unidirectional", unidirectional, "read left to right only (default: bidirectional)");
    train->add_option("--activation", tc.activation, "candidate activation: " + joined(xrnn::activation_names()))->capture_default_str();
    train->add_option("--recurrent-activation", tc.recurrent_activation, "gate activation")->capture_default_str();
    train->add_option("--dropout", tc.dropout, "dropout between recurrent layers")->check(seq_range("dropout"))->capture_default_str();
    train->add_option("--optimizer", optimizer, "adam, rmsprop or sgd")->capture_default_str();
    train->add_option("--lr", tc.optimizer.lr, "learning rate")->check(seq_range("lr"))->capture_default_str();
    std::string lr_schedule;
    train->add_option("--lr-schedule", lr_schedule, "step (constant lr) or cosine / linear decay to --lr-min over the whole run (needs epochs); default: cosine with epochs, step with a --time-budget alone")->check(CLI::IsMember(xrnn::lr_schedule_names()));
    xrnn_cli::add_recipe_options(train, tc);
    train->add_option("--clip-norm", tc.clip_norm, "clip the global gradient norm (0 = off)")->check(seq_range("clip_norm"))->capture_default_str();
    auto* epochs = train->add_option("--epochs", tc.epochs, "passes over the training data (default 16 unless --time-budget is given)")->check(seq_range("epochs"));
    train->add_option("--time-budget", tc.time_budget, "stop after this many seconds of training")->check(seq_range("time_budget"));
    train->add_option("--batch-size", tc.batch_size, "utterances per batch")->check(seq_range("batch_size"))->capture_default_str();
    train->add_option("--val-fraction", tc.val_fraction, "training utterances held out for validation")->check(seq_range("val_fraction"))->capture_default_str();
    train->add_option("--seed", tc.seed, "seed of the initialisation and the batch order")->check(seq_range("seed"))->capture_default_str();
    train->add_option("--threads", tc.threads, "BLAS and kernel threads")->check(seq_range("threads"))->capture_default_str();
    train->add_option("--monitor-every", tc.monitor_every, "gradient-flow report every N steps into metrics.jsonl (0 = off)")->check(seq_range("monitor_every"))->capture_default_str();
    train->add_flag("--ctc-zero-infinity", tc.ctc_zero_infinity, "an utterance with more digits than its frames allow gets loss 0 (default: an error naming it)");
    train->add_option("--out", tc.out, "output folder")->check(xrnn_cli::not_empty("a folder"))->capture_default_str();
    train->add_option("--resume", resume, "continue the run this checkpoint was saved from (options come from it; --epochs, --time-budget and --max-memory may change)");

    // ---- eval
    std::string model_path;
    std::size_t beam = 0;
    auto* eval = app.add_subcommand("eval", "digit error rate and string accuracy on a corpus's test sets");
    eval->add_option("--model", model_path, "model file (best.ckpt or last.ckpt)")->required();
    eval->add_option("--corpus", corpus, "corpus folder (its test*.tsv lists are scored)")->required();
    eval->add_option("--beam", beam, "prefix beam search width (0 = greedy best path)")->check(in(xrnn_cli::beam_width))->capture_default_str();
    std::string json_path;
    eval->add_option("--json", json_path, "also write the scores as JSON to this file");
    eval->add_option("--threads", threads, "feature and BLAS threads")->check(in(xrnn::limits::threads))->capture_default_str();

    // ---- predict
    std::vector<std::string> wavs;
    auto* predict = app.add_subcommand("predict", "print the digits heard in WAV files (16 kHz mono)");
    predict->add_option("--model", model_path, "model file (best.ckpt or last.ckpt)")->required();
    predict->add_option("wav", wavs, "WAV files")->required();
    predict->add_option("--beam", beam, "prefix beam search width (0 = greedy best path)")->check(in(xrnn_cli::beam_width))->capture_default_str();

    if (const int rc = xrnn_cli::parse(app, argc, argv, "xrnn-speech"); rc >= 0)
        return rc;

    try
    {
        if (*prepare)
        {
            fc.cmvn = !no_cmvn;
            const std::size_t n = xrnn::speech::prepare_corpus(corpus, out_dir, fc, threads, progress_line("features"));
            std::cout << out_dir << ": " << n << " utterances, " << fc.dims() << " features per "
                      << fc.step_ms() << " ms step\n";
            return 0;
        }
        if (*train)
        {
            // the config a new run would have (on resume: what the flags given must agree with)
            tc.bidirectional = !unidirectional;
            tc.optimizer.kind = xrnn::optimizer_from_name(optimizer);
            if (!epochs->count())
                tc.epochs = tc.time_budget > 0 ? 0 : default_epochs;
            if (lr_schedule.empty())
                lr_schedule = tc.epochs > 0 ? "cosine" : "step";
            tc.optimizer.schedule = xrnn::lr_schedule_from_name(lr_schedule);
            std::unique_ptr<xrnn::seq::SeqTrainer> trainer;
            if (!resume.empty())
            {
                xrnn_cli::refuse_changed_seq_flags(*train, features_dir.empty() ? tc : xrnn::speech::speech_train_config(features_dir, tc),
                                                   resume, {{"--features", "/train"}, {"--unidirectional", "/bidirectional"}});
                trainer = xrnn::seq::SeqTrainer::resume(resume, epochs->count() ? tc.epochs : 0, tc.time_budget, tc.max_memory);
            }
            else
            {
                if (features_dir.empty())
                    throw std::invalid_argument("train needs --features DIR (from xrnn-speech prepare) or --resume CHECKPOINT");
                const xrnn::seq::SeqTrainConfig c = xrnn::speech::speech_train_config(features_dir, tc);
                xrnn::seq::check_train_config(c); // every number finite and in range, before reading the data
                trainer = std::make_unique<xrnn::seq::SeqTrainer>(c);
            }
            trainer->set_program("xrnn-speech");
            std::signal(SIGINT, on_signal);
            std::signal(SIGTERM, on_signal);
            std::signal(SIGHUP, on_signal);
            std::signal(SIGXFSZ, SIG_IGN); // ulimit -f: the write fails with an error, no kill
            // the kernels line leads the first progress line: a run refused at start (busy
            // folder, no room) says only its error
            xrnn_cli::LeadLine lead(std::cerr, "xrnn-speech: " + xrnn::blas::kernel_info().summary());
            std::ostream progress(&lead);
            return trainer->run(progress, g_stop);
        }
        if (*eval)
        {
            xrnn::blas::set_threads(threads);
            xrnn::speech::Recognizer r(model_path);
            const auto scores = xrnn::speech::score_corpus(r, corpus, beam, threads, progress_line("scoring utterances"));
            std::cout << xrnn::speech::score_report(scores);
            if (!json_path.empty())
            {
                std::ofstream f(json_path);
                f << xrnn::speech::score_json(scores) << "\n";
                f.flush();
                if (!f)
                    throw std::invalid_argument("cannot write '" + json_path + "'");
            }
            return 0;
        }
        if (*predict)
        {
            xrnn::blas::set_threads(1);
            xrnn::speech::Recognizer r(model_path);
            int rc = 0;
            for (const auto& w : wavs)
            {
                try
                {
                    const auto digits = r.recognize(w, beam);
                    std::cout << w << "\t";
                    for (std::size_t i = 0; i < digits.size(); ++i)
                        std::cout << (i ? " " : "") << digits[i];
                    std::cout << "\n" << std::flush;
                }
                catch (const xrnn::seq::DataError& e)
                {
                    std::cerr << "xrnn-speech: error: " << e.what() << "\n";
                    rc = 2; // the other files are still recognised
                }
            }
            return rc;
        }
    }
    catch (const std::exception& e)
    {
        std::cerr << "xrnn-speech: error: " << e.what() << "\n";
        return 2;
    }
    return 0;
}
