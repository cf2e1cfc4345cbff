#include "xrnn/weight_average.hpp"
#include <doctest/doctest.h>

#include <cmath>
#include <vector>

TEST_CASE("weight average: starts at the parameters, then d * avg + (1 - d) * p with the warm-up on d")
{
    xrnn::WeightAverage<double> avg(0.9);
    CHECK(avg.decay_at(1) == doctest::Approx(2.0 / 11.0));
    CHECK(avg.decay_at(1000) == 0.9);
    std::vector<double> a = {1, 2}, b = {3}, ga(2), gb(1);
    const std::vector<xrnn::ParamSpan<double>> spans = {{a.data(), ga.data(), 2}, {b.data(), gb.data(), 1}};
    avg.update(spans, 0);
    CHECK(avg.values() == std::vector<double>{1, 2, 3});
    a = {11, 12};
    b = {13};
    avg.update(spans, 1000);
    CHECK(avg.values()[0] == doctest::Approx(0.9 * 1 + 0.1 * 11));
    CHECK(avg.values()[1] == doctest::Approx(0.9 * 2 + 0.1 * 12));
    CHECK(avg.values()[2] == doctest::Approx(0.9 * 3 + 0.1 * 13));
    a = {5, 6};
    avg.update(spans, 1); // early step: d = 2/11
    CHECK(avg.values()[0] == doctest::Approx(2.0 / 11 * 2.0 + 9.0 / 11 * 5));
}

TEST_CASE("weight average: swap_into twice restores both; iterates jittering around a point average to it")
{
    xrnn::WeightAverage<double> avg(0.99);
    std::vector<double> p = {0}, g = {0};
    const std::vector<xrnn::ParamSpan<double>> spans = {{p.data(), g.data(), 1}};
    for (std::uint64_t t = 0; t < 2000; ++t)
    {
        p[0] = 3.0 + (t % 2 ? 1.0 : -1.0); // the last iterate is always 1 away from 3
        avg.update(spans, t);
    }
    const double last = p[0];
    CHECK(std::abs(last - 3.0) == 1.0);
    CHECK(std::abs(avg.values()[0] - 3.0) < 0.02);
    avg.swap_into(spans);
    CHECK(std::abs(p[0] - 3.0) < 0.02);
    avg.swap_into(spans);
    CHECK(p[0] == last);
}

TEST_CASE("weight average: bad decay and a model of another size are errors")
{
    CHECK_THROWS_WITH_AS(xrnn::WeightAverage<float>(1.0), doctest::Contains("in (0, 1)"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(xrnn::WeightAverage<float>(0.0), doctest::Contains("in (0, 1)"), std::invalid_argument);
    xrnn::WeightAverage<float> avg(0.5);
    std::vector<float> p(3), g(3);
    CHECK_THROWS_WITH_AS(avg.swap_into({{p.data(), g.data(), 3}}), doctest::Contains("empty or does not match"), std::invalid_argument);
    avg.update({{p.data(), g.data(), 3}}, 0);
    CHECK_THROWS_WITH_AS(avg.update({{p.data(), g.data(), 2}}, 1), doctest::Contains("holds 3 values but the model has 2"),
                         std::invalid_argument);
}
