// tests/test_losses.cpp -- xrnn/mse.hpp and xrnn/softmax_xent.hpp: finite-difference gradchecks
// (mse; cross-entropy with ignored rows), the all-valid path bit for bit against the
// implementation before ignore_index existed, padded-step masking, target validation, and
// PyTorch's MSELoss / CrossEntropyLoss(ignore_index=-1) (fixtures/heads/make_torch_heads_reference.py).
#include "gradcheck.hpp"
#include "xrnn/mse.hpp"
#include "xrnn/softmax_xent.hpp"

#include <doctest/doctest.h>
#include <xtensor/xnpy.hpp>

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace
{
    // softmax_xent as it was before ignored targets (commit 2632b70), the char model's loss:
    // the new one must give the same bits when every target counts.
    template <class T>
    double softmax_xent_before(T* dlogits, const T* logits, const std::int32_t* targets, std::size_t rows, std::size_t V)
    {
        double total = 0;
        const T inv_rows = T(1) / static_cast<T>(rows);
        for (std::size_t r = 0; r < rows; ++r)
        {
            const T* z = logits + r * V;
            T mx = z[0];
            for (std::size_t j = 1; j < V; ++j)
                mx = z[j] > mx ? z[j] : mx;
            double sum = 0;
            for (std::size_t j = 0; j < V; ++j)
                sum += std::exp(static_cast<double>(z[j] - mx));
            const double log_sum = std::log(sum);
            total += log_sum - static_cast<double>(z[targets[r]] - mx);
            if (dlogits)
            {
                T* d = dlogits + r * V;
                const double inv_sum = 1.0 / sum;
                for (std::size_t j = 0; j < V; ++j)
                    d[j] = static_cast<T>(std::exp(static_cast<double>(z[j] - mx)) * inv_sum) * inv_rows;
                d[targets[r]] -= inv_rows;
            }
        }
        return total / static_cast<double>(rows);
    }

    std::vector<double> uniform(std::size_t n, std::uint64_t seed, double lo, double hi)
    {
        xrnn::Rng rng(seed);
        std::vector<double> v(n);
        for (auto& x : v)
            x = rng.uniform(lo, hi);
        return v;
    }

    double check_entry(const std::string& name, const std::vector<double>& analytic, std::vector<double>& values,
                       const std::function<double()>& f)
    {
        std::vector<gradcheck::Entry> e{
            {name, analytic, gradcheck::numeric_grad(values.data(), values.size(), f, 1e-5), values.data()}};
        gradcheck::Report r;
        gradcheck::compare(r, e);
        INFO(name << ": max rel err " << r.max_err << " at " << r.worst);
        CHECK(r.max_err <= 1e-7);
        return r.max_err;
    }

    std::string fixture(const std::string& name) { return std::string(XRNN_FIXTURES) + "/heads/" + name + ".npy"; }

    // max |xrnn - torch| / max |torch|, checked <= 1e-5
    template <class V>
    double match(const std::string& name, const V& got)
    {
        const auto want = xt::load_npy<float>(fixture(name));
        REQUIRE(want.size() == got.size());
        double scale = 0, diff = 0;
        for (std::size_t i = 0; i < want.size(); ++i)
        {
            scale = std::max(scale, std::abs(double(want.data()[i])));
            diff = std::max(diff, std::abs(double(want.data()[i]) - double(got[i])));
        }
        INFO(name << ": max |xrnn - torch| = " << diff << ", max |torch| = " << scale);
        CHECK(diff <= 1e-5 * scale);
        return diff / scale;
    }
}

TEST_SUITE("losses")
{
    TEST_CASE("mse: value by hand; gradient matches finite differences")
    {
        const double pred[4] = {1, 2, 3, 4}, target[4] = {0, 2, 5, 3};
        double d[4];
        CHECK(xrnn::mse_loss(d, pred, target, 2, 2) == (1.0 + 0 + 4 + 1) / 4);
        CHECK(std::vector<double>(d, d + 4) == std::vector<double>{0.5, 0, -1, 0.5});
        CHECK(xrnn::mse_loss(static_cast<double*>(nullptr), pred, target, 2, 2) == 1.5);

        const std::size_t rows = 5, cols = 3;
        auto p = uniform(rows * cols, 1, -2, 2);
        const auto t = uniform(rows * cols, 2, -2, 2);
        std::vector<double> dp(p.size());
        xrnn::mse_loss(dp.data(), p.data(), t.data(), rows, cols);
        const double err = check_entry("pred", dp, p, [&] {
            return xrnn::mse_loss(static_cast<double*>(nullptr), p.data(), t.data(), rows, cols);
        });
        MESSAGE("mse gradcheck: max relative error " << err);
    }

    TEST_CASE("softmax_xent: every target counts -> the same bits as before ignore_index, in place too")
    {
        const std::size_t rows = 64, V = 17;
        const auto l64 = uniform(rows * V, 3, -6, 6);
        const std::vector<float> logits(l64.begin(), l64.end());
        std::vector<std::int32_t> targets(rows);
        for (std::size_t r = 0; r < rows; ++r)
            targets[r] = static_cast<std::int32_t>((r * 7) % V);
        std::vector<float> d_new(rows * V), d_old(rows * V);
        const double l_new = xrnn::softmax_xent(d_new.data(), logits.data(), targets.data(), rows, V);
        const double l_old = softmax_xent_before(d_old.data(), logits.data(), targets.data(), rows, V);
        CHECK(std::memcmp(&l_new, &l_old, sizeof(double)) == 0);
        CHECK(std::memcmp(d_new.data(), d_old.data(), d_new.size() * sizeof(float)) == 0);
        // the char model overwrites its logits with their gradient
        std::vector<float> inplace = logits;
        const double l_in = xrnn::softmax_xent(inplace.data(), inplace.data(), targets.data(), rows, V);
        CHECK(std::memcmp(&l_in, &l_old, sizeof(double)) == 0);
        CHECK(std::memcmp(inplace.data(), d_old.data(), inplace.size() * sizeof(float)) == 0);
    }

    TEST_CASE("softmax_xent with ignored targets: mean over counted rows, zero gradient rows, finite differences")
    {
        const std::size_t rows = 6, V = 4;
        auto logits = uniform(rows * V, 4, -3, 3);
        const std::int32_t targets[rows] = {2, -1, 0, 3, -1, 1};
        std::vector<double> d(rows * V, std::numeric_limits<double>::quiet_NaN()); // every entry written
        const double loss = xrnn::softmax_xent(d.data(), logits.data(), targets, rows, V);
        // the mean over the 4 counted rows equals the loss of those rows alone
        const std::int32_t kept_t[4] = {2, 0, 3, 1};
        std::vector<double> kept;
        for (std::size_t r : {0, 2, 3, 5})
            kept.insert(kept.end(), logits.begin() + r * V, logits.begin() + (r + 1) * V);
        CHECK(loss == doctest::Approx(xrnn::softmax_xent(static_cast<double*>(nullptr), kept.data(), kept_t, 4, V)).epsilon(1e-15));
        for (std::size_t r : {1, 4})
            for (std::size_t j = 0; j < V; ++j)
                CHECK(d[r * V + j] == 0.0);
        const double err = check_entry("logits", d, logits, [&] {
            return xrnn::softmax_xent(static_cast<double*>(nullptr), logits.data(), targets, rows, V);
        });
        MESSAGE("softmax_xent (ignored rows) gradcheck: max relative error " << err);
    }

    TEST_CASE("softmax_xent: every row ignored -> loss 0, gradient 0")
    {
        const float logits[6] = {1, 2, 3, 4, 5, 6};
        const std::int32_t targets[2] = {xrnn::kIgnoreTarget, xrnn::kIgnoreTarget};
        float d[6] = {7, 7, 7, 7, 7, 7};
        CHECK(xrnn::softmax_xent(d, logits, targets, 2, 3) == 0.0);
        for (float v : d)
            CHECK(v == 0.0f);
    }

    TEST_CASE("mask_padded_targets: steps at or past each length become ignored, (T, B) t-major")
    {
        std::int32_t targets[4 * 3] = {0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2};
        const std::size_t lengths[3] = {2, 4, 1};
        xrnn::mask_padded_targets(targets, lengths, 4, 3);
        CHECK(std::vector<std::int32_t>(targets, targets + 12)
              == std::vector<std::int32_t>{0, 1, 2, 0, 1, -1, -1, 1, -1, -1, 1, -1});
        xrnn::mask_padded_targets(targets, nullptr, 4, 3); // no lengths: nothing to mask
        CHECK(targets[1] == 1);
    }

    TEST_CASE("check_targets: names the row and the value; -1 and [0, V) pass")
    {
        const std::int32_t ok[4] = {0, 4, -1, 2};
        CHECK_NOTHROW(xrnn::check_targets(ok, 4, 5));
        const std::int32_t high[3] = {0, 1, 7};
        CHECK_THROWS_AS(xrnn::check_targets(high, 3, 5), std::invalid_argument);
        CHECK_THROWS_WITH(xrnn::check_targets(high, 3, 5),
                          "xrnn: softmax_xent: target 7 at row 2 is outside [0, 5) and is not the ignore value -1");
        const std::int32_t low[2] = {-2, 0};
        CHECK_THROWS_WITH(xrnn::check_targets(low, 2, 5),
                          "xrnn: softmax_xent: target -2 at row 0 is outside [0, 5) and is not the ignore value -1");
        const std::int32_t edge[1] = {5};
        CHECK_THROWS_AS(xrnn::check_targets(edge, 1, 5), std::invalid_argument);
    }

    TEST_CASE_TEMPLATE("PyTorch: CrossEntropyLoss(ignore_index=-1) over padded steps and MSELoss", T, float, double)
    {
        const std::size_t steps = 5, B = 3, V = 4;
        const std::size_t lengths[B] = {2, 5, 1};
        const auto full = xt::load_npy<std::int32_t>(fixture("xent_targets_full"));
        const auto torch_targets = xt::load_npy<std::int32_t>(fixture("xent_targets"));
        REQUIRE(full.size() == steps * B);
        std::vector<std::int32_t> targets(full.begin(), full.end());
        xrnn::mask_padded_targets(targets.data(), lengths, steps, B);
        CHECK(targets == std::vector<std::int32_t>(torch_targets.begin(), torch_targets.end()));
        CHECK_NOTHROW(xrnn::check_targets(targets.data(), targets.size(), V));

        const auto l32 = xt::load_npy<float>(fixture("xent_logits"));
        const std::vector<T> logits(l32.begin(), l32.end());
        std::vector<T> d(logits.size());
        const double loss = xrnn::softmax_xent(d.data(), logits.data(), targets.data(), steps * B, V);
        double worst = match("xent_loss", std::vector<double>{loss});
        worst = std::max(worst, match("xent_grad", d));

        const auto p32 = xt::load_npy<float>(fixture("mse_pred")), t32 = xt::load_npy<float>(fixture("mse_target"));
        const std::vector<T> pred(p32.begin(), p32.end()), target(t32.begin(), t32.end());
        std::vector<T> dp(pred.size());
        const double mse = xrnn::mse_loss(dp.data(), pred.data(), target.data(), p32.shape()[0], p32.shape()[1]);
        worst = std::max(worst, match("mse_loss", std::vector<double>{mse}));
        worst = std::max(worst, match("mse_grad", dp));
        MESSAGE("losses vs torch (" << std::string(sizeof(T) == 4 ? "float" : "double") << "): max relative error " << worst);
    }
}
