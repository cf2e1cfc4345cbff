// xrnn/speech/recognizer.hpp -- a trained CTC acoustic model (an xrnn-seq ctc model whose
// checkpoint carries the speech front end) applied to WAV files: recognise one file, or score a
// corpus's test sets by digit error rate (edit distance / reference digits) and string accuracy.
#ifndef XRNN_SPEECH_RECOGNIZER_HPP
#define XRNN_SPEECH_RECOGNIZER_HPP

#include "xrnn/seq/seq_train.hpp"
#include "xrnn/speech/digits_corpus.hpp"
#include "xrnn/speech/frontend.hpp"

#include <string>
#include <vector>

namespace xrnn::speech
{
    // A SeqTrainConfig for CTC training on a prepared feature folder (prepare_corpus): train on
    // <dir>/train.list (validation: val_fraction of it, or `val` if set), the front end from
    // <dir>/frontend.json stored in the model. DataError naming what is missing.
    seq::SeqTrainConfig speech_train_config(const std::string& features_dir, seq::SeqTrainConfig base);

    class Recognizer
    {
    public:
        // CheckpointError / DataError if the file is not an xrnn-seq ctc model with a front end.
        explicit Recognizer(const std::string& model_path);

        const FrontendConfig& frontend() const { return frontend_; }
        seq::SavedModel& saved() { return saved_; }

        // The digits heard in a 16 kHz mono WAV file (DataError naming the file for a bad one);
        // beam 0: greedy best path, else prefix beam search of that width.
        std::vector<std::string> recognize(const std::string& wav_path, std::size_t beam = 0);

        // Scores utterances (features by the model's front end, `threads` workers).
        seq::EvalResult score(const std::vector<Utterance>& utts, std::size_t beam, int threads,
                              const Progress& progress = {});

    private:
        seq::SavedModel saved_;
        FrontendConfig frontend_;
        Frontend front_;
    };

    struct SplitScore
    {
        CorpusSplit split;
        seq::EvalResult result; // error_rate: digit error rate; accuracy: string accuracy
        double seconds = 0;
    };
    // Every test list the corpus folder has (test_splits()); DataError if it has none.
    std::vector<SplitScore> score_corpus(Recognizer& r, const std::string& corpus_dir, std::size_t beam, int threads,
                                         const Progress& progress = {});
    // A table: set, utterances, digits, digit error rate, string accuracy (isolated: accuracy).
    std::string score_report(const std::vector<SplitScore>& scores);
    // The same as one JSON object: {"test": {"utts", "digits", "digit_error_rate", "string_accuracy",
    // "loss", "seconds"}, ...} keyed by list name.
    std::string score_json(const std::vector<SplitScore>& scores);
}

#endif
