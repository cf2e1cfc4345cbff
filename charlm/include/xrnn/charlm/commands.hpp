// xrnn/charlm/commands.hpp -- the three things xrnn-charlm does, as calls: start or resume a
// training run, sample from a checkpoint, score a checkpoint on a file.
//
// So the CLI (tools/xrnn_charlm.cpp) only parses flags, installs the Ctrl-C handler and prints.
// Each sets the BLAS thread count from the run's configuration.
#ifndef XRNN_CHARLM_COMMANDS_HPP
#define XRNN_CHARLM_COMMANDS_HPP

#include "xrnn/charlm/char_train.hpp"
#include "xrnn/charlm/sampler.hpp"
#include "xrnn/charlm/train_config.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

namespace xrnn
{
    // A new run from `config`, or, when `resume` names a checkpoint, that run continued with
    // `overrides` (config is then not used). `comm`: data parallel over its ranks (char_train.hpp).
    std::unique_ptr<CharTrainer> start_training(const TrainConfig& config, const std::string& resume,
                                                const ResumeOverrides& overrides, Communicator* comm = nullptr);

    // sample_text on the checkpoint's model (its moving average when it has one).
    void sample_checkpoint(const std::string& checkpoint, const SampleConfig& config,
                           const std::function<void(char)>& emit);

    struct FileScore
    {
        double nats = 0;         // mean nats/char
        std::size_t chars = 0;   // scored: all but the first
        std::uint64_t step = 0;  // the checkpoint's
        bool averaged = false;   // the moving average was scored (see load_char_model)
    };
    // The checkpoint's model on the whole of `data`, 64 streams of its seq_len.
    FileScore score_file(const std::string& checkpoint, const std::string& data, bool raw_weights);
}

#endif
