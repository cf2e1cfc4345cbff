// tests/fuzz/fuzz_corpus.cpp -- libFuzzer harness of the char-LM's corpus loader: read_file and
// load_corpus in both vocabulary modes ("seen": the bytes in the file; "bytes": all 256), then
// the stream batcher over the result, as training does. A std::exception with a message is the
// right answer (an empty file, too few tokens); a crash or a sanitizer report is a bug.
#include "fuzz_file.hpp"

#include "xrnn/charlm/char_corpus.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string path = fuzz::write_file("input.txt", data, size);
    try
    {
        if (xrnn::read_file(path).size() != size)
            __builtin_trap();
    }
    catch (const std::exception&)
    {
    }
    for (const char* vocab : {"seen", "bytes"})
    {
        try
        {
            const xrnn::CharCorpus c = xrnn::load_corpus(path, 0.1, vocab);
            // the round trip every sampler and evaluation relies on
            const std::string head(reinterpret_cast<const char*>(data), c.train.size());
            if (c.train.size() + c.val.size() != size || c.vocab.decode(c.train) != head)
                __builtin_trap();
            const xrnn::StreamBatcher b(c.train, 2, 3);
            std::vector<std::int32_t> x(6), y(6);
            for (std::size_t k = 0; k < b.chunks_per_epoch(); ++k)
                b.chunk(k, x.data(), y.data());
        }
        catch (const std::exception&)
        {
        }
    }
    return 0;
}
