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
    CHECK_THROWS_WITH_AS(xrnn::load_checkpoint(tmp("missing.ckpt")), doctest::Contains("missing.ckpt' does not exist"), xrnn::CheckpointError);
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

TEST_CASE("named tensors keep their dtype: a double ParamSet, span values, an optimizer and an Rng round-trip")
{
    xrnn::ParamSet<double> p;
    p.add("weight_ih_l0", {3, 2});
    p.add("bias", {3});
    for (std::size_t i = 0; i < p.size(); ++i)
        p.values()[i] = 1.0 / 3.0 + static_cast<double>(i) * 1e-17; // not representable in float
    xrnn::OptimizerConfig oc;
    oc.kind = xrnn::OptimizerKind::rmsprop;
    xrnn::Optimizer<double> opt(oc);
    for (std::size_t i = 0; i < p.size(); ++i)
        p.grads()[i] = 0.1 * static_cast<double>(i);
    opt.step({p.span()});
    xrnn::Rng rng(7);
    rng.normal(); // leaves a spare normal in the state
    xrnn::Checkpoint c;
    xrnn::put_params(c, "model.", p);
    xrnn::put_span_values(c, "flat", std::vector<xrnn::ParamSpan<double>>{p.span()});
    xrnn::put_optimizer(c, opt);
    xrnn::put_rng(c, "rng", rng);
    const auto path = tmp("typed.ckpt");
    xrnn::save_checkpoint(path, c);
    const auto back = xrnn::load_checkpoint(path);

    xrnn::ParamSet<double> q;
    q.add("weight_ih_l0", {3, 2});
    q.add("bias", {3});
    xrnn::get_params(back, "model.", q);
    CHECK(std::vector<double>(q.values(), q.values() + q.size()) == std::vector<double>(p.values(), p.values() + p.size()));
    xrnn::ParamSet<double> r;
    r.add("all", {9});
    xrnn::get_span_values(back, "flat", std::vector<xrnn::ParamSpan<double>>{r.span()});
    CHECK(std::vector<double>(r.values(), r.values() + 9) == std::vector<double>(p.values(), p.values() + p.size()));
    CHECK(back.has("optimizer.rmsprop.v"));
    xrnn::Optimizer<double> opt2(oc);
    REQUIRE(xrnn::get_optimizer(back, opt2));
    CHECK(opt2.steps() == 1);
    CHECK(opt2.second_moment() == opt.second_moment());
    xrnn::Optimizer<double> adam;
    CHECK(!xrnn::get_optimizer(back, adam)); // no state for another kind
    xrnn::Rng rng2;
    xrnn::get_rng(back, "rng", rng2);
    CHECK(rng2.normal() == rng.normal()); // the spare
    CHECK(rng2.next_u64() == rng.next_u64());

    // the wrong dtype, the wrong shape, a missing name: one-line errors naming the tensor
    xrnn::ParamSet<float> f;
    f.add("weight_ih_l0", {3, 2});
    CHECK_THROWS_WITH_AS(xrnn::get_params(back, "model.", f), doctest::Contains("holds tensor 'model.weight_ih_l0' as float64"),
                         xrnn::CheckpointError);
    xrnn::ParamSet<double> small;
    small.add("bias", {2});
    CHECK_THROWS_WITH_AS(xrnn::get_params(back, "model.", small), doctest::Contains("has 3 values in tensor 'model.bias' but the model needs 2"),
                         xrnn::CheckpointError);
    CHECK_THROWS_WITH_AS(xrnn::get_params(back, "other.", q), doctest::Contains("has no tensor 'other.weight_ih_l0'"),
                         xrnn::CheckpointError);
}

TEST_CASE("a version-1 file (no dtype field, all float32) still loads")
{
    // the version-1 layout written out by hand: magic, version 1, metadata, tensors without dtype
    std::string v1("XRNNCKPT", 8);
    auto put = [&](auto v) { v1.append(reinterpret_cast<const char*>(&v), sizeof(v)); };
    const std::string meta = R"({"step": 3})";
    put(std::uint32_t{1});
    put(std::uint64_t{meta.size()});
    v1 += meta;
    put(std::uint32_t{2});
    for (const auto& [name, values] : {std::pair<std::string, std::vector<float>>{"params", {1.5f, -2.0f}},
                                       std::pair<std::string, std::vector<float>>{"empty", {}}})
    {
        put(static_cast<std::uint32_t>(name.size()));
        v1 += name;
        put(static_cast<std::uint64_t>(values.size()));
        for (float x : values)
            put(x);
    }
    put(xrnn::fnv1a(v1));
    const auto path = tmp("v1.ckpt");
    spit(path, v1);
    const auto c = xrnn::load_checkpoint(path);
    CHECK(c.meta_json == meta);
    CHECK(c.tensor("params") == std::vector<float>{1.5f, -2.0f});
    CHECK(c.tensor("empty").empty());
    // and every truncation of it is still rejected
    for (std::size_t n = 0; n < v1.size(); ++n)
    {
        spit(path, v1.substr(0, n));
        CHECK_THROWS_AS(xrnn::load_checkpoint(path), xrnn::CheckpointError);
    }
}
