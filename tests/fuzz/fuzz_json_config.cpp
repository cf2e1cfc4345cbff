// tests/fuzz/fuzz_json_config.cpp -- libFuzzer harness of the configuration JSON readers, what
// a checkpoint's metadata holds: the char-LM's config_from_json (a parsed nlohmann::json), the
// sequence trainer's config_from_json and model_config_from_json (text), and the speech front
// end's frontend_from_json (text). Every one must refuse a bad value with a std::exception that
// says which; a crash, a sanitizer report (an unchecked cast, a negative size) or a hang is a bug.
#include "xrnn/charlm/train_config.hpp"
#include "xrnn/seq/seq_train.hpp"
#include "xrnn/speech/frontend.hpp"

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string text(reinterpret_cast<const char*>(data), size);
    try
    {
        const nlohmann::json j = nlohmann::json::parse(text); // throws on text that is not JSON
        (void)xrnn::config_from_json(j);
        if (j.is_object() && j.contains("config"))
            (void)xrnn::config_from_json(j.at("config")); // as in a checkpoint's metadata
    }
    catch (const std::exception&)
    {
    }
    try
    {
        (void)xrnn::seq::config_from_json(text);
    }
    catch (const std::exception&)
    {
    }
    try
    {
        (void)xrnn::seq::model_config_from_json(text);
    }
    catch (const std::exception&)
    {
    }
    try
    {
        const xrnn::speech::FrontendConfig c = xrnn::speech::frontend_from_json(text);
        c.validate();
        (void)c.dims();
    }
    catch (const std::exception&)
    {
    }
    return 0;
}
