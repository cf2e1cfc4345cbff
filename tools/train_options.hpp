// tools/train_options.hpp -- the seq trainer's regularisation, lr-decay and memory flags and its
// resume check, shared by xrnn-seq train and xrnn-speech train so both spell and check them
// alike. The ranges are the seq wing's (seq_train.hpp: train_config_range).
#ifndef XRNN_TOOLS_TRAIN_OPTIONS_HPP
#define XRNN_TOOLS_TRAIN_OPTIONS_HPP

#include <xrnn/seq/seq_train.hpp>

#include <xrnn/checkpoint.hpp>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli_checks.hpp"
#include "resume_flags.hpp"

#include <string>
#include <vector>

namespace xrnn_cli
{
    // A flag's check against the seq trainer's range for `field`.
    inline CLI::Validator seq_range(const char* field) { return in(xrnn::seq::train_config_range(field)); }

    // --lr-min --weight-decay --feature-noise --time-masks --time-mask-width (not --lr-schedule,
    // whose default differs between the tools)
    inline void add_recipe_options(CLI::App* train, xrnn::seq::SeqTrainConfig& tc)
    {
        train->add_option("--lr-min", tc.optimizer.lr_min, "the lr a cosine or linear schedule ends at")->check(seq_range("lr_min"))->capture_default_str();
        train->add_option("--weight-decay", tc.optimizer.weight_decay, "decoupled weight decay (AdamW-style)")->check(seq_range("weight_decay"))->capture_default_str();
        train->add_option("--feature-noise", tc.feature_noise, "augmentation: Gaussian noise of this std on the standardised features")->check(seq_range("feature_noise"))->capture_default_str();
        train->add_option("--time-masks", tc.time_masks, "augmentation: time masks per sequence (SpecAugment)")->check(seq_range("time_masks"))->capture_default_str();
        train->add_option("--time-mask-width", tc.time_mask_width, "widest time mask, in steps (at most a fifth of the sequence)")->check(seq_range("time_mask_width"))->capture_default_str();
        train->add_option("--max-memory", tc.max_memory, "refuse a run estimated to need more memory than this (512M, 8G; 0 = what the machine has available)")->transform(bytes(xrnn::seq::train_config_range("max_memory")))->type_name("BYTES")->capture_default_str();
    }

    // What SeqTrainer::resume takes from the command line; every other flag must match the
    // checkpoint's config or is refused.
    inline const std::vector<std::string> kSeqResumeFlags = {"--epochs", "--time-budget", "--max-memory"};

    // Refuses (std::invalid_argument) the flags given to `train` whose value in `given` (the
    // config the command line would start a new run with) differs from the one checkpoint
    // `path` was trained with. keys: the tool's flags not spelled as their config_json field.
    inline void refuse_changed_seq_flags(const CLI::App& train, const xrnn::seq::SeqTrainConfig& given,
                                         const std::string& path, FlagKeys keys)
    {
        // the whole file is read (and its checksum checked) twice, but before the data is
        const auto meta = nlohmann::json::parse(xrnn::load_checkpoint(path).meta_json, nullptr, false);
        if (meta.is_discarded() || !meta.is_object() || !meta.contains("train_config"))
            return; // not an xrnn-seq training checkpoint: the resume itself says so
        keys.insert({{"--lr-schedule", "/lr_schedule/kind"}, {"--lr-min", "/lr_schedule/min"},
                     {"--feature-noise", "/augment/feature_noise"}, {"--time-masks", "/augment/time_masks"},
                     {"--time-mask-width", "/augment/time_mask_width"}, {"--no-standardize", "/standardize"}});
        refuse_changed_flags(train, nlohmann::json::parse(xrnn::seq::config_json(given)), meta.at("train_config"),
                             kSeqResumeFlags, keys);
    }
}

#endif
