// tests/fuzz/fuzz_seq_model.cpp -- libFuzzer harness of xrnn::seq::load_model, what `xrnn-seq
// eval` / `predict` and the speech recognizer read: the container, the metadata JSON, the model
// config, the model built from it, its weights, standardizer and classes. A std::exception with
// a message is the right answer to a bad file; a crash, a sanitizer report, a hang or an OOM is
// a bug.
#include "fuzz_checksum.hpp"
#include "fuzz_file.hpp"

#include "xrnn/seq/seq_memory.hpp"
#include "xrnn/seq/seq_train.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <limits>

namespace
{
    // As in fuzz_charlm_checkpoint: models the library's estimate puts above 1 GiB are skipped
    // (the library refuses only what the machine cannot hold; libFuzzer stops at 2 GB).
    constexpr double kBudget = double(std::uint64_t{1} << 30);

    bool over_budget(const std::string& path)
    {
        try
        {
            const nlohmann::json meta = nlohmann::json::parse(xrnn::load_checkpoint(path).meta_json);
            const auto cfg = xrnn::seq::model_config_from_json(meta.at("model").dump());
            return xrnn::seq::check_seq_memory(cfg, 0, 0, xrnn::OptimizerKind::adam,
                                               std::numeric_limits<std::uint64_t>::max()) > kBudget;
        }
        catch (const std::exception&)
        {
            return false; // a file load_model must refuse by itself
        }
    }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    // the checksum recomputed, as in fuzz_charlm_checkpoint
    const std::string path = fuzz::write_file("input.ckpt", fuzz::with_checksum(data, size));
    if (over_budget(path))
        return 0;
    try
    {
        (void)xrnn::seq::load_model(path);
    }
    catch (const xrnn::CheckpointError&)
    {
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
