// tools/xrnn_gradflow.cpp -- xrnn-gradflow: the command line of the gradient-flow study.
//
//   probe  untrained networks, a sweep over cells x activations x initialisations; records the
//          per-step adjoint norms ||dL/dh_t|| (and ||dL/dc_t||) of a loss on the final step
//          only, in double precision, with the monitor's static check and diagnosis.
//   train  trains each configuration of the sweep on a synthetic long-range task for a fixed
//          number of steps (several seeds) and reports test loss, solved yes/no (Pascanu et
//          al.'s criterion), clip fraction and the monitor's diagnosis over training.
// Output: CSV and JSONL in --out (written as the sweep goes, so an interrupted sweep keeps its
// finished rows); scripts/plot_gradflow.py draws the PNGs. This file only parses the flags
// (CLI11) and handles Ctrl-C; the study itself is the gradflow wing (gradflow/, xrnn::gradflow).
#include <xrnn/blas.hpp>
#include <xrnn/cell_traits.hpp>
#include <xrnn/init.hpp>
#include <xrnn/gradflow/probe.hpp>
#include <xrnn/gradflow/sweep.hpp>
#include <xrnn/gradflow/tasks.hpp>
#include <xrnn/gradflow/train.hpp>

#include <CLI/CLI.hpp>

#include "cli_checks.hpp"

#include <atomic>
#include <csignal>
#include <cstdio>

namespace gf = xrnn::gradflow;

namespace
{
    std::atomic<bool> g_stop{false};
    extern "C" void on_sigint(int) { g_stop.store(true); }

    // the ranges are the library's (sweep.hpp), so a flag and its option agree
    CLI::Validator range(const char* name) { return xrnn_cli::in(gf::option_range(name)); }

    void add_sweep_options(CLI::App* app, gf::Options& o)
    {
        app->add_option("--task", o.task, "synthetic task: " + gf::task_names())->capture_default_str();
        app->add_option("--cell", o.cells, "cells to sweep (" + xrnn_cli::joined(xrnn::cell_names()) + ")")->delimiter(',')->capture_default_str();
        app->add_option("--activation", o.activations, "candidate activations to sweep (Keras `activation`)")->delimiter(',')->capture_default_str();
        app->add_option("--recurrent-activation", o.recurrent_activations, "gate activations to sweep (GRU, LSTM)")->delimiter(',')->capture_default_str();
        app->add_option("--init", o.inits, "recurrent inits to sweep: " + xrnn_cli::joined(xrnn::recurrent_init_names()))->delimiter(',')->capture_default_str();
        app->add_option("--gain", o.gains, "W_hh scales to sweep (orthogonal/identity gain; uniform: multiplier)")->delimiter(',')->check(range("gain"))->capture_default_str();
        app->add_option("--sigma-gamma", o.sigma_gammas, "instead of --gain: rescale W_hh to these sigma_max(W_hh) * gamma")->delimiter(',')->check(range("sigma_gamma"));
        app->add_option("--forget-bias", o.forget_biases, "LSTM forget-gate biases to sweep")->delimiter(',')->check(range("forget_bias"))->capture_default_str();
        app->add_option("--seq-len", o.seq_lens, "sequence lengths T to sweep")->delimiter(',')->check(range("seq_len"))->capture_default_str();
        app->add_option("--seed", o.seeds, "seeds to sweep")->delimiter(',')->check(range("seed"))->capture_default_str();
        app->add_option("--hidden-size", o.hidden_size, "units per layer")->check(range("hidden_size"))->capture_default_str();
        app->add_option("--num-layers", o.num_layers, "stacked layers")->check(range("num_layers"))->capture_default_str();
        app->add_option("--batch-size", o.batch_size, "sequences per batch")->check(range("batch_size"))->capture_default_str();
        app->add_option("--epsilon", o.epsilon, "monitor: horizon fraction epsilon")->check(range("epsilon"))->capture_default_str();
        app->add_option("--threads", o.threads, "BLAS threads")->check(range("threads"))->capture_default_str();
        app->add_option("--max-memory", o.max_memory, "refuse a run estimated to need more memory than this (512M, 8G; 0 = what the machine has available)")->transform(xrnn_cli::bytes(gf::option_range("max_memory")))->type_name("BYTES")->capture_default_str();
        app->add_option("--out", o.out, "output folder")->check(xrnn_cli::not_empty("a folder"))->capture_default_str();
    }
}

int main(int argc, char** argv)
{
    CLI::App app{"xrnn-gradflow: gradient flow through RNN / GRU / LSTM over time, per activation and init"};
    app.require_subcommand(1);
    gf::Options po, to;
    po.batch_size = 16;
    po.seq_lens = {200};
    auto* probe = app.add_subcommand("probe", "untrained networks: ||dL/dh_t|| of a final-step loss over t");
    add_sweep_options(probe, po);
    auto* train = app.add_subcommand("train", "train a sweep on a synthetic task; solved?, clip fraction, diagnosis");
    add_sweep_options(train, to);
    train->add_option("--steps", to.steps, "training steps per run")->check(range("steps"))->capture_default_str();
    train->add_option("--lr", to.lr, "Adam learning rate")->check(range("lr"))->capture_default_str();
    train->add_option("--clip-norm", to.clip_norm, "global-norm clip threshold (0 = off)")->check(range("clip_norm"))->capture_default_str();
    train->add_option("--eval-every", to.eval_every, "steps between test evaluations")->check(range("eval_every"))->capture_default_str();
    train->add_option("--monitor-every", to.monitor_every, "steps between monitored (traced) steps (0 = never)")->check(range("monitor_every"))->capture_default_str();
    train->add_option("--test-size", to.test_size, "fresh test sequences")->check(range("test_size"))->capture_default_str();
    train->add_flag("--stop-when-solved", to.stop_when_solved, "end a run at the first evaluation that solves the task");

    if (const int rc = xrnn_cli::parse(app, argc, argv, "xrnn-gradflow"); rc >= 0)
        return rc;
    std::signal(SIGINT, on_sigint);
    std::signal(SIGTERM, on_sigint);
    std::signal(SIGHUP, on_sigint);  // a closed terminal or ssh session stops it cleanly too
    std::signal(SIGXFSZ, SIG_IGN);   // ulimit -f: the write fails with an error, no kill
    try
    {
        gf::Options& o = probe->parsed() ? po : to;
        gf::check_options(o); // fail before any work on a bad name, length or number
        xrnn::blas::set_threads(o.threads);
        if (probe->parsed())
            gf::probe(o, g_stop);
        else
            gf::train(o, g_stop);
        return g_stop ? 130 : 0;
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "xrnn-gradflow: error: %s\n", e.what());
        return 2;
    }
}
