// tests/gradflow/test_tasks.cpp -- the synthetic long-range tasks: layout of the generated data, the
// baseline derived from the generator (checked by Monte Carlo), errors for bad lengths.
#include "xrnn/gradflow/tasks.hpp"

#include <doctest/doctest.h>

#include <cmath>

namespace gf = xrnn::gradflow;

TEST_CASE("adding problem: two markers, one per half, target = sum of the marked values")
{
    gf::SyntheticTask task(gf::TaskKind::adding, 50);
    CHECK(task.input_size() == 2);
    CHECK(task.output_size() == 1);
    xrnn::Rng rng(1);
    xrnn::Tensor3<float> x;
    std::vector<double> y;
    task.sample(rng, 2000, x, y);
    REQUIRE(x.shape()[0] == 50);
    double mse_const = 0;
    for (std::size_t b = 0; b < 2000; ++b)
    {
        int first = 0, second = 0;
        double sum = 0;
        for (std::size_t t = 0; t < 50; ++t)
        {
            CHECK(x(t, b, 0) >= 0.0f);
            CHECK(x(t, b, 0) < 1.0f);
            if (x(t, b, 1) == 1.0f)
            {
                (t < 25 ? first : second) += 1;
                sum += x(t, b, 0);
            }
            else
                REQUIRE(x(t, b, 1) == 0.0f);
        }
        REQUIRE(first == 1);
        REQUIRE(second == 1);
        CHECK(y[b] == doctest::Approx(sum));
        mse_const += (y[b] - task.baseline_constant()) * (y[b] - task.baseline_constant()) / 2000;
    }
    // the baseline from the generator's distribution (1/6) vs a Monte Carlo estimate
    CHECK(task.baseline_loss() == doctest::Approx(1.0 / 6.0));
    CHECK(mse_const == doctest::Approx(task.baseline_loss()).epsilon(0.05));
}

TEST_CASE("temporal order: X/Y at the 2nd and 6th tenths, class = their order")
{
    const std::size_t S = 100;
    gf::SyntheticTask task(gf::TaskKind::temporal_order, S);
    CHECK(task.input_size() == 6);
    CHECK(task.output_size() == 4);
    CHECK(task.baseline_loss() == doctest::Approx(std::log(4.0)));
    xrnn::Rng rng(2);
    xrnn::Tensor3<double> x;
    std::vector<double> y;
    task.sample(rng, 500, x, y);
    int counts[4] = {0, 0, 0, 0};
    for (std::size_t b = 0; b < 500; ++b)
    {
        std::vector<std::pair<std::size_t, int>> marks;
        for (std::size_t t = 0; t < S; ++t)
        {
            double row = 0;
            for (std::size_t i = 0; i < 6; ++i)
                row += x(t, b, i);
            REQUIRE(row == 1.0); // one-hot
            if (x(t, b, 4) == 1.0 || x(t, b, 5) == 1.0)
                marks.push_back({t, x(t, b, 5) == 1.0 ? 1 : 0});
        }
        REQUIRE(marks.size() == 2);
        CHECK(marks[0].first >= 10);
        CHECK(marks[0].first < 20);
        CHECK(marks[1].first >= 50);
        CHECK(marks[1].first < 60);
        CHECK(y[b] == 2 * marks[0].second + marks[1].second);
        counts[static_cast<int>(y[b])]++;
    }
    for (int c : counts)
        CHECK(c > 80); // all four classes, roughly balanced
}

TEST_CASE("tasks: bad names and lengths are clear errors; same seed, same data")
{
    CHECK_THROWS_WITH_AS(gf::task_from_name("copy"), doctest::Contains("valid: adding, temporal_order"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(gf::SyntheticTask(gf::TaskKind::adding, 1), doctest::Contains("at least 2"),
                         std::invalid_argument);
    CHECK_THROWS_WITH_AS(gf::SyntheticTask(gf::TaskKind::temporal_order, 9),
                         doctest::Contains("at least 10"), std::invalid_argument);
    gf::SyntheticTask task(gf::TaskKind::adding, 20);
    xrnn::Rng a(5), b(5);
    xrnn::Tensor3<float> xa, xb;
    std::vector<double> ya, yb;
    task.sample(a, 4, xa, ya);
    task.sample(b, 4, xb, yb);
    CHECK(xa == xb);
    CHECK(ya == yb);
}
