// xrnn/charlm/char_corpus.hpp -- a text file as a byte sequence: vocabulary, train/validation split and
// char-rnn-style batching.
//
// Split: the last 10% of the file is validation (as char-rnn and nanoGPT do).
// Batching (karpathy/char-rnn): the token sequence is cut into B contiguous streams; chunk k
// of stream b holds positions b*L + k*T .. + T (L = stream length), so the hidden state carried
// from chunk k to chunk k+1 continues the same text. Targets are the inputs shifted by one.
#ifndef XRNN_CHARLM_CHAR_CORPUS_HPP
#define XRNN_CHARLM_CHAR_CORPUS_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace xrnn
{
    // Maps bytes to token ids 0..size()-1.
    class Vocabulary
    {
    public:
        Vocabulary() { index_.fill(-1); }
        static Vocabulary from_text(const std::string& bytes); // the bytes seen, sorted
        static Vocabulary all_bytes();                         // 256 symbols
        static Vocabulary from_symbols(const std::vector<std::uint8_t>& symbols);

        std::size_t size() const { return symbols_.size(); }
        const std::vector<std::uint8_t>& symbols() const { return symbols_; }
        bool contains(std::uint8_t c) const { return index_[c] >= 0; }
        std::int32_t id(std::uint8_t c) const { return index_[c]; }
        std::uint8_t symbol(std::int32_t id) const { return symbols_[static_cast<std::size_t>(id)]; }
        // Throws, naming the first byte the vocabulary lacks, if any.
        std::vector<std::int32_t> encode(const std::string& bytes) const;
        std::string decode(const std::vector<std::int32_t>& ids) const;

    private:
        std::vector<std::uint8_t> symbols_;
        std::array<std::int16_t, 256> index_;
    };

    std::string read_file(const std::string& path); // throws with the path and reason on failure

    struct CharCorpus
    {
        Vocabulary vocab;
        std::vector<std::int32_t> train, val;
        std::size_t file_bytes = 0;
    };

    // Reads a file and splits it by position: the last val_fraction is validation.
    // vocab: "seen" (bytes in the file) or "bytes" (all 256).
    CharCorpus load_corpus(const std::string& path, double val_fraction = 0.1, const std::string& vocab = "seen");

    // Consecutive (T, B) chunks of B contiguous streams; time-major like the recurrent layers.
    class StreamBatcher
    {
    public:
        StreamBatcher(const std::vector<std::int32_t>& tokens, std::size_t batch, std::size_t steps);
        std::size_t chunks_per_epoch() const { return chunks_; }
        std::size_t batch() const { return batch_; }
        std::size_t steps() const { return steps_; }
        // Writes inputs x and targets y, each (T, B) time-major, for chunk `index` of the epoch.
        void chunk(std::size_t index, std::int32_t* x, std::int32_t* y) const;

    private:
        const std::vector<std::int32_t>* tokens_;
        std::size_t batch_, steps_, stream_len_, chunks_;
    };
}

#endif
