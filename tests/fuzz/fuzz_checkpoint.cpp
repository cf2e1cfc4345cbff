// tests/fuzz/fuzz_checkpoint.cpp -- libFuzzer harness of xrnn::load_checkpoint, the container
// every model file is read through. A CheckpointError (or any std::exception) with a message is
// the right answer to a bad file; a crash, a sanitizer report, a hang or an OOM is a bug.
#include "fuzz_checksum.hpp"
#include "fuzz_file.hpp"

#include "xrnn/checkpoint.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>

namespace
{
    // Loads the file and, when it loads, reads every tensor back by its dtype (what the model
    // loaders do next); a tensor asked for by another dtype must throw, not reinterpret bytes.
    void load(const std::string& bytes)
    {
        const std::string path = fuzz::write_file("input.ckpt", bytes);
        try
        {
            const xrnn::Checkpoint c = xrnn::load_checkpoint(path);
            std::size_t total = c.meta_json.size();
            for (const auto& [name, t] : c.tensors)
            {
                switch (t.dtype)
                {
                case xrnn::DType::float32: total += c.tensor<float>(name).size(); break;
                case xrnn::DType::float64: total += c.tensor<double>(name).size(); break;
                case xrnn::DType::uint64: total += c.tensor<std::uint64_t>(name).size(); break;
                }
                try
                {
                    (void)c.tensor<double>(name); // another dtype (or the right one): throws or reads
                }
                catch (const xrnn::CheckpointError&)
                {
                }
            }
            (void)total;
        }
        catch (const xrnn::CheckpointError&)
        {
        }
        catch (const std::exception& e)
        {
            fuzz::undocumented(e);
        }
    }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string raw(reinterpret_cast<const char*>(data), size);
    load(raw); // as given: the header, length and checksum checks
    const std::string fixed = fuzz::with_checksum(data, size);
    if (fixed != raw)
        load(fixed); // checksum recomputed: the tensors are read, too
    return 0;
}
