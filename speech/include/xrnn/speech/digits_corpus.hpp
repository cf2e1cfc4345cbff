// xrnn/speech/digits_corpus.hpp -- the connected-digit corpus of scripts/make_digits.py as data
// sets for the sequence trainer: its list files read and checked, words mapped to digit labels
// ("oh" and "zero" both to 0, as TIDIGITS is scored), features computed by the front end, and
// `prepare`, which writes the features as .npy files with ctc list files for `xrnn-seq`-style
// training (and for the PyTorch side of benchmarks/speech_torch.py).
//
// A corpus folder holds <split>.tsv lists, one utterance a line:
//   wav/test/c00012.wav<TAB>three five oh<TAB>en-gb+f2<TAB>connected
#ifndef XRNN_SPEECH_DIGITS_CORPUS_HPP
#define XRNN_SPEECH_DIGITS_CORPUS_HPP

#include "xrnn/seq/dataset.hpp"
#include "xrnn/speech/frontend.hpp"

#include <functional>
#include <string>
#include <vector>

namespace xrnn::speech
{
    struct Utterance
    {
        std::string wav;                 // path, resolved against the list's folder
        std::vector<std::string> digits; // "0".."9"
        std::string voice;
        std::string source;              // "test.tsv:12", for messages
    };

    // "oh"/"zero" -> "0", "one" -> "1", ..., or a digit character itself; "" if not a digit word.
    std::string digit_of_word(const std::string& word);

    // Reads a corpus list (DataError naming the file and line for a line without a wav path or
    // words, or a word that is not a digit).
    std::vector<Utterance> read_corpus_list(const std::string& tsv_path);

    // The corpus's lists in evaluation order: test, test_isolated, test_accent, test_accent_isolated.
    struct CorpusSplit
    {
        std::string name;  // list file stem
        std::string title; // for reports
        bool isolated;
    };
    const std::vector<CorpusSplit>& test_splits();

    using Progress = std::function<void(std::size_t done, std::size_t total)>;

    // Features of every utterance (threads workers, each its own Frontend) as a ctc data set whose
    // tokens index `vocab` (the digits "0".."9" when null). A bad WAV is a DataError naming it.
    seq::Dataset utterance_dataset(const std::vector<Utterance>& utts, const FrontendConfig& fc,
                                   const seq::ClassTable* vocab, int threads, const Progress& progress = {});

    // Writes <out>/npy/<split>/<name>.npy and <out>/<split>.list (features.npy<TAB>digits) for
    // every list of the corpus, train.list holding train.tsv and train_isolated.tsv, plus
    // <out>/frontend.json. Built in <out>.tmp-PID and renamed: an interrupted run leaves no
    // half-written folder. <out> must not exist. Returns the utterance count.
    std::size_t prepare_corpus(const std::string& corpus_dir, const std::string& out_dir, const FrontendConfig& fc,
                               int threads, const Progress& progress = {});
}

#endif
