// tests/fuzz/fuzz_charlm_checkpoint.cpp -- libFuzzer harness of xrnn::load_char_model, what
// `xrnn-charlm sample` and `eval` read: the container, its metadata JSON, config_from_json, the
// vocabulary, the model built from the config and its weights. A std::exception with a message
// is the right answer to a bad file; a crash, a sanitizer report, a hang or an OOM (a forged
// size allocated before it is checked) is a bug.
#include "fuzz_checksum.hpp"
#include "fuzz_file.hpp"

#include "xrnn/charlm/char_checkpoint.hpp"
#include "xrnn/charlm/char_memory.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>

namespace
{
    // The library refuses a model larger than the machine's available memory (tens of GB);
    // libFuzzer stops at 2 GB (-malloc_limit_mb). So a model the library's own estimate puts
    // above 1 GiB is skipped here, as a smaller machine would refuse it: an OOM that is left is
    // an allocation the estimate missed.
    constexpr double kBudget = double(std::uint64_t{1} << 30);

    bool over_budget(const std::string& path)
    {
        try
        {
            const nlohmann::json meta = nlohmann::json::parse(xrnn::load_checkpoint(path).meta_json);
            xrnn::TrainConfig c = xrnn::config_from_json(meta.at("config"));
            c.max_memory = std::numeric_limits<std::uint64_t>::max(); // the estimate only, never a refusal
            return xrnn::check_char_memory(c, meta.at("vocab").size(), 0, false) > kBudget;
        }
        catch (const std::exception&)
        {
            return false; // a file load_char_model must refuse by itself
        }
    }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // the checksum recomputed: otherwise nearly every mutation stops at the container
    // (fuzz_checkpoint covers the container's own checks)
    const std::string path = fuzz::write_file("input.ckpt", fuzz::with_checksum(data, size));
    if (over_budget(path))
        return 0;
    try
    {
        const xrnn::LoadedCharModel m = xrnn::load_char_model(path);
        if (m.averaged)
            (void)xrnn::load_char_model(path, true); // the raw weights as well as the average
    }
    catch (const xrnn::CheckpointError&)
    {
    }
    catch (const std::exception& e)
    {
        fuzz::undocumented(e);
    }
    return 0;
}
