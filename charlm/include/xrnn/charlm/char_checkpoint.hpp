// xrnn/charlm/char_checkpoint.hpp -- what a char-LM checkpoint holds, and loading a trained
// model from one for sampling and evaluation.
//
// A checkpoint (the core container, checkpoint.hpp) holds everything the next training step
// depends on: parameters, optimizer moments and step, stream position, carried hidden state,
// dropout RNG states; so a resumed run (CharTrainer::resume, defined with CharTrainer::save in
// char_checkpoint.cpp) computes the same losses, bit for bit, as an uninterrupted one with the
// same thread count. The metadata is JSON: the TrainConfig (train_config.hpp), the vocabulary
// and the counters.
#ifndef XRNN_CHARLM_CHAR_CHECKPOINT_HPP
#define XRNN_CHARLM_CHAR_CHECKPOINT_HPP

#include "xrnn/charlm/char_corpus.hpp"
#include "xrnn/charlm/char_model.hpp"
#include "xrnn/charlm/train_config.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace xrnn
{
    // A trained model with its vocabulary, for sampling and evaluation.
    struct LoadedCharModel
    {
        TrainConfig config;
        Vocabulary vocab;
        std::unique_ptr<CharModel<float>> model;
        std::uint64_t step = 0;
        bool averaged = false; // the weights are the run's moving average (TrainConfig::ema)
    };
    // raw = false: the moving average when the checkpoint has one (the weights validation
    // measured), else the trained weights; raw = true: always the trained weights.
    LoadedCharModel load_char_model(const std::string& checkpoint, bool raw = false);
    // Writes a model without training state (an imported one): load_char_model, sample and eval
    // read it; CharTrainer::resume refuses it, naming what it lacks.
    void save_char_model(const std::string& checkpoint, const LoadedCharModel& m);
}

#endif
