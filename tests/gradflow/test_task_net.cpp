// tests/gradflow/test_task_net.cpp -- the study's network (task_net.hpp): --sigma-gamma puts
// sigma_max(candidate block of W_hh) * gamma exactly on the target, --gain on the uniform init
// multiplies all of W_hh, and the final-step loss has the task's shape (MSE for adding).
#include "xrnn/gradflow/task_net.hpp"

#include "xrnn/grad_monitor.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <string>

namespace gf = xrnn::gradflow;

namespace
{
    gf::RunConfig one_config(const std::string& cell, const std::string& init, double gain, double sigma_gamma)
    {
        gf::Options o;
        o.cells = {cell};
        o.inits = {init};
        o.gains = {gain};
        if (!std::isnan(sigma_gamma))
            o.sigma_gammas = {sigma_gamma};
        o.forget_biases = {1};
        o.seq_lens = {12};
        const auto cs = gf::expand(o);
        REQUIRE(cs.size() == 1);
        return cs[0];
    }
}

TEST_CASE("task net: --sigma-gamma rescales the candidate block of W_hh onto the target")
{
    gf::Options o;
    o.hidden_size = 8;
    const gf::SyntheticTask task(gf::TaskKind::adding, 12);
    for (const std::string cell : {"rnn", "gru", "lstm"})
    {
        const gf::RunConfig c = one_config(cell, "orthogonal", 1.0, 0.9);
        gf::TaskNet<double> net(c, o, task);
        const std::size_t H = o.hidden_size;
        const double* w = net.rnn.params().value(net.rnn.params().index("weight_hh_l0"));
        const double s = xrnn::sigma_max(w + xrnn::cell_traits(c.cell).candidate_block * H * H, H, H) * xrnn::max_slope(c.act);
        CHECK_MESSAGE(s == doctest::Approx(0.9).epsilon(1e-6), cell);
    }
}

TEST_CASE("task net: --gain on the uniform init multiplies W_hh; the adding loss is an MSE")
{
    gf::Options o;
    o.hidden_size = 6;
    o.batch_size = 5;
    const gf::SyntheticTask task(gf::TaskKind::adding, 12);
    gf::TaskNet<double> one(one_config("gru", "uniform", 1.0, gf::nan_v), o, task);
    gf::TaskNet<double> two(one_config("gru", "uniform", 2.0, gf::nan_v), o, task);
    const std::size_t n = 3 * o.hidden_size * o.hidden_size, i1 = one.rnn.params().index("weight_hh_l0");
    const double* w1 = one.rnn.params().value(i1);
    const double* w2 = two.rnn.params().value(two.rnn.params().index("weight_hh_l0"));
    for (std::size_t i = 0; i < n; ++i)
        REQUIRE(w2[i] == doctest::Approx(2 * w1[i]));

    xrnn::Rng rng(3);
    xrnn::Tensor3<double> x;
    std::vector<double> y;
    task.sample(rng, o.batch_size, x, y);
    std::vector<char> ok;
    const double loss = one.run(x, y, false, &ok);
    double mse = 0;
    for (std::size_t b = 0; b < o.batch_size; ++b)
    {
        const double e = one.logits[b] - y[b];
        mse += e * e / double(o.batch_size);
        CHECK(bool(ok[b]) == (e * e <= gf::SyntheticTask::solved_sq_error));
    }
    CHECK(loss == doctest::Approx(mse));
}
