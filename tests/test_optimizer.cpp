// tests/test_optimizer.cpp -- Adam, RMSprop and SGD-momentum against their torch.optim formulas
// written out in double, and the learning-rate schedule.
#include "xrnn/optimizer.hpp"

#include <doctest/doctest.h>

#include <cmath>

namespace
{
    std::vector<double> grads_at(int step) { return {0.1 * step, -0.3, 2.0 / step}; }
}

TEST_CASE("adam follows torch.optim.Adam (bias-corrected, eps outside the sqrt)")
{
    xrnn::OptimizerConfig c;
    c.lr = 0.01;
    xrnn::Optimizer<float> opt(c);
    std::vector<float> p = {1, -1, 0.5f}, g(3);
    std::vector<double> ref = {1, -1, 0.5}, m(3, 0), v(3, 0);
    for (int t = 1; t <= 5; ++t)
    {
        const auto gd = grads_at(t);
        for (int i = 0; i < 3; ++i)
        {
            g[i] = static_cast<float>(gd[i]);
            m[i] = 0.9 * m[i] + 0.1 * gd[i];
            v[i] = 0.999 * v[i] + 0.001 * gd[i] * gd[i];
            const double mhat = m[i] / (1 - std::pow(0.9, t)), vhat = v[i] / (1 - std::pow(0.999, t));
            ref[i] -= 0.01 * mhat / (std::sqrt(vhat) + 1e-8);
        }
        opt.step({{p.data(), g.data(), 3}});
    }
    for (int i = 0; i < 3; ++i)
        CHECK(p[i] == doctest::Approx(ref[i]).epsilon(1e-5));
    CHECK(opt.steps() == 5);
}

TEST_CASE("sgd with momentum and rmsprop follow torch.optim")
{
    xrnn::OptimizerConfig c;
    c.kind = xrnn::OptimizerKind::sgd;
    c.lr = 0.1;
    c.momentum = 0.9;
    xrnn::Optimizer<double> sgd(c);
    c.kind = xrnn::OptimizerKind::rmsprop;
    c.lr = 0.01;
    xrnn::Optimizer<double> rms(c);
    std::vector<double> ps = {1, 1, 1}, pr = {1, 1, 1}, g(3), refs = {1, 1, 1}, refr = {1, 1, 1}, buf(3, 0), sq(3, 0);
    for (int t = 1; t <= 4; ++t)
    {
        g = grads_at(t);
        for (int i = 0; i < 3; ++i)
        {
            buf[i] = 0.9 * buf[i] + g[i];
            refs[i] -= 0.1 * buf[i];
            sq[i] = 0.99 * sq[i] + 0.01 * g[i] * g[i];
            refr[i] -= 0.01 * g[i] / (std::sqrt(sq[i]) + 1e-8);
        }
        sgd.step({{ps.data(), g.data(), 3}});
        rms.step({{pr.data(), g.data(), 3}});
    }
    for (int i = 0; i < 3; ++i)
    {
        CHECK(ps[i] == doctest::Approx(refs[i]).epsilon(1e-6));
        CHECK(pr[i] == doctest::Approx(refr[i]).epsilon(1e-5));
    }
}

TEST_CASE("decoupled weight decay and the step schedule")
{
    xrnn::OptimizerConfig c;
    c.kind = xrnn::OptimizerKind::sgd;
    c.momentum = 0;
    c.lr = 0.5;
    c.weight_decay = 0.1;
    xrnn::Optimizer<double> opt(c);
    std::vector<double> p = {2}, g = {0};
    opt.step({{p.data(), g.data(), 1}});
    CHECK(p[0] == doctest::Approx(2 - 0.5 * 0.1 * 2));

    c.lr_decay = 0.5;
    c.lr_decay_every = 10;
    c.lr_decay_start = 100;
    xrnn::Optimizer<double> sched(c);
    CHECK(sched.lr_at(100) == 0.5);
    CHECK(sched.lr_at(109) == 0.5);
    CHECK(sched.lr_at(110) == 0.25);
    CHECK(sched.lr_at(135) == 0.0625);
    c.lr_min = 0.1;
    xrnn::Optimizer<double> floored(c);
    CHECK(floored.lr_at(120) == 0.125);
    CHECK(floored.lr_at(500) == 0.1);
    CHECK_THROWS_WITH_AS(xrnn::optimizer_from_name("adamw"), doctest::Contains("adam, rmsprop, sgd"), std::invalid_argument);
    c.lr = -1;
    CHECK_THROWS_WITH_AS(xrnn::Optimizer<double>{c}, doctest::Contains("learning rate must be > 0"), std::invalid_argument);
}

TEST_CASE("cosine and linear schedules: hold, decay to lr_min over lr_decay_steps, then stay")
{
    xrnn::OptimizerConfig c;
    c.lr = 1.0;
    c.lr_min = 0.1;
    c.lr_decay_start = 100;
    c.lr_decay_steps = 200;
    c.schedule = xrnn::LrSchedule::cosine;
    xrnn::Optimizer<double> cosine(c);
    CHECK(cosine.lr_at(1) == 1.0);
    CHECK(cosine.lr_at(100) == 1.0);
    CHECK(cosine.lr_at(200) == doctest::Approx(0.55));                                  // half way: the mean
    CHECK(cosine.lr_at(150) == doctest::Approx(0.1 + 0.9 * (1 + std::cos(std::acos(-1.0) / 4)) / 2)); // a quarter
    CHECK(cosine.lr_at(300) == doctest::Approx(0.1));
    CHECK(cosine.lr_at(10000) == doctest::Approx(0.1));
    for (std::uint64_t t = 101; t <= 300; ++t) // monotone
        CHECK(cosine.lr_at(t) < cosine.lr_at(t - 1));

    c.schedule = xrnn::LrSchedule::linear;
    xrnn::Optimizer<double> linear(c);
    CHECK(linear.lr_at(100) == 1.0);
    CHECK(linear.lr_at(150) == doctest::Approx(0.775));
    CHECK(linear.lr_at(300) == doctest::Approx(0.1));
    CHECK(linear.lr_at(301) == doctest::Approx(0.1));

    CHECK(xrnn::lr_schedule_from_name("cosine") == xrnn::LrSchedule::cosine);
    CHECK(xrnn::lr_schedule_name(xrnn::LrSchedule::linear) == "linear");
    CHECK_THROWS_WITH_AS(xrnn::lr_schedule_from_name("onecycle"), doctest::Contains("step, cosine, linear"), std::invalid_argument);
    c.lr_decay_steps = 0;
    CHECK_THROWS_WITH_AS(xrnn::Optimizer<double>{c}, doctest::Contains("lr_decay_steps > 0"), std::invalid_argument);
    c.lr_decay_steps = 10;
    c.lr_min = 2.0;
    CHECK_THROWS_WITH_AS(xrnn::Optimizer<double>{c}, doctest::Contains("must not exceed lr"), std::invalid_argument);
}
