// tools/xrnn_seq.cpp -- xrnn-seq: train, evaluate and run sequence classifiers, regressors
// taggers and CTC sequence labellers on your own .npy / .npz data. Only the flags: the work is the seq wing's
// (xrnn/seq/seq_train.hpp).
#include <xrnn/activation.hpp>
#include <xrnn/blas.hpp>
#include <xrnn/cell_traits.hpp>
#include <xrnn/communicator.hpp>
#include <xrnn/interop/state_dict.hpp>
#include <xrnn/optimizer.hpp>
#include <xrnn/sequence_pool.hpp>
#include <xrnn/seq/example_data.hpp>
#include <xrnn/seq/seq_train.hpp>

#include <CLI/CLI.hpp>


#ifdef XRNN_HAVE_ONNX
#include <xrnn/onnx/onnx_export.hpp>
#endif

#include "cli_checks.hpp"
#include "job.hpp"
#include "lead_line.hpp"
#include "train_options.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <unistd.h>

using xrnn_cli::in;
using xrnn_cli::joined;
using xrnn_cli::seq_range;

namespace
{
    std::atomic<bool> g_stop{false};
    extern "C" void on_sigint(int) { g_stop.store(true); }

    // make-data's flags: ranges only this tool has
    constexpr xrnn::ValueRange kCount{"count", 1, 10000000, true};
    constexpr xrnn::ValueRange kLength{"length", 2, 1000000, true};
}

int main(int argc, char** argv)
{
    // under mpirun, train is data parallel over the ranks (seq_train.hpp)
    xrnn_cli::Job job(&argc, &argv);
    xrnn::Communicator* comm = job.comm();
    CLI::App app{"xrnn-seq: recurrent sequence models on your own data (.npy list files or .npz)"};
    app.require_subcommand(1);

    // ---- train
    xrnn::seq::SeqTrainConfig tc;
    std::string task = "classify", optimizer = "adam", resume;
    auto* train = app.add_subcommand("train", "train a model; checkpoints and metrics go to --out");
    train->add_option("--train", tc.train, "training data: a list file (features.npy<TAB>label per line) or an .npz");
    train->add_option("--val", tc.val, "validation data (same forms); default: hold out --val-fraction of --train");
    train->add_option("--val-fraction", tc.val_fraction, "held-out fraction when there is no --val")->check(seq_range("val_fraction"))->capture_default_str();
    train->add_option("--task", task, "classify, regress, tag or ctc (a list file: features.npy<TAB>token token ...)")->capture_default_str();
    train->add_option("--cell", tc.cell, "cell: " + joined(xrnn::cell_names()))->capture_default_str();
    train->add_option("--hidden-size", tc.hidden_size, "hidden units per direction")->check(seq_range("hidden_size"))->capture_default_str();
    train->add_option("--num-layers", tc.num_layers, "stacked layers")->check(seq_range("num_layers"))->capture_default_str();
    train->add_flag("--bidirectional", tc.bidirectional, "read each sequence in both directions");
    train->add_option("--activation", tc.activation, "candidate activation: " + joined(xrnn::activation_names()))->capture_default_str();
    train->add_option("--recurrent-activation", tc.recurrent_activation, "gate activation")->capture_default_str();
    train->add_option("--pool", tc.pool, "many-to-one summary: " + joined(xrnn::pool_names()))->capture_default_str();
    train->add_option("--input", tc.input, "input layer: none, linear, embedding")->capture_default_str();
    train->add_option("--input-size", tc.input_size, "output size of a linear or embedding input layer")->check(seq_range("input_size"));
    train->add_option("--vocab", tc.vocab, "embedding input: token ids 0..vocab-1")->check(seq_range("vocab"));
    train->add_option("--dropout", tc.dropout, "dropout between recurrent layers")->check(seq_range("dropout"))->capture_default_str();
    train->add_flag("--ctc-zero-infinity", tc.ctc_zero_infinity,
                    "ctc: a sequence too short for its labels gets loss 0 (default: an error naming it)");
    train->add_flag("!--no-standardize", tc.standardize, "do not standardise the features (mean 0, std 1 on the training set)");
    train->add_option("--optimizer", optimizer, "adam, rmsprop or sgd")->capture_default_str();
    train->add_option("--lr", tc.optimizer.lr, "learning rate")->check(seq_range("lr"))->capture_default_str();
    std::string lr_schedule = "step";
    train->add_option("--lr-schedule", lr_schedule, "step (constant lr) or cosine / linear decay to --lr-min over the whole run (needs --epochs)")->check(CLI::IsMember(xrnn::lr_schedule_names()))->capture_default_str();
    xrnn_cli::add_recipe_options(train, tc);
    train->add_option("--clip-norm", tc.clip_norm, "clip the global gradient norm (0 = off)")->check(seq_range("clip_norm"))->capture_default_str();
    auto* epochs = train->add_option("--epochs", tc.epochs, "passes over the training data")->check(seq_range("epochs"))->capture_default_str();
    train->add_option("--time-budget", tc.time_budget, "stop after this many seconds of training")->check(seq_range("time_budget"));
    train->add_option("--batch-size", tc.batch_size, "sequences per batch")->check(seq_range("batch_size"))->capture_default_str();
    train->add_option("--seed", tc.seed, "seed of the initialisation and the batch order")->check(seq_range("seed"))->capture_default_str();
    train->add_option("--threads", tc.threads, "BLAS and kernel threads")->check(seq_range("threads"))->capture_default_str();
    train->add_option("--monitor-every", tc.monitor_every, "gradient-flow report every N steps into metrics.jsonl (0 = off)")->check(seq_range("monitor_every"))->capture_default_str();
    train->add_option("--out", tc.out, "output folder")->check(xrnn_cli::not_empty("a folder"))->capture_default_str();
    train->add_option("--resume", resume, "continue the run this checkpoint was saved from (options come from it; --epochs, --time-budget and --max-memory may change)");

    // ---- eval
    std::string model_path, data_path, csv_path;
    std::size_t batch = 64, beam = 0;
    auto* eval = app.add_subcommand("eval", "loss, accuracy and confusion matrix of a saved model on labelled data");
    eval->add_option("--model", model_path, "model file (best.ckpt or last.ckpt)")->required();
    eval->add_option("--data", data_path, "list file or .npz with labels")->required();
    eval->add_option("--batch-size", batch, "sequences per batch")->check(in(xrnn::limits::batch_size))->capture_default_str();
    eval->add_option("--beam", beam, "ctc: prefix beam search of this width (0 = greedy best path)")->check(in(xrnn_cli::beam_width))->capture_default_str();

    // ---- predict
    auto* predict = app.add_subcommand("predict", "labels and class probabilities of a saved model, as CSV");
    predict->add_option("--model", model_path, "model file (best.ckpt or last.ckpt)")->required();
    predict->add_option("--data", data_path, "list file (labels optional) or .npz")->required();
    predict->add_option("--out", csv_path, "CSV file (default: standard output)")->check(xrnn_cli::not_empty("a file"));
    predict->add_option("--batch-size", batch, "sequences per batch")->check(in(xrnn::limits::batch_size))->capture_default_str();
    predict->add_option("--beam", beam, "ctc: prefix beam search of this width (0 = greedy best path)")->check(in(xrnn_cli::beam_width))->capture_default_str();

    // ---- make-data
    std::string kind = "temporal_order", dir;
    std::size_t count = 1000, min_len = 10, max_len = 50;
    std::uint64_t seed = 1;
    auto* make = app.add_subcommand("make-data", "write a synthetic task as .npy files and a list file");
    make->add_option("--kind", kind, "adding (regress), temporal_order (classify), tagging (tag) or spelled (ctc)")->capture_default_str();
    make->add_option("--out", dir, "folder to write into")->required()->check(xrnn_cli::not_empty("a folder"));
    make->add_option("--count", count, "sequences")->check(in(kCount))->capture_default_str();
    make->add_option("--min-len", min_len, "shortest sequence (>= 2)")->check(in(kLength))->capture_default_str();
    make->add_option("--max-len", max_len, "longest sequence")->check(in(kLength))->capture_default_str();
    make->add_option("--seed", seed, "random seed")->check(in(xrnn::limits::seed))->capture_default_str();

    // ---- export / import: PyTorch state_dict folders (interop/state_dict.hpp)
    std::string export_out, export_format = "torch";
    auto* exp = app.add_subcommand("export", "write a saved model as a PyTorch state_dict folder (.npy per tensor + config.json)");
    exp->add_option("--model", model_path, "model file (best.ckpt or last.ckpt)")->required();
    exp->add_option("--out", export_out, "new folder (torch) or file (onnx) to write")->required()->check(xrnn_cli::not_empty("a folder"));
    exp->add_option("--format", export_format, "torch: a folder, one .npy per state_dict key + config.json; "
                                               "onnx: one .onnx file (opset 17) for ONNX Runtime")
        ->check(CLI::IsMember({"torch", "onnx"}))->capture_default_str();
    std::string import_from, import_out;
    auto* imp = app.add_subcommand("import", "make a model file (for eval and predict) from a state_dict folder");
    imp->add_option("--from", import_from, "folder written by export or by examples/torch_interop.py")->required();
    imp->add_option("--out", import_out, "new model file to write")->required()->check(xrnn_cli::not_empty("a file"));

    if (const int rc = xrnn_cli::parse(app, argc, argv, "xrnn-seq"); rc >= 0)
    {
        if (rc > 0) // the parse error is printed already
            job.end_on_error("xrnn-seq", "bad command line", rc);
        return rc;
    }

    try
    {
        if (*train)
        {
            // the config a new run would have (on resume: what the flags given must agree with)
            tc.task = xrnn::seq::task_from_name(task);
            tc.optimizer.kind = xrnn::optimizer_from_name(optimizer);
            tc.optimizer.schedule = xrnn::lr_schedule_from_name(lr_schedule);
            if (!epochs->count() && tc.time_budget > 0)
                tc.epochs = 0; // the budget alone decides
            std::unique_ptr<xrnn::seq::SeqTrainer> trainer;
            if (!resume.empty())
            {
                xrnn_cli::refuse_changed_seq_flags(*train, tc, resume, {});
                trainer = xrnn::seq::SeqTrainer::resume(resume, epochs->count() ? tc.epochs : 0, tc.time_budget, tc.max_memory,
                                                        comm);
            }
            else
            {
                if (tc.train.empty())
                    throw std::invalid_argument("train needs --train DATA (or --resume CHECKPOINT)");
                xrnn::seq::check_train_config(tc); // every number finite and in range, before reading the data
                trainer = std::make_unique<xrnn::seq::SeqTrainer>(tc, comm);
            }
            std::signal(SIGINT, on_sigint);
            std::signal(SIGTERM, on_sigint);
            std::signal(SIGHUP, on_sigint);   // a closed terminal or ssh session saves too
            std::signal(SIGXFSZ, SIG_IGN);    // ulimit -f: the write fails with an error, no kill
            // the kernels line leads the first progress line: a run refused at start (busy
            // folder, no room) says only its error
            std::string lead_text = "xrnn-seq: " + xrnn::blas::kernel_info().summary();
            if (comm->size() > 1)
                lead_text += "; data parallel over " + std::to_string(comm->size()) + " MPI ranks";
            xrnn_cli::LeadLine lead(std::cerr, lead_text);
            std::ostream progress(&lead);
            return trainer->run(progress, g_stop);
        }
        if (*eval || *predict)
        {
            auto saved = xrnn::seq::load_model(model_path);
            const auto& mc = saved.model->config();
            xrnn::seq::Dataset d = *eval ? xrnn::seq::load_data(data_path, mc.task,
                                                                 mc.task == xrnn::seq::Task::classify || mc.task == xrnn::seq::Task::ctc
                                                                     ? &saved.classes
                                                                     : nullptr)
                                         : xrnn::seq::load_unlabeled(data_path);
            if (!saved.standardizer.mean.empty())
            {
                if (d.features != saved.standardizer.mean.size())
                    throw std::invalid_argument(data_path + ": " + std::to_string(d.features)
                                                + " features per step; the model was trained on "
                                                + std::to_string(saved.standardizer.mean.size()));
                saved.standardizer.apply(d);
            }
            if (*eval)
            {
                const auto r = xrnn::seq::evaluate(*saved.model, d, batch, beam);
                std::cout << xrnn::seq::eval_report(r, saved.classes, mc.task);
                return 0;
            }
            if (csv_path.empty())
            {
                xrnn::seq::predict_csv(*saved.model, d, saved.classes, batch, std::cout, beam);
                return 0;
            }
            // into a temporary file renamed at the end: a failure leaves no half-written CSV
            const std::string tmp = csv_path + ".tmp-" + std::to_string(::getpid());
            {
                std::ofstream out(tmp);
                if (!out)
                    throw std::invalid_argument("cannot write '" + csv_path + "'");
                try
                {
                    xrnn::seq::predict_csv(*saved.model, d, saved.classes, batch, out, beam);
                }
                catch (...)
                {
                    out.close();
                    std::filesystem::remove(tmp);
                    throw;
                }
                out.flush();
                if (!out)
                {
                    std::filesystem::remove(tmp);
                    throw std::invalid_argument("writing '" + csv_path + "' failed (disk full?)");
                }
            }
            std::filesystem::rename(tmp, csv_path);
            std::cerr << "wrote " << d.size() << " predictions to " << csv_path << "\n";
            return 0;
        }
        if (*exp && export_format == "onnx")
        {
            xrnn_cli::refuse_existing(export_out);
#ifdef XRNN_HAVE_ONNX
            xrnn::onnx::export_seq_model(xrnn::seq::load_model(model_path), export_out);
#else
            throw std::invalid_argument("this xrnn-seq was built without ONNX export (it needs Debian's libonnx-dev "
                                        "and libprotobuf-dev at build time); --format torch works");
#endif
            std::cout << "wrote " << export_out << " (ONNX opset 17: x (T, B, features) float32, lengths (B) int32)\n";
            return 0;
        }
        if (*exp)
        {
            xrnn::interop::export_seq_model(model_path, export_out);
            std::cout << "wrote " << export_out
                      << " (config.json and one .npy per tensor; examples/torch_interop.py loads it into torch.nn)\n";
            return 0;
        }
        if (*imp)
        {
            xrnn::interop::import_seq_model(import_from, import_out);
            std::cout << "wrote " << import_out << " (eval and predict read it; it holds no training state to resume)\n";
            return 0;
        }
        if (*make)
        {
            const std::string list = xrnn::seq::make_example_data(kind, dir, count, seed, min_len, max_len);
            std::cout << list << "\n";
            return 0;
        }
    }
    catch (const std::exception& e)
    {
        job.end_on_error("xrnn-seq", e.what(), 2);
        std::cerr << "xrnn-seq: error: " << e.what() << "\n";
        return 2;
    }
    return 0;
}
