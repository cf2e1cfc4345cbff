// tests/fuzz/fuzz_speech_list.cpp -- libFuzzer harness of the speech corpus list reader
// (xrnn::speech::read_corpus_list: wav path, digit words, voice, kind per line). A DataError
// (or any std::exception) naming the line is the right answer to a bad list; a crash, a
// sanitizer report or a hang is a bug.
#include "fuzz_file.hpp"

#include "xrnn/speech/digits_corpus.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string path = fuzz::write_file("list.tsv", data, size);
    try
    {
        for (const auto& u : xrnn::speech::read_corpus_list(path))
            if (u.digits.empty())
                __builtin_trap(); // read_corpus_list refuses a line without words
    }
    catch (const std::exception&)
    {
    }
    return 0;
}
