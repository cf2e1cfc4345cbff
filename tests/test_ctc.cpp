// tests/test_ctc.cpp -- xrnn/ctc.hpp: the CTC loss and its gradient against PyTorch's CTCLoss
// (fixtures/make_torch_ctc.py), against a brute-force sum over every path, and against central
// finite differences for each reduction; zero_infinity and every input error; greedy and
// prefix beam search decoding (beam search is exact on brute-forceable cases); edit distance.
#include "gradcheck.hpp"
#include "xrnn/ctc.hpp"
#include "xrnn/random.hpp"

#include <doctest/doctest.h>
#include <xtensor/xnpy.hpp>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

namespace
{
    using Labels = std::vector<std::int32_t>;

    std::vector<double> uniform(std::size_t n, std::uint64_t seed, double lo, double hi)
    {
        xrnn::Rng rng(seed);
        std::vector<double> v(n);
        for (auto& x : v)
            x = rng.uniform(lo, hi);
        return v;
    }

    // A batch in PyTorch's 1-D target form.
    struct Batch
    {
        std::size_t T = 0, V = 0;
        std::vector<std::int32_t> targets, input_lengths, target_lengths;
        std::size_t size() const { return input_lengths.size(); }

        void add(std::int32_t frames, const Labels& l)
        {
            input_lengths.push_back(frames);
            target_lengths.push_back(static_cast<std::int32_t>(l.size()));
            targets.insert(targets.end(), l.begin(), l.end());
        }

        template <class T_>
        double loss(T_* d, double* losses, const T_* logits, const xrnn::CtcOptions& opt) const
        {
            return xrnn::ctc_loss(d, losses, logits, targets.data(), input_lengths.data(), target_lengths.data(), T,
                                  size(), V, targets.size(), opt);
        }
    };

    // ---- brute force: every frame-level path of one sequence (V^T of them), collapsed

    Labels collapse(const Labels& path, std::int32_t blank)
    {
        Labels out;
        std::int32_t prev = blank;
        for (std::int32_t k : path)
        {
            if (k != blank && k != prev)
                out.push_back(k);
            prev = k;
        }
        return out;
    }

    // p(labelling | x) for every labelling of sequence b, by summing the probabilities of the paths
    std::map<Labels, double> labelling_probs(const std::vector<double>& logits, std::size_t b, std::size_t frames,
                                             std::size_t B, std::size_t V, std::int32_t blank)
    {
        std::vector<double> p(frames * V);
        for (std::size_t t = 0; t < frames; ++t)
        {
            const double* z = logits.data() + (t * B + b) * V;
            double sum = 0;
            for (std::size_t k = 0; k < V; ++k)
                sum += std::exp(z[k]);
            for (std::size_t k = 0; k < V; ++k)
                p[t * V + k] = std::exp(z[k]) / sum;
        }
        std::map<Labels, double> probs;
        Labels path(frames, 0);
        std::size_t n = 1;
        for (std::size_t t = 0; t < frames; ++t)
            n *= V;
        for (std::size_t code = 0; code < n; ++code)
        {
            double q = 1;
            std::size_t c = code;
            for (std::size_t t = 0; t < frames; ++t, c /= V)
            {
                path[t] = static_cast<std::int32_t>(c % V);
                q *= p[t * V + c % V];
            }
            probs[collapse(path, blank)] += q;
        }
        return probs;
    }

    // ---- PyTorch fixtures

    std::string fixture_dir() { return std::string(XRNN_FIXTURES) + "/ctc/"; }

    template <class E>
    std::vector<E> load(const std::string& c, const std::string& name)
    {
        const auto a = xt::load_npy<E>(fixture_dir() + c + "/" + name + ".npy");
        return std::vector<E>(a.begin(), a.end());
    }

    // max |got - want| / max |want|
    template <class A>
    double rel_diff(const A& got, const std::vector<double>& want)
    {
        REQUIRE(got.size() == want.size());
        double scale = 0, diff = 0;
        for (std::size_t i = 0; i < want.size(); ++i)
        {
            scale = std::max(scale, std::abs(want[i]));
            diff = std::max(diff, std::abs(double(got[i]) - want[i]));
        }
        return scale > 0 ? diff / scale : diff;
    }

    // the central-difference check of dlogits for one batch and options
    double gradcheck_ctc(const Batch& batch, std::vector<double> logits, const xrnn::CtcOptions& opt)
    {
        std::vector<double> d(logits.size());
        batch.loss(d.data(), static_cast<double*>(nullptr), logits.data(), opt);
        double biggest = 0;
        for (double v : d)
            biggest = std::max(biggest, std::abs(v));
        CHECK(biggest > 1e-2); // a zero gradient would pass any comparison
        auto f = [&] { return batch.loss(static_cast<double*>(nullptr), static_cast<double*>(nullptr), logits.data(), opt); };
        std::vector<gradcheck::Entry> e{{"logits", d, gradcheck::numeric_grad(logits.data(), logits.size(), f, 1e-5),
                                         logits.data()}};
        // entries near the comparison floor (~1e-3) see the ~1e-10 rounding noise of the quotient
        // (eps * loss / h, loss ~ 30): the project's fourth-order second opinion, as gradcheck::check
        gradcheck::refine(e, f, 1e-7);
        gradcheck::Report r;
        gradcheck::compare(r, e);
        INFO(xrnn::ctc_reduction_name(opt.reduction) << ": max rel err " << r.max_err << " at " << r.worst);
        CHECK(r.max_err <= 1e-7);
        // the check can fail: a gradient off by 1e-5 relative is caught
        auto off = e;
        for (auto& v : off[0].analytic)
            v *= 1 + 1e-5;
        gradcheck::Report r_off;
        gradcheck::compare(r_off, off);
        CHECK(r_off.max_err > 1e-6);
        return r.max_err;
    }
}

TEST_SUITE("ctc")
{
    TEST_CASE_TEMPLATE("ctc_loss: loss, per-sequence losses and dlogits equal PyTorch's CTCLoss", T, float, double)
    {
        std::ifstream list(fixture_dir() + "cases.txt");
        REQUIRE(list.good());
        std::string name, reduction;
        int blank = 0, zero_infinity = 0, cases = 0;
        double worst_loss = 0, worst_losses = 0, worst_grad = 0;
        const double tol = sizeof(T) == 8 ? 1e-10 : 1e-5;
        while (list >> name >> blank >> reduction >> zero_infinity)
        {
            ++cases;
            const auto shape = xt::load_npy<double>(fixture_dir() + name + "/logits.npy").shape();
            Batch batch;
            batch.T = shape[0];
            batch.V = shape[2];
            batch.targets = load<std::int32_t>(name, "targets");
            batch.input_lengths = load<std::int32_t>(name, "input_lengths");
            batch.target_lengths = load<std::int32_t>(name, "target_lengths");
            REQUIRE(batch.size() == shape[1]);
            const auto l64 = load<double>(name, "logits");
            const std::vector<T> logits(l64.begin(), l64.end()); // float32-representable: exact as float
            xrnn::CtcOptions opt;
            opt.blank = blank;
            opt.reduction = xrnn::ctc_reduction_from_name(reduction);
            opt.zero_infinity = zero_infinity != 0;
            std::vector<T> d(logits.size(), std::numeric_limits<T>::quiet_NaN()); // every entry written
            std::vector<double> losses(batch.size());
            const double loss = batch.loss(d.data(), losses.data(), logits.data(), opt);

            const double e_loss = rel_diff(std::vector<double>{loss}, load<double>(name, "loss"));
            const double e_losses = rel_diff(losses, load<double>(name, "losses"));
            const double e_grad = rel_diff(d, load<double>(name, "grad"));
            INFO(name << ": loss " << loss << ", rel err loss " << e_loss << ", losses " << e_losses << ", grad "
                      << e_grad);
            CHECK(e_loss <= tol);
            CHECK(e_losses <= tol);
            CHECK(e_grad <= tol);
            for (std::size_t b = 0; b < batch.size(); ++b) // padding: exact zeros
                for (std::size_t t = static_cast<std::size_t>(batch.input_lengths[b]); t < batch.T; ++t)
                    for (std::size_t k = 0; k < batch.V; ++k)
                        CHECK(d[(t * batch.size() + b) * batch.V + k] == T(0));
            // without dlogits or losses: the same value
            const double bare = batch.loss(static_cast<T*>(nullptr), static_cast<double*>(nullptr), logits.data(), opt);
            CHECK(std::memcmp(&bare, &loss, sizeof(double)) == 0);
            worst_loss = std::max(worst_loss, e_loss);
            worst_losses = std::max(worst_losses, e_losses);
            worst_grad = std::max(worst_grad, e_grad);
        }
        CHECK(cases == 7);
        MESSAGE("ctc vs torch (" << std::string(sizeof(T) == 8 ? "double" : "float") << ", " << cases
                                 << " cases): max rel err loss " << worst_loss << ", per-sequence losses "
                                 << worst_losses << ", dlogits " << worst_grad);
    }

    TEST_CASE("ctc_loss: per-sequence losses equal -log of the brute-force sum over every path")
    {
        // repeats, a non-default blank, a tight target (S + repeats == frames), an empty target
        for (std::int32_t blank : {0, 2, 3})
        {
            Batch batch;
            batch.T = 5;
            batch.V = 4;
            const std::int32_t a = blank == 0 ? 1 : 0, c = blank == 3 ? 2 : 3;
            batch.add(5, {a, a, c});
            batch.add(4, {c});
            batch.add(5, {a, c, a, c, a});
            batch.add(3, {});
            batch.add(5, {c, c, c});
            const auto logits = uniform(batch.T * batch.size() * batch.V, 10 + static_cast<std::uint64_t>(blank), -2, 2);
            std::vector<double> losses(batch.size());
            xrnn::CtcOptions opt;
            opt.blank = blank;
            opt.reduction = xrnn::CtcReduction::none;
            batch.loss(static_cast<double*>(nullptr), losses.data(), logits.data(), opt);
            std::size_t offset = 0;
            for (std::size_t b = 0; b < batch.size(); ++b)
            {
                const Labels l(batch.targets.begin() + static_cast<std::ptrdiff_t>(offset),
                               batch.targets.begin() + static_cast<std::ptrdiff_t>(offset) + batch.target_lengths[b]);
                offset += l.size();
                const auto probs = labelling_probs(logits, b, static_cast<std::size_t>(batch.input_lengths[b]),
                                                   batch.size(), batch.V, blank);
                const double want = -std::log(probs.at(l));
                INFO("blank " << blank << ", sequence " << b);
                CHECK(losses[b] == doctest::Approx(want).epsilon(1e-12));
            }
        }
    }

    TEST_CASE("ctc_loss: dlogits match central finite differences for each reduction")
    {
        Batch batch;
        batch.T = 7;
        batch.V = 5;
        batch.add(7, {1, 1, 2});
        batch.add(4, {3, 4});
        batch.add(6, {2, 2, 2, 4}); // tight: 4 + 2 repeats
        batch.add(5, {});
        const auto logits = uniform(batch.T * batch.size() * batch.V, 21, -2, 2);
        double worst = 0;
        for (auto red : {xrnn::CtcReduction::mean, xrnn::CtcReduction::sum, xrnn::CtcReduction::none})
        {
            xrnn::CtcOptions opt;
            opt.reduction = red;
            worst = std::max(worst, gradcheck_ctc(batch, logits, opt));
            opt.blank = 4; // label 4 becomes blank: relabel 4 -> 0
            Batch other = batch;
            for (auto& v : other.targets)
                v = v == 4 ? 0 : v;
            worst = std::max(worst, gradcheck_ctc(other, logits, opt));
        }
        // with an impossible sequence under zero_infinity: it contributes nothing anywhere
        Batch withbad = batch;
        withbad.add(2, {3, 3});
        const auto l2 = uniform(batch.T * withbad.size() * batch.V, 22, -2, 2);
        xrnn::CtcOptions opt;
        opt.zero_infinity = true;
        worst = std::max(worst, gradcheck_ctc(withbad, l2, opt));
        MESSAGE("ctc gradcheck (mean, sum, none; blank 0 and 4; zero_infinity): max relative error " << worst);
    }

    TEST_CASE("ctc_loss: mean is each loss over its clamped target length, then the batch mean")
    {
        Batch batch;
        batch.T = 6;
        batch.V = 4;
        batch.add(6, {1, 2, 3});
        batch.add(5, {});
        batch.add(4, {2, 2});
        const auto logits = uniform(batch.T * batch.size() * batch.V, 31, -2, 2);
        std::vector<double> losses(3), d_mean(logits.size()), d_sum(logits.size());
        xrnn::CtcOptions opt;
        const double mean = batch.loss(d_mean.data(), losses.data(), logits.data(), opt);
        CHECK(mean == doctest::Approx((losses[0] / 3 + losses[1] / 1 + losses[2] / 2) / 3).epsilon(1e-15));
        opt.reduction = xrnn::CtcReduction::sum;
        CHECK(batch.loss(d_sum.data(), static_cast<double*>(nullptr), logits.data(), opt)
              == doctest::Approx(losses[0] + losses[1] + losses[2]).epsilon(1e-15));
        // the mean's gradient is the sum's, scaled per sequence
        const double scale[3] = {1.0 / 9, 1.0 / 3, 1.0 / 6};
        for (std::size_t i = 0; i < logits.size(); ++i)
            CHECK(d_mean[i] == doctest::Approx(d_sum[i] * scale[(i / batch.V) % 3]).epsilon(1e-14));
        // the empty target: -sum log p(blank)
        double want = 0;
        for (std::size_t t = 0; t < 5; ++t)
        {
            const double* z = logits.data() + (t * 3 + 1) * 4;
            want -= z[0] - std::log(std::exp(z[0]) + std::exp(z[1]) + std::exp(z[2]) + std::exp(z[3]));
        }
        CHECK(losses[1] == doctest::Approx(want).epsilon(1e-14));
        CHECK(xrnn::ctc_reduction_name(xrnn::CtcReduction::none) == "none");
        CHECK_THROWS_WITH(xrnn::ctc_reduction_from_name("avg"), "xrnn: unknown CTC reduction 'avg'; valid: mean, sum, none");
    }

    TEST_CASE("ctc_loss: padded frames are never read; dlogits may alias logits; no lengths = all T frames")
    {
        Batch batch;
        batch.T = 6;
        batch.V = 4;
        batch.add(6, {1, 3});
        batch.add(3, {2});
        auto logits = uniform(batch.T * 2 * batch.V, 41, -2, 2);
        for (std::size_t t = 3; t < 6; ++t)
            for (std::size_t k = 0; k < 4; ++k)
                logits[(t * 2 + 1) * 4 + k] = std::numeric_limits<double>::quiet_NaN();
        std::vector<double> d(logits.size());
        const double loss = batch.loss(d.data(), static_cast<double*>(nullptr), logits.data(), {});
        CHECK(std::isfinite(loss));
        for (double v : d)
            CHECK(std::isfinite(v));
        std::vector<double> inplace = logits;
        const double l_in = batch.loss(inplace.data(), static_cast<double*>(nullptr), inplace.data(), {});
        CHECK(std::memcmp(&l_in, &loss, sizeof(double)) == 0);
        CHECK(std::memcmp(inplace.data(), d.data(), d.size() * sizeof(double)) == 0);

        Batch full = batch;
        full.input_lengths = {6, 6};
        const auto clean = uniform(batch.T * 2 * batch.V, 42, -2, 2);
        const double with = full.loss(static_cast<double*>(nullptr), static_cast<double*>(nullptr), clean.data(), {});
        const double without = xrnn::ctc_loss(static_cast<double*>(nullptr), nullptr, clean.data(), full.targets.data(),
                                              nullptr, full.target_lengths.data(), 6, 2, 4, full.targets.size());
        CHECK(std::memcmp(&with, &without, sizeof(double)) == 0);
    }

    TEST_CASE("ctc_loss: an impossible target is an error naming it; zero_infinity makes it loss 0, zero gradient")
    {
        Batch batch;
        batch.T = 5;
        batch.V = 4;
        batch.add(5, {1, 2});
        batch.add(3, {3, 3}); // needs 3 frames: possible (tight)
        batch.add(3, {1, 1, 2}); // needs 4 frames, has 3
        const auto logits = uniform(batch.T * 3 * batch.V, 51, -2, 2);
        std::vector<double> d(logits.size()), losses(3);
        const std::string msg = "xrnn: ctc_loss: sequence 2 has no alignment: its target of length 3 with 1 adjacent "
                                "repeated label(s) needs at least 4 input frames (a blank between repeats), but its "
                                "input length is 3; CtcOptions::zero_infinity = true gives it loss 0 and zero gradient";
        CHECK_THROWS_WITH_AS(batch.loss(d.data(), losses.data(), logits.data(), {}), msg.c_str(), std::invalid_argument);

        xrnn::CtcOptions opt;
        opt.zero_infinity = true;
        opt.reduction = xrnn::CtcReduction::sum;
        std::fill(d.begin(), d.end(), 7.0);
        const double sum = batch.loss(d.data(), losses.data(), logits.data(), opt);
        CHECK(losses[2] == 0.0);
        for (std::size_t t = 0; t < 5; ++t)
            for (std::size_t k = 0; k < 4; ++k)
                CHECK(d[(t * 3 + 2) * 4 + k] == 0.0);
        CHECK(sum == doctest::Approx(losses[0] + losses[1]).epsilon(1e-15));
        // the others are as without the impossible one
        Batch two;
        two.T = 5;
        two.V = 4;
        two.add(5, {1, 2});
        two.add(3, {3, 3});
        std::vector<double> l2(two.T * 2 * two.V), d2(l2.size());
        for (std::size_t t = 0; t < 5; ++t)
            for (std::size_t b = 0; b < 2; ++b)
                for (std::size_t k = 0; k < 4; ++k)
                    l2[(t * 2 + b) * 4 + k] = logits[(t * 3 + b) * 4 + k];
        CHECK(two.loss(d2.data(), static_cast<double*>(nullptr), l2.data(), opt) == sum);
        for (std::size_t t = 0; t < 5; ++t)
            for (std::size_t b = 0; b < 2; ++b)
                for (std::size_t k = 0; k < 4; ++k)
                    CHECK(d2[(t * 2 + b) * 4 + k] == d[(t * 3 + b) * 4 + k]);
        // mean still divides by the whole batch (PyTorch: the zeroed loss stays in the mean)
        opt.reduction = xrnn::CtcReduction::mean;
        CHECK(batch.loss(static_cast<double*>(nullptr), losses.data(), logits.data(), opt)
              == doctest::Approx((losses[0] / 2 + losses[1] / 2) / 3).epsilon(1e-15));
    }

    TEST_CASE("ctc_loss: an input length of 0 is valid for an empty target (loss 0) only")
    {
        Batch batch;
        batch.T = 3;
        batch.V = 3;
        batch.add(0, {});
        batch.add(3, {1});
        const auto logits = uniform(3 * 2 * 3, 61, -2, 2);
        std::vector<double> d(logits.size(), 7.0), losses(2);
        xrnn::CtcOptions opt;
        opt.reduction = xrnn::CtcReduction::none;
        batch.loss(d.data(), losses.data(), logits.data(), opt);
        CHECK(losses[0] == 0.0);
        CHECK(losses[1] > 0.0);
        for (std::size_t t = 0; t < 3; ++t)
            for (std::size_t k = 0; k < 3; ++k)
                CHECK(d[(t * 2) * 3 + k] == 0.0);
        Batch bad;
        bad.T = 3;
        bad.V = 3;
        bad.add(0, {2});
        CHECK_THROWS_WITH(bad.loss(d.data(), losses.data(), logits.data(), opt),
                          "xrnn: ctc_loss: sequence 0 has no alignment: its target of length 1 with 0 adjacent "
                          "repeated label(s) needs at least 1 input frames (a blank between repeats), but its input "
                          "length is 0; CtcOptions::zero_infinity = true gives it loss 0 and zero gradient");
        opt.zero_infinity = true;
        CHECK(bad.loss(d.data(), losses.data(), logits.data(), opt) == 0.0);
    }

    TEST_CASE("ctc_loss: every bad input is a clear error")
    {
        const auto logits = uniform(4 * 2 * 3, 71, -2, 2);
        auto run = [&](Batch b, xrnn::CtcOptions opt = {}) {
            b.T = 4;
            b.V = 3;
            b.loss(static_cast<double*>(nullptr), static_cast<double*>(nullptr), logits.data(), opt);
        };
        Batch ok;
        ok.add(4, {1, 2});
        ok.add(3, {2});
        CHECK_NOTHROW(run(ok));

        Batch b = ok;
        b.targets[2] = 3;
        CHECK_THROWS_WITH_AS(run(b), "xrnn: ctc_loss: label 3 at targets[2] (sequence 1, position 0) is outside [0, V = 3)",
                             std::invalid_argument);
        b.targets[2] = -1;
        CHECK_THROWS_WITH(run(b), "xrnn: ctc_loss: label -1 at targets[2] (sequence 1, position 0) is outside [0, V = 3)");
        b = ok;
        b.targets[1] = 0;
        CHECK_THROWS_WITH(run(b), "xrnn: ctc_loss: label 0 at targets[1] (sequence 0, position 1) is the blank index; "
                                  "targets hold labels only");
        xrnn::CtcOptions blank2;
        blank2.blank = 2;
        CHECK_THROWS_WITH(run(ok, blank2), "xrnn: ctc_loss: label 2 at targets[1] (sequence 0, position 1) is the blank "
                                           "index; targets hold labels only");
        xrnn::CtcOptions blank3;
        blank3.blank = 3;
        CHECK_THROWS_WITH(run(ok, blank3), "xrnn: ctc_loss: blank 3 is outside [0, V = 3)");
        blank3.blank = -1;
        CHECK_THROWS_WITH(run(ok, blank3), "xrnn: ctc_loss: blank -1 is outside [0, V = 3)");
        b = ok;
        b.input_lengths[1] = 5;
        CHECK_THROWS_WITH(run(b), "xrnn: ctc_loss: input length 5 of sequence 1 is outside [0, T = 4]");
        b.input_lengths[1] = -1;
        CHECK_THROWS_WITH(run(b), "xrnn: ctc_loss: input length -1 of sequence 1 is outside [0, T = 4]");
        b = ok;
        b.target_lengths = {-1, 4};
        CHECK_THROWS_WITH(run(b), "xrnn: ctc_loss: target length -1 of sequence 0 is negative");
        b.target_lengths = {2, 2};
        CHECK_THROWS_WITH(run(b), "xrnn: ctc_loss: the target lengths sum to 4 but targets holds 3 labels");
        b.target_lengths = {1, 1};
        CHECK_THROWS_WITH(run(b), "xrnn: ctc_loss: the target lengths sum to 2 but targets holds 3 labels");
    }

    TEST_CASE("ctc_greedy_decode: argmax per frame, repeats collapsed, blanks dropped, within each length")
    {
        // frame argmaxes, B = 2, V = 4: sequence 0 = 1 1 0 1 2 2 0 3, sequence 1 = 3 3 3 0 2 | padding
        const std::int32_t best[2][8] = {{1, 1, 0, 1, 2, 2, 0, 3}, {3, 3, 3, 0, 2, 1, 1, 1}};
        std::vector<float> logits(8 * 2 * 4);
        xrnn::Rng rng(81);
        for (std::size_t t = 0; t < 8; ++t)
            for (std::size_t b = 0; b < 2; ++b)
                for (std::size_t k = 0; k < 4; ++k)
                    logits[(t * 2 + b) * 4 + k] = static_cast<float>(rng.uniform(-1, 1) + (k == std::size_t(best[b][t]) ? 6 : 0));
        const std::int32_t lengths[2] = {8, 5};
        auto out = xrnn::ctc_greedy_decode(logits.data(), lengths, 8, 2, 4);
        CHECK(out[0] == Labels{1, 1, 2, 3});
        CHECK(out[1] == Labels{3, 2});
        // blank = 3: 0 is a label now
        out = xrnn::ctc_greedy_decode(logits.data(), lengths, 8, 2, 4, 3);
        CHECK(out[0] == Labels{1, 0, 1, 2, 0});
        CHECK(out[1] == Labels{0, 2});
        const std::int32_t none[2] = {0, 1};
        out = xrnn::ctc_greedy_decode(logits.data(), none, 8, 2, 4);
        CHECK(out[0].empty());
        CHECK(out[1] == Labels{3});
        // no lengths: every frame
        out = xrnn::ctc_greedy_decode(logits.data(), nullptr, 8, 2, 4);
        CHECK(out[1] == Labels{3, 2, 1});
        // a beam of any width agrees on such peaked frames
        for (std::size_t w : {1, 3, 16})
            CHECK(xrnn::ctc_beam_search(logits.data(), lengths, 8, 2, 4, w)
                  == xrnn::ctc_greedy_decode(logits.data(), lengths, 8, 2, 4));
        const std::int32_t too_long[2] = {9, 1};
        CHECK_THROWS_WITH(xrnn::ctc_greedy_decode(logits.data(), too_long, 8, 2, 4),
                          "xrnn: ctc_greedy_decode: input length 9 of sequence 0 is outside [0, T = 8]");
        CHECK_THROWS_WITH(xrnn::ctc_greedy_decode(logits.data(), lengths, 8, 2, 4, 4),
                          "xrnn: ctc_greedy_decode: blank 4 is outside [0, V = 4)");
        CHECK_THROWS_WITH(xrnn::ctc_beam_search(logits.data(), lengths, 8, 2, 4, 0),
                          "xrnn: ctc_beam_search: beam_width must be >= 1");
        CHECK_THROWS_WITH(xrnn::ctc_beam_search(logits.data(), too_long, 8, 2, 4, 2),
                          "xrnn: ctc_beam_search: input length 9 of sequence 0 is outside [0, T = 8]");
    }

    TEST_CASE("ctc_beam_search: sums the paths of a prefix, which best path does not")
    {
        // two frames, p(blank) = 0.6, p(a) = 0.4 each: best path "--" -> "" (0.36), but
        // p("a") = aa + a- + -a = 0.16 + 0.24 + 0.24 = 0.64
        const double lb = std::log(0.6), la = std::log(0.4);
        const std::vector<double> logits{lb, la, lb, la};
        CHECK(xrnn::ctc_greedy_decode(logits.data(), nullptr, 2, 1, 2)[0].empty());
        CHECK(xrnn::ctc_beam_search(logits.data(), nullptr, 2, 1, 2, 1)[0].empty()); // width 1 keeps "" after frame 0
        std::vector<double> lp;
        CHECK(xrnn::ctc_beam_search(logits.data(), nullptr, 2, 1, 2, 2, 0, &lp)[0] == Labels{1});
        CHECK(lp[0] == doctest::Approx(std::log(0.64)).epsilon(1e-14));
    }

    TEST_CASE("ctc_beam_search: a wide beam returns the most probable labelling (brute force, V = 3, T <= 5)")
    {
        std::size_t cases = 0, greedy_optimal = 0, narrow_optimal = 0, width1_greedy = 0;
        for (std::size_t T = 1; T <= 5; ++T)
            for (std::int32_t blank : {0, 2})
                for (std::uint64_t seed = 0; seed < 10; ++seed)
                {
                    const std::size_t B = 2, V = 3;
                    // scale 1.5: flat enough that best path is often wrong
                    const auto logits = uniform(T * B * V, 1000 + 97 * seed + 10 * T + std::uint64_t(blank), -1.5, 1.5);
                    const std::int32_t lengths[B] = {static_cast<std::int32_t>(T), static_cast<std::int32_t>((T + 1) / 2)};
                    std::vector<double> lp;
                    // 2 labels: at most 2^0 + ... + 2^5 = 63 prefixes, so 64 never prunes
                    const auto wide = xrnn::ctc_beam_search(logits.data(), lengths, T, B, V, 64, blank, &lp);
                    const auto narrow = xrnn::ctc_beam_search(logits.data(), lengths, T, B, V, 3, blank);
                    const auto one = xrnn::ctc_beam_search(logits.data(), lengths, T, B, V, 1, blank);
                    const auto greedy = xrnn::ctc_greedy_decode(logits.data(), lengths, T, B, V, blank);
                    for (std::size_t b = 0; b < B; ++b)
                    {
                        const auto probs = labelling_probs(logits, b, static_cast<std::size_t>(lengths[b]), B, V, blank);
                        auto best = probs.begin();
                        for (auto it = probs.begin(); it != probs.end(); ++it)
                            if (it->second > best->second)
                                best = it;
                        INFO("T " << T << ", blank " << blank << ", seed " << seed << ", sequence " << b);
                        CHECK(wide[b] == best->first);
                        CHECK(lp[b] == doctest::Approx(std::log(best->second)).epsilon(1e-12));
                        CHECK(probs.at(narrow[b]) <= best->second);
                        ++cases;
                        greedy_optimal += greedy[b] == best->first;
                        narrow_optimal += narrow[b] == best->first;
                        width1_greedy += one[b] == greedy[b];
                    }
                }
        MESSAGE("brute force, " << cases << " sequences: wide beam optimal in all, beam 3 in " << narrow_optimal
                                << ", best path in " << greedy_optimal << "; beam 1 == best path in " << width1_greedy);
        CHECK(greedy_optimal < cases);        // the test distinguishes search from best path
        CHECK(width1_greedy * 10 >= cases * 8); // "most cases"
    }

    TEST_CASE("edit_distance: Levenshtein over labels")
    {
        using xrnn::edit_distance;
        CHECK(edit_distance({}, {}) == 0);
        CHECK(edit_distance({1, 2, 3}, {}) == 3);
        CHECK(edit_distance({}, {4, 4}) == 2);
        CHECK(edit_distance({1, 2, 3}, {1, 2, 3}) == 0);
        // kitten -> sitting: k->s, e->i, +g
        const Labels kitten{'k', 'i', 't', 't', 'e', 'n'}, sitting{'s', 'i', 't', 't', 'i', 'n', 'g'};
        CHECK(edit_distance(kitten, sitting) == 3);
        CHECK(edit_distance(sitting, kitten) == 3);
        CHECK(edit_distance({1, 2, 3, 4}, {2, 3, 4, 1}) == 2); // delete the head, append it
        CHECK(edit_distance({1, 1, 1}, {1}) == 2);
        CHECK(edit_distance({5, 6}, {6, 5}) == 2);
        CHECK(edit_distance({7}, {8}) == 1);
    }
}
