// xrnn/gradflow/sweep.hpp -- the study's grid: the options of a sweep (lists of cells,
// activations, inits, scales, lengths and seeds, plus the sizes every run shares) and their
// expansion into one RunConfig per run. It runs nothing: probe.hpp and train.hpp do.
#ifndef XRNN_GRADFLOW_SWEEP_HPP
#define XRNN_GRADFLOW_SWEEP_HPP

#include "xrnn/activation.hpp"
#include "xrnn/bptt.hpp"
#include "xrnn/init.hpp"
#include "xrnn/value_range.hpp"

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

namespace xrnn::gradflow
{
    // "not set" in a RunConfig, "not measured" in a report
    inline constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

    struct Options
    {
        std::string task = "adding";
        std::vector<std::string> cells{"rnn", "gru", "lstm"};
        std::vector<std::string> activations{"tanh"};
        std::vector<std::string> recurrent_activations{"sigmoid"};
        std::vector<std::string> inits{"uniform"};
        std::vector<double> gains{1.0};
        std::vector<double> sigma_gammas; // vanilla: rescale W_hh to this sigma_max * gamma
        std::vector<double> forget_biases{0.0};
        std::vector<std::size_t> seq_lens{100};
        std::vector<std::uint64_t> seeds{1};
        std::size_t hidden_size = 128, num_layers = 1, batch_size = 50;
        int threads = 1;
        std::string out = "runs/gradflow";
        double epsilon = 1e-3;
        // train only
        std::size_t steps = 2000, eval_every = 100, monitor_every = 100, test_size = 1000;
        double lr = 1e-3, clip_norm = 1.0;
        bool stop_when_solved = false;
        // Refuse a run whose estimated memory (memory_budget.hpp) exceeds this many bytes;
        // 0 = the memory the machine has available.
        std::uint64_t max_memory = 0;
    };

    struct RunConfig
    {
        CellKind cell;
        xrnn::Activation act, ract;
        xrnn::RecurrentInit init;
        double gain;
        double sigma_gamma; // NaN: not set
        double forget_bias; // NaN: not an LSTM
        std::size_t seq_len;
        std::uint64_t seed;

        std::string name() const; // short label for plots and progress
    };

    // Every combination; options that do not apply to a cell (gate activation and forget bias
    // for the vanilla RNN, forget bias for the GRU) are not multiplied out.
    std::vector<RunConfig> expand(const Options& o);

    // The valid values of Options' numbers (value_range.hpp) by name (gain, not gains: a list's
    // range is its entries'); the CLI checks its flags against them. Throws std::logic_error
    // for a name that has none.
    const ValueRange& option_range(std::string_view name);

    // Throws on a bad task, length, cell, activation or init name, and on a number that is not
    // finite or is out of its range (NaN is RunConfig's "not set", so a NaN gain would silently
    // be ignored), so that a sweep fails before any work rather than at its first bad run.
    void check_options(const Options& o);
}

#endif
