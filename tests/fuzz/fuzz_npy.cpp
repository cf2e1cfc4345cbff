// tests/fuzz/fuzz_npy.cpp -- libFuzzer harness of the .npy reader (seq/src/npy.cpp): the bytes
// parsed (parse_npy, also what .npz members go through), the file as features (read_npy_features)
// and as per-step tags (read_npy_ints), the ways xrnn-seq reads one. A DataError (or any
// std::exception) with a message is the right answer to a bad file; a crash, a sanitizer report,
// a hang or an OOM is a bug.
#include "fuzz_file.hpp"

#include "xrnn/seq/npy.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    try // the parse itself: as many values as the shape says
    {
        const xrnn::seq::NpyArray a = xrnn::seq::parse_npy(std::string(reinterpret_cast<const char*>(data), size), "x");
        std::size_t n = 1;
        for (std::size_t d : a.shape)
            if (__builtin_mul_overflow(n, d, &n))
                __builtin_trap();
        if (n != a.values.size())
            __builtin_trap();
    }
    catch (const xrnn::seq::DataError&)
    {
    }
    catch (const std::exception& e)
    {
        fuzz::undocumented(e);
    }
    const std::string path = fuzz::write_file("input.npy", data, size);
    try
    {
        const xrnn::seq::Matrix m = xrnn::seq::read_npy_features(path);
        std::size_t n = 0; // what every consumer of a Matrix relies on: rows x cols values
        if (__builtin_mul_overflow(m.rows, m.cols, &n) || n != m.data.size())
            __builtin_trap();
    }
    catch (const xrnn::seq::DataError&)
    {
    }
    catch (const std::exception& e)
    {
        fuzz::undocumented(e);
    }
    try
    {
        (void)xrnn::seq::read_npy_ints(path);
    }
    catch (const xrnn::seq::DataError&)
    {
    }
    catch (const std::exception& e)
    {
        fuzz::undocumented(e);
    }
    return 0;
}
