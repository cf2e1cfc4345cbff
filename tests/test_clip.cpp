// tests/test_clip.cpp -- clipping by global norm (Pascanu's ">=") and by value, and the counter.
#include "xrnn/clip.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

TEST_CASE("global norm over spans; clipping scales to the threshold and reports the norm before")
{
    std::vector<float> v1(2), g1 = {3, 0}, v2(1), g2 = {4};
    std::vector<xrnn::ParamSpan<float>> spans = {{v1.data(), g1.data(), 2}, {v2.data(), g2.data(), 1}};
    CHECK(xrnn::global_grad_norm(spans) == doctest::Approx(5.0));
    auto r = xrnn::clip_by_global_norm(spans, 10.0);
    CHECK(!r.clipped);
    CHECK(g1[0] == 3.0f);
    r = xrnn::clip_by_global_norm(spans, 1.0);
    CHECK(r.clipped);
    CHECK(r.norm_before == doctest::Approx(5.0));
    CHECK(r.norm_after == doctest::Approx(1.0).epsilon(1e-5));
    CHECK(g1[0] == doctest::Approx(0.6f).epsilon(1e-5));
    CHECK(g2[0] == doctest::Approx(0.8f).epsilon(1e-5));
    // ">=": a norm exactly at the threshold counts as clipped
    std::vector<float> g3 = {2, 0}, v3(2);
    std::vector<xrnn::ParamSpan<float>> s3 = {{v3.data(), g3.data(), 2}};
    CHECK(xrnn::clip_by_global_norm(s3, 2.0).clipped);
}

TEST_CASE("non-finite gradients are reported, not scaled")
{
    std::vector<float> v(2), g = {1, std::numeric_limits<float>::infinity()};
    std::vector<xrnn::ParamSpan<float>> spans = {{v.data(), g.data(), 2}};
    const auto r = xrnn::clip_by_global_norm(spans, 1.0);
    CHECK(!std::isfinite(r.norm_before));
    CHECK(!r.clipped);
    CHECK(g[0] == 1.0f);
}

TEST_CASE("clip by value and the clip counter")
{
    std::vector<double> v(4), g = {-3, 0.5, 2, -0.1};
    std::vector<xrnn::ParamSpan<double>> spans = {{v.data(), g.data(), 4}};
    CHECK(xrnn::clip_by_value(spans, 1.0) == 2);
    CHECK(g == std::vector<double>{-1, 0.5, 1, -0.1});

    xrnn::ClipCounter c(4);
    for (bool b : {true, false, true, true, false, false})
        c.record(b);
    CHECK(c.steps() == 6);
    CHECK(c.clip_count() == 3);
    CHECK(c.clip_fraction_recent() == doctest::Approx(0.5)); // last 4: T T F F
}
