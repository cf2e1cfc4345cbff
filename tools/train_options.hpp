// tools/train_options.hpp -- the seq trainer's regularisation and lr-decay flags, shared by
// xrnn-seq train and xrnn-speech train so both spell and check them alike.
#ifndef XRNN_TOOLS_TRAIN_OPTIONS_HPP
#define XRNN_TOOLS_TRAIN_OPTIONS_HPP

#include <xrnn/seq/seq_train.hpp>

#include <CLI/CLI.hpp>

namespace xrnn_cli
{
    // --lr-min --weight-decay --feature-noise --time-masks --time-mask-width (not --lr-schedule,
    // whose default differs between the tools)
    inline void add_recipe_options(CLI::App* train, xrnn::seq::SeqTrainConfig& tc)
    {
        train->add_option("--lr-min", tc.optimizer.lr_min, "the lr a cosine or linear schedule ends at")->check(CLI::NonNegativeNumber)->capture_default_str();
        train->add_option("--weight-decay", tc.optimizer.weight_decay, "decoupled weight decay (AdamW-style)")->check(CLI::Range(0.0, 1.0))->capture_default_str();
        train->add_option("--feature-noise", tc.feature_noise, "augmentation: Gaussian noise of this std on the standardised features")->check(CLI::Range(0.0, 10.0))->capture_default_str();
        train->add_option("--time-masks", tc.time_masks, "augmentation: time masks per sequence (SpecAugment)")->check(CLI::Range(std::size_t(0), std::size_t(100)))->capture_default_str();
        train->add_option("--time-mask-width", tc.time_mask_width, "widest time mask, in steps (at most a fifth of the sequence)")->check(CLI::Range(std::size_t(0), std::size_t(10000)))->capture_default_str();
    }
}

#endif
