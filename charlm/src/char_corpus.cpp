// charlm/src/char_corpus.cpp -- see char_corpus.hpp.
#include "xrnn/charlm/char_corpus.hpp"

#include "xrnn/check.hpp"
#include "xrnn/input_file.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace xrnn
{
    Vocabulary Vocabulary::from_symbols(const std::vector<std::uint8_t>& symbols)
    {
        Vocabulary v;
        for (std::uint8_t c : symbols)
        {
            XRNN_CHECK(v.index_[c] < 0, "vocabulary lists byte " + std::to_string(c) + " twice");
            v.index_[c] = static_cast<std::int16_t>(v.symbols_.size());
            v.symbols_.push_back(c);
        }
        return v;
    }

    Vocabulary Vocabulary::from_text(const std::string& bytes)
    {
        std::array<bool, 256> seen{};
        for (unsigned char c : bytes)
            seen[c] = true;
        std::vector<std::uint8_t> symbols;
        for (int c = 0; c < 256; ++c)
            if (seen[static_cast<std::size_t>(c)])
                symbols.push_back(static_cast<std::uint8_t>(c));
        return from_symbols(symbols);
    }

    Vocabulary Vocabulary::all_bytes()
    {
        std::vector<std::uint8_t> symbols(256);
        for (int c = 0; c < 256; ++c)
            symbols[static_cast<std::size_t>(c)] = static_cast<std::uint8_t>(c);
        return from_symbols(symbols);
    }

    std::vector<std::int32_t> Vocabulary::encode(const std::string& bytes) const
    {
        std::vector<std::int32_t> ids(bytes.size());
        for (std::size_t i = 0; i < bytes.size(); ++i)
        {
            const auto c = static_cast<std::uint8_t>(bytes[i]);
            if (index_[c] < 0)
            {
                std::ostringstream os;
                os << "byte " << int(c);
                if (c >= 32 && c < 127)
                    os << " ('" << char(c) << "')";
                os << " at offset " << i << " is not in the model's vocabulary of " << size() << " symbols";
                detail::fail(os.str());
            }
            ids[i] = index_[c];
        }
        return ids;
    }

    std::string Vocabulary::decode(const std::vector<std::int32_t>& ids) const
    {
        std::string s(ids.size(), '\0');
        for (std::size_t i = 0; i < ids.size(); ++i)
            s[i] = static_cast<char>(symbol(ids[i]));
        return s;
    }

    std::string read_file(const std::string& path)
    {
        std::string text;
        // regular files only: a FIFO would block, /dev/zero never ends, a folder is not "empty"
        const std::string problem = read_input_file(path, text);
        if (!problem.empty())
            throw std::runtime_error("xrnn: '" + path + "' " + problem);
        return text;
    }

    CharCorpus load_corpus(const std::string& path, double val_fraction, const std::string& vocab)
    {
        XRNN_CHECK(val_fraction >= 0 && val_fraction < 1, "validation fraction must be in [0, 1)");
        XRNN_CHECK(vocab == "seen" || vocab == "bytes", "vocabulary must be 'seen' or 'bytes', got '" + vocab + "'");
        const std::string text = read_file(path);
        XRNN_CHECK(!text.empty(), "'" + path + "' is empty: there is nothing to train on");
        CharCorpus c;
        c.file_bytes = text.size();
        c.vocab = vocab == "bytes" ? Vocabulary::all_bytes() : Vocabulary::from_text(text);
        const auto ids = c.vocab.encode(text);
        const auto n_val = static_cast<std::size_t>(static_cast<double>(ids.size()) * val_fraction);
        c.train.assign(ids.begin(), ids.end() - static_cast<std::ptrdiff_t>(n_val));
        c.val.assign(ids.end() - static_cast<std::ptrdiff_t>(n_val), ids.end());
        return c;
    }

    StreamBatcher::StreamBatcher(const std::vector<std::int32_t>& tokens, std::size_t batch, std::size_t steps)
        : tokens_(&tokens), batch_(batch), steps_(steps)
    {
        XRNN_CHECK(batch > 0 && steps > 0, "batch size and sequence length must be > 0");
        // one extra token at the end of each stream serves as the last target
        stream_len_ = tokens.size() > 0 ? (tokens.size() - 1) / batch : 0;
        chunks_ = stream_len_ / steps;
        XRNN_CHECK(chunks_ > 0, "the text has " + std::to_string(tokens.size()) + " tokens, too few for one batch of "
                                    + std::to_string(batch) + " streams x " + std::to_string(steps)
                                    + " steps (needs at least " + std::to_string(batch * steps + 1)
                                    + "); use a smaller batch_size or seq_len, or more text");
    }

    void StreamBatcher::chunk(std::size_t index, std::int32_t* x, std::int32_t* y) const
    {
        XRNN_ASSERT(index < chunks_);
        const auto& tok = *tokens_;
        for (std::size_t b = 0; b < batch_; ++b)
        {
            const std::size_t start = b * stream_len_ + index * steps_;
            for (std::size_t t = 0; t < steps_; ++t)
            {
                x[t * batch_ + b] = tok[start + t];
                y[t * batch_ + b] = tok[start + t + 1];
            }
        }
    }
}
