// tests/test_value_range.cpp -- value_range.hpp and the config checks built on it: the char-LM's
// TrainConfig, the seq trainer's SeqTrainConfig, gradflow's Options and sampling refuse NaN,
// infinities and out-of-range numbers in plain words, and a checkpoint's config is checked as
// written (a forged hidden_size -1, not the 2^64 - 1 it would wrap to).
#include <xrnn/charlm/sampler.hpp>
#include <xrnn/charlm/train_config.hpp>
#include <xrnn/gradflow/sweep.hpp>
#include <xrnn/seq/seq_train.hpp>
#include <xrnn/value_range.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <limits>
#include <string>

namespace
{
    std::string error_of(const std::function<void()>& f)
    {
        try
        {
            f();
        }
        catch (const std::exception& e)
        {
            return e.what();
        }
        return "";
    }
    constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();
    constexpr double k_inf = std::numeric_limits<double>::infinity();
}

TEST_SUITE("value_range")
{
    TEST_CASE("plain numbers, ranges and their text")
    {
        CHECK(xrnn::plain_number(65536) == "65536");
        CHECK(xrnn::plain_number(1e12) == "1000000000000");
        CHECK(xrnn::plain_number(0.999) == "0.999");
        CHECK(xrnn::plain_number(-50) == "-50");
        CHECK(xrnn::plain_number(1e308).size() < 25);
        const xrnn::ValueRange whole{"n", 1, 10, true}, open{"lr", 0, 10, false, true};
        CHECK(xrnn::range_text(whole) == "a whole number from 1 to 10");
        CHECK(xrnn::range_text(open) == "a number > 0 and <= 10");
        CHECK(xrnn::in_range(whole, 10));
        CHECK_FALSE(xrnn::in_range(whole, 1.5));
        CHECK_FALSE(xrnn::in_range(open, 0));
        for (double bad : {k_nan, k_inf, -k_inf})
            CHECK_FALSE(xrnn::in_range(open, bad));
        CHECK(error_of([&] { xrnn::check_range(whole, 0); }) == "xrnn: n must be a whole number from 1 to 10, got 0");
        const auto j = nlohmann::json::parse(R"({"n": -1, "lr": null, "deep": {"n": 3}})");
        CHECK(error_of([&] { xrnn::check_json_range(j, "/n", whole, false); }) == "xrnn: n must be a whole number from 1 to 10, got -1");
        CHECK(error_of([&] { xrnn::check_json_range(j, "/lr", open, false); }).find("got null") != std::string::npos);
        CHECK(error_of([&] { xrnn::check_json_range(j, "/deep/n", whole, false); }).empty());
        CHECK(error_of([&] { xrnn::check_json_range(j, "/absent", whole, true); }).empty());
    }

    TEST_CASE("char-LM: every number of TrainConfig finite and in range, also in a checkpoint's config")
    {
        xrnn::TrainConfig c;
        CHECK(error_of([&] { xrnn::check_train_config(c); }).empty());
        c.forget_bias = k_nan;
        CHECK(error_of([&] { xrnn::check_train_config(c); }) == "xrnn: forget_bias must be a number from -50 to 50, got nan");
        c = {};
        c.optimizer.momentum = k_inf;
        CHECK(error_of([&] { xrnn::check_train_config(c); }).find("momentum must be a number from 0 to 0.999") != std::string::npos);
        c = {};
        c.threads = 100000;
        CHECK(error_of([&] { xrnn::check_train_config(c); }) == "xrnn: threads must be a whole number from 1 to 256, got 100000");
        CHECK(xrnn::train_config_range("steps").hi == 1e12);
        CHECK_THROWS_AS(xrnn::train_config_range("no_such_field"), std::logic_error);

        nlohmann::json j = xrnn::config_to_json(xrnn::TrainConfig{});
        CHECK(xrnn::config_from_json(j).hidden_size == 512);
        j["hidden_size"] = -1;
        CHECK(error_of([&] { xrnn::config_from_json(j); }) == "xrnn: hidden_size must be a whole number from 1 to 65536, got -1");
        j = xrnn::config_to_json(xrnn::TrainConfig{});
        j["ema"] = nullptr; // a NaN, as nlohmann writes it
        CHECK(error_of([&] { xrnn::config_from_json(j); }).find("ema must be") != std::string::npos);
        j = xrnn::config_to_json(xrnn::TrainConfig{});
        j["seed"] = std::numeric_limits<std::uint64_t>::max(); // a run started with --seed -1 before the check
        CHECK(xrnn::config_from_json(j).seed == std::numeric_limits<std::uint64_t>::max());
        // fields not range-checked on load still refuse a float their type cannot hold: get_to's
        // cast of 1e30 to uint64_t was undefined behaviour (fuzz_json_config)
        for (const char* k : {"seed", "steps", "lr_decay_start", "lr_decay_steps"})
        {
            j = xrnn::config_to_json(xrnn::TrainConfig{});
            j[k] = 1e30;
            CHECK(error_of([&] { xrnn::config_from_json(j); })
                  == std::string("xrnn: ") + k + " must be a whole number from 0 to 18446744073709551615, got 1e+30");
        }
        j = xrnn::config_to_json(xrnn::TrainConfig{});
        j["seed"] = 7.0;
        CHECK(xrnn::config_from_json(j).seed == 7);
        const auto f = nlohmann::json::parse(R"({"i": -2147483648.5, "u": -0.5, "big": 1.8446744073709552e19})");
        CHECK(error_of([&] { xrnn::check_json_fits<int>(f, "/i", "i"); }).empty());
        CHECK(error_of([&] { xrnn::check_json_fits<std::uint64_t>(f, "/u", "u"); }).empty());
        CHECK(error_of([&] { xrnn::check_json_fits<std::uint64_t>(f, "/big", "big"); }).find("big must be") != std::string::npos);
    }

    TEST_CASE("sampling: temperature finite and >= 0, length bounded")
    {
        xrnn::SampleConfig s;
        CHECK(error_of([&] { xrnn::check_sample_config(s); }).empty());
        s.temperature = k_nan;
        CHECK(error_of([&] { xrnn::check_sample_config(s); }) == "xrnn: temperature must be a number from 0 to 100, got nan");
        s = {};
        s.length = std::size_t(-1);
        CHECK(error_of([&] { xrnn::check_sample_config(s); }).find("length must be a whole number from 0 to 1000000000") != std::string::npos);
    }

    TEST_CASE("seq: SeqTrainConfig's numbers, also in a checkpoint's config at their nested keys")
    {
        xrnn::seq::SeqTrainConfig c;
        CHECK(error_of([&] { xrnn::seq::check_train_config(c); }).empty());
        c.feature_noise = k_nan;
        CHECK(error_of([&] { xrnn::seq::check_train_config(c); }).find("feature_noise must be") != std::string::npos);
        c = {};
        c.optimizer.schedule = xrnn::LrSchedule::cosine;
        c.optimizer.lr_min = 1e-4;
        auto j = nlohmann::json::parse(xrnn::seq::config_json(c));
        CHECK(xrnn::seq::config_from_json(j.dump()).optimizer.lr_min == 1e-4);
        j["lr_schedule"]["min"] = -1;
        CHECK(error_of([&] { xrnn::seq::config_from_json(j.dump()); }) == "xrnn: lr_min must be a number from 0 to 1000000, got -1");
        j = nlohmann::json::parse(xrnn::seq::config_json(xrnn::seq::SeqTrainConfig{}));
        j["hidden_size"] = -1;
        CHECK(error_of([&] { xrnn::seq::config_from_json(j.dump()); }) == "xrnn: hidden_size must be a whole number from 1 to 65536, got -1");
        for (const char* k : {"seed", "monitor_every"}) // not range-checked on load, but no float cast past uint64_t
        {
            j = nlohmann::json::parse(xrnn::seq::config_json(xrnn::seq::SeqTrainConfig{}));
            j[k] = -1e30;
            CHECK(error_of([&] { xrnn::seq::config_from_json(j.dump()); })
                  == std::string("xrnn: ") + k + " must be a whole number from 0 to 18446744073709551615, got -1e+30");
        }
    }

    TEST_CASE("gradflow: a NaN gain, sigma_gamma or forget bias is refused, not read as 'not set'")
    {
        namespace gf = xrnn::gradflow;
        gf::Options o;
        CHECK(error_of([&] { gf::check_options(o); }).empty());
        o.gains = {1.0, k_nan};
        CHECK(error_of([&] { gf::check_options(o); }) == "xrnn: gain must be a number from 0 to 100, got nan");
        o = {};
        o.sigma_gammas = {k_nan};
        CHECK(error_of([&] { gf::check_options(o); }).find("sigma_gamma must be") != std::string::npos);
        o = {};
        o.forget_biases = {k_inf};
        CHECK(error_of([&] { gf::check_options(o); }).find("forget_bias must be a number from -50 to 50") != std::string::npos);
    }
}
