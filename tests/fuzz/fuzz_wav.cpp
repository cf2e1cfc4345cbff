// tests/fuzz/fuzz_wav.cpp -- libFuzzer harness of xrnn::features::read_wav (libsndfile and the
// checks around it: format, truncation, channels, rate, length), what xrnn-speech reads. Any
// rate is accepted so that well-formed files go on to the sample reading. A DataError (or any
// std::exception) with a message is the right answer to a bad file; a crash, a sanitizer report,
// a hang or an OOM is a bug. (libsndfile itself is not instrumented: its bugs show only as
// crashes or as ASan reports in the memory it hands back.)
#include "fuzz_file.hpp"

#include "xrnn/features/wav.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string path = fuzz::write_file("input.wav", data, size);
    try
    {
        xrnn::features::WavOptions o;
        o.sample_rate = 0;
        const xrnn::features::Waveform w = xrnn::features::read_wav(path, o);
        if (w.samples.empty() || w.channels != 1)
            __builtin_trap(); // read_wav promises mono and at least min_samples
    }
    catch (const xrnn::features::DataError&)
    {
    }
    catch (const std::exception& e)
    {
        fuzz::undocumented(e);
    }
    return 0;
}
