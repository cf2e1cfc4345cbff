// tests/fuzz/fuzz_npy.cpp -- libFuzzer harness of the .npy reader (seq/src/npy.cpp): the file as
// features (read_npy_features) and as per-step tags (read_npy_ints), the two ways xrnn-seq reads
// one. A DataError (or any std::exception) with a message is the right answer to a bad file; a
// crash, a sanitizer report, a hang or an OOM is a bug.
#include "fuzz_file.hpp"

#include "xrnn/seq/npy.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string path = fuzz::write_file("input.npy", data, size);
    try
    {
        const xrnn::seq::Matrix m = xrnn::seq::read_npy_features(path);
        if (m.data.size() != m.rows * m.cols) // what every consumer of a Matrix relies on
            __builtin_trap();
    }
    catch (const std::exception&)
    {
    }
    try
    {
        (void)xrnn::seq::read_npy_ints(path);
    }
    catch (const std::exception&)
    {
    }
    return 0;
}
