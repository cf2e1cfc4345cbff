// charlm/src/commands.cpp -- see commands.hpp.
#include "xrnn/charlm/commands.hpp"

#include "xrnn/blas.hpp"
#include "xrnn/charlm/char_checkpoint.hpp"
#include "xrnn/check.hpp"

namespace xrnn
{
    std::unique_ptr<CharTrainer> start_training(const TrainConfig& config, const std::string& resume,
                                                const ResumeOverrides& overrides, Communicator* comm)
    {
        if (!resume.empty())
            return CharTrainer::resume(resume, overrides, comm);
        check_train_config(config); // every number finite and in range, before reading the data
        activation_from_name(config.activation); // fail before reading the data
        activation_from_name(config.recurrent_activation);
        return std::make_unique<CharTrainer>(config, comm);
    }

    void sample_checkpoint(const std::string& checkpoint, const SampleConfig& config,
                           const std::function<void(char)>& emit)
    {
        auto m = load_char_model(checkpoint);
        // batch 1 is bound by streaming W_hh per char: two cores stream it 1.7x faster than one
        // (benchmarks/RESULTS.md, sampling speed)
        blas::set_threads(m.config.threads);
        sample_text(*m.model, m.vocab, config, emit);
    }

    FileScore score_file(const std::string& checkpoint, const std::string& data, bool raw_weights)
    {
        auto m = load_char_model(checkpoint, raw_weights);
        const std::string text = read_file(data);
        XRNN_CHECK(text.size() >= 2,
                   "'" + data + "' has " + std::to_string(text.size()) + " bytes; need at least 2 to evaluate");
        const auto tokens = m.vocab.encode(text);
        blas::set_threads(m.config.threads);
        FileScore s;
        s.nats = evaluate_tokens(*m.model, tokens, 64, m.config.seq_len);
        s.chars = tokens.size() - 1;
        s.step = m.step;
        s.averaged = m.averaged;
        return s;
    }
}
