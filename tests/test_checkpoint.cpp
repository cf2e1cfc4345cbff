// tests/test_checkpoint.cpp -- the container: round trip, and clear errors (never a crash) for
// truncated, corrupted, foreign and future-version files; atomic replacement.
#include "xrnn/checkpoint.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

namespace
{
    std::string tmp(const std::string& name) { return std::string(XRNN_TEST_TMP) + "/" + name; }

    std::string slurp(const std::string& p)
    {
        std::ifstream f(p, std::ios::binary);
        return {std::istreambuf_iterator<char>(f), {}};
    }
    void spit(const std::string& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; }

    xrnn::Checkpoint sample()
    {
        xrnn::Checkpoint c;
        c.meta_json = R"({"step": 12, "note": "hello"})";
        c.tensors.push_back({"params", {1.5f, -2.0f, 3.25f}});
        c.tensors.push_back({"empty", {}});
        c.tensors.push_back({"big", std::vector<float>(1000, 0.5f)});
        return c;
    }
}

TEST_CASE("round trip keeps metadata and tensors exactly")
{
    const auto path = tmp("rt.ckpt");
    xrnn::save_checkpoint(path, sample());
    const auto c = xrnn::load_checkpoint(path);
    CHECK(c.meta_json == sample().meta_json);
    REQUIRE(c.tensors.size() == 3);
    CHECK(c.tensor("params") == std::vector<float>{1.5f, -2.0f, 3.25f});
    CHECK(c.tensor("empty").empty());
    CHECK(c.tensor("big").size() == 1000);
    CHECK_THROWS_WITH_AS(c.tensor("nope"), doctest::Contains("no tensor 'nope'"), xrnn::CheckpointError);
    // no temporary file is left behind
    for (const auto& e : std::filesystem::directory_iterator(XRNN_TEST_TMP))
        CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
}

TEST_CASE("every truncation and every single-byte corruption is rejected with a clear error")
{
    const auto path = tmp("good.ckpt");
    xrnn::save_checkpoint(path, sample());
    const std::string good = slurp(path);
    const auto bad = tmp("bad.ckpt");
    for (std::size_t n = 0; n < good.size(); n += (n < 200 ? 1 : 97))
    {
        spit(bad, good.substr(0, n));
        INFO("truncated to " << n << " bytes");
        CHECK_THROWS_AS(xrnn::load_checkpoint(bad), xrnn::CheckpointError);
    }
    for (std::size_t i = 0; i < good.size(); i += (i < 200 ? 1 : 131))
    {
        std::string s = good;
        s[i] = static_cast<char>(s[i] ^ 0x5A);
        spit(bad, s);
        INFO("byte " << i << " flipped");
        CHECK_THROWS_AS(xrnn::load_checkpoint(bad), xrnn::CheckpointError);
    }
    spit(bad, good.substr(0, good.size() / 2));
    CHECK_THROWS_WITH_AS(xrnn::load_checkpoint(bad), doctest::Contains("truncated"), xrnn::CheckpointError);
    std::string flipped = good;
    flipped[good.size() - 20] ^= 1;
    spit(bad, flipped);
    CHECK_THROWS_WITH_AS(xrnn::load_checkpoint(bad), doctest::Contains("checksum"), xrnn::CheckpointError);
}

TEST_CASE("foreign files, other versions, missing files, unwritable places")
{
    const auto bad = tmp("foreign.ckpt");
    spit(bad, "PK\x03\x04 this is a zip file, not a checkpoint");
    CHECK_THROWS_WITH_AS(xrnn::load_checkpoint(bad), doctest::Contains("not an xrnn checkpoint"), xrnn::CheckpointError);
    std::string future = slurp((xrnn::save_checkpoint(tmp("v.ckpt"), sample()), tmp("v.ckpt")));
    future[8] = 9; // version field
    spit(bad, future);
    CHECK_THROWS_WITH_AS(xrnn::load_checkpoint(bad), doctest::Contains("format version 9; this build reads version 1"),
                         xrnn::CheckpointError);
    CHECK_THROWS_WITH_AS(xrnn::load_checkpoint(tmp("missing.ckpt")), doctest::Contains("cannot open"), xrnn::CheckpointError);
    CHECK_THROWS_WITH_AS(xrnn::save_checkpoint(tmp("no/such/dir/x.ckpt"), sample()), doctest::Contains("cannot write"),
                         xrnn::CheckpointError);
}

TEST_CASE("saving over an existing checkpoint replaces it whole")
{
    const auto path = tmp("replace.ckpt");
    xrnn::save_checkpoint(path, sample());
    xrnn::Checkpoint c2;
    c2.meta_json = "{}";
    c2.tensors.push_back({"x", {42.0f}});
    xrnn::save_checkpoint(path, c2);
    CHECK(xrnn::load_checkpoint(path).tensor("x") == std::vector<float>{42.0f});
}
