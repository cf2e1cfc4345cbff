// tests/test_sgemm.cpp -- xrnn's own float GEMM against a naive double-precision product, for
// every instruction set this CPU has: all four transposes, sizes 1 and odd primes around the
// tile and block sizes (m, n, k not multiples of 14/6, 32/16, 256), row strides wider than
// the rows, alpha 1 / -0.5, beta 0 (C prefilled with NaN) / 1 / 0.3, and that splitting the
// rows or columns of C across calls gives the same bits (thread-count-independent results).
#include "xrnn/detail/sgemm.hpp"
#include "xrnn/random.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

namespace
{
    using xrnn::detail::GemmIsa;

    const GemmIsa all_isas[] = {GemmIsa::avx2, GemmIsa::avx512};

    struct Problem
    {
        bool ta, tb;
        std::size_t m, n, k, lda, ldb, ldc;
        std::vector<float> a, b, c;

        Problem(xrnn::Rng& rng, bool ta_, bool tb_, std::size_t m_, std::size_t n_, std::size_t k_,
                std::size_t pad)
            : ta(ta_), tb(tb_), m(m_), n(n_), k(k_)
        {
            lda = (ta ? m : k) + pad;
            ldb = (tb ? k : n) + pad;
            ldc = n + pad;
            a.resize((ta ? k : m) * lda);
            b.resize((tb ? n : k) * ldb);
            c.resize(m * ldc);
            for (auto& v : a) v = static_cast<float>(rng.uniform(-1, 1));
            for (auto& v : b) v = static_cast<float>(rng.uniform(-1, 1));
            for (auto& v : c) v = static_cast<float>(rng.uniform(-1, 1));
        }

        float av(std::size_t i, std::size_t p) const { return ta ? a[p * lda + i] : a[i * lda + p]; }
        float bv(std::size_t p, std::size_t j) const { return tb ? b[j * ldb + p] : b[p * ldb + j]; }
    };

    // worst |c - ref| / (sum_p |a||b| + |beta c0| + tiny) over the m x n elements; the padding
    // columns of each row of c must be untouched (counted in `pad_changed`)
    double worst_error(const Problem& pr, const std::vector<float>& c0, const std::vector<float>& c,
                       float alpha, float beta, int& pad_changed)
    {
        double worst = 0;
        for (std::size_t i = 0; i < pr.m; ++i)
        {
            for (std::size_t j = 0; j < pr.n; ++j)
            {
                double dot = 0, mag = 0;
                for (std::size_t p = 0; p < pr.k; ++p)
                {
                    const double x = double(pr.av(i, p)) * double(pr.bv(p, j));
                    dot += x;
                    mag += std::abs(x);
                }
                const double old = beta == 0.0f ? 0.0 : double(beta) * double(c0[i * pr.ldc + j]);
                const double want = double(alpha) * dot + old;
                const double scale = std::abs(double(alpha)) * mag + std::abs(old) + 1e-30;
                const double got = double(c[i * pr.ldc + j]);
                const double err = std::isfinite(got) ? std::abs(got - want) / scale
                                                      : std::numeric_limits<double>::infinity();
                worst = std::max(worst, err);
            }
            for (std::size_t j = pr.n; j < pr.ldc; ++j)
                pad_changed += !(c[i * pr.ldc + j] == c0[i * pr.ldc + j] ||
                                 (std::isnan(c[i * pr.ldc + j]) && std::isnan(c0[i * pr.ldc + j])));
        }
        return worst;
    }
}

TEST_SUITE("sgemm")
{
    TEST_CASE("sgemm equals the naive product for every transpose, size class, alpha and beta")
    {
        for (GemmIsa isa : all_isas)
        {
            if (!xrnn::detail::gemm_isa_available(isa))
            {
                MESSAGE("skipping sgemm ISA " << xrnn::detail::gemm_isa_name(isa)
                                              << ": this CPU does not have it");
                continue;
            }
            SUBCASE(xrnn::detail::gemm_isa_name(isa))
            {
                xrnn::Rng rng(11);
                const std::size_t sizes[] = {1, 7, 13, 31, 97, 129, 300};
                int checked = 0;
                for (bool ta : {false, true})
                    for (bool tb : {false, true})
                        for (std::size_t m : sizes)
                            for (std::size_t n : sizes)
                                for (std::size_t k : sizes)
                                {
                                    // the full alpha x beta x pad grid on a subset keeps the
                                    // naive reference fast; every (m, n, k) gets one cell
                                    const std::size_t cell = (m * 7 + n * 3 + k) % 6;
                                    const float alpha = cell % 2 == 0 ? 1.0f : -0.5f;
                                    const float beta = cell / 2 == 0 ? 0.0f : cell / 2 == 1 ? 1.0f : 0.3f;
                                    const std::size_t pad = (m + n + k) % 3 == 0 ? 0 : 5;
                                    Problem pr(rng, ta, tb, m, n, k, pad);
                                    if (beta == 0.0f)
                                        for (auto& v : pr.c)
                                            v = std::numeric_limits<float>::quiet_NaN();
                                    const std::vector<float> c0 = pr.c;
                                    xrnn::detail::sgemm(isa, ta, tb, m, n, k, alpha, pr.a.data(),
                                                        pr.lda, pr.b.data(), pr.ldb, beta,
                                                        pr.c.data(), pr.ldc);
                                    int pad_changed = 0;
                                    const double worst = worst_error(pr, c0, pr.c, alpha, beta, pad_changed);
                                    INFO("ta " << ta << " tb " << tb << " m " << m << " n " << n
                                               << " k " << k << " alpha " << alpha << " beta "
                                               << beta << " pad " << pad << " maxdiff " << worst);
                                    CHECK(worst < 1e-5);
                                    CHECK(pad_changed == 0);
                                    ++checked;
                                }
                CHECK(checked == 4 * 7 * 7 * 7);
            }
        }
    }

    TEST_CASE("sgemm: every alpha x beta on shapes that cross the cache blocks")
    {
        // m > MC (168 / 144), n > NR tiles, k > KC (256): later KC slices add onto the first
        for (GemmIsa isa : all_isas)
        {
            if (!xrnn::detail::gemm_isa_available(isa))
                continue;
            SUBCASE(xrnn::detail::gemm_isa_name(isa))
            {
                xrnn::Rng rng(12);
                for (bool ta : {false, true})
                    for (bool tb : {false, true})
                        for (float alpha : {1.0f, -0.5f})
                            for (float beta : {0.0f, 1.0f, 0.3f})
                            {
                                Problem pr(rng, ta, tb, 181, 75, 531, 3);
                                if (beta == 0.0f)
                                    for (auto& v : pr.c)
                                        v = std::numeric_limits<float>::quiet_NaN();
                                const std::vector<float> c0 = pr.c;
                                xrnn::detail::sgemm(isa, ta, tb, pr.m, pr.n, pr.k, alpha, pr.a.data(),
                                                    pr.lda, pr.b.data(), pr.ldb, beta, pr.c.data(),
                                                    pr.ldc);
                                int pad_changed = 0;
                                const double worst = worst_error(pr, c0, pr.c, alpha, beta, pad_changed);
                                INFO("ta " << ta << " tb " << tb << " alpha " << alpha << " beta "
                                           << beta << " maxdiff " << worst);
                                CHECK(worst < 1e-5);
                                CHECK(pad_changed == 0);
                            }
            }
        }
    }

    TEST_CASE("sgemm: k == 0 or alpha == 0 scales C by beta and reads neither A nor B")
    {
        for (GemmIsa isa : all_isas)
        {
            if (!xrnn::detail::gemm_isa_available(isa))
                continue;
            const float nan = std::numeric_limits<float>::quiet_NaN();
            std::vector<float> a(12, nan), b(12, nan), c(6, 2.0f);
            xrnn::detail::sgemm(isa, false, false, 2, 3, 0, 1.0f, a.data(), 1, b.data(), 3, 0.5f,
                                c.data(), 3);
            for (float v : c)
                CHECK(v == 1.0f);
            xrnn::detail::sgemm(isa, false, false, 2, 3, 4, 0.0f, a.data(), 4, b.data(), 3, 0.0f,
                                c.data(), 3);
            for (float v : c)
                CHECK(v == 0.0f);
        }
    }

    TEST_CASE("sgemm: results do not depend on how the caller splits rows or columns of C")
    {
        // lib/blas_openblas.cpp splits large products into row (or column) blocks, one call
        // per thread: each element must come out bit for bit the same as in one whole call
        for (GemmIsa isa : all_isas)
        {
            if (!xrnn::detail::gemm_isa_available(isa))
                continue;
            SUBCASE(xrnn::detail::gemm_isa_name(isa))
            {
                xrnn::Rng rng(13);
                for (bool ta : {false, true})
                    for (bool tb : {false, true})
                        for (float beta : {0.0f, 1.0f})
                        {
                            const std::size_t m = 301, n = 173, k = 300;
                            Problem pr(rng, ta, tb, m, n, k, 2);
                            const std::vector<float> c0 = pr.c;
                            std::vector<float> whole = c0;
                            xrnn::detail::sgemm(isa, ta, tb, m, n, k, -0.5f, pr.a.data(), pr.lda,
                                                pr.b.data(), pr.ldb, beta, whole.data(), pr.ldc);
                            for (std::size_t split : {1, 8, 37, 150, 296})
                            {
                                std::vector<float> rows = c0, cols = c0;
                                // rows [0, split) and [split, m)
                                xrnn::detail::sgemm(isa, ta, tb, split, n, k, -0.5f, pr.a.data(),
                                                    pr.lda, pr.b.data(), pr.ldb, beta, rows.data(),
                                                    pr.ldc);
                                xrnn::detail::sgemm(isa, ta, tb, m - split, n, k, -0.5f,
                                                    ta ? pr.a.data() + split : pr.a.data() + split * pr.lda,
                                                    pr.lda, pr.b.data(), pr.ldb, beta,
                                                    rows.data() + split * pr.ldc, pr.ldc);
                                // columns [0, s) and [s, n)
                                const std::size_t s = std::min(split, n - 1);
                                xrnn::detail::sgemm(isa, ta, tb, m, s, k, -0.5f, pr.a.data(), pr.lda,
                                                    pr.b.data(), pr.ldb, beta, cols.data(), pr.ldc);
                                xrnn::detail::sgemm(isa, ta, tb, m, n - s, k, -0.5f, pr.a.data(),
                                                    pr.lda, tb ? pr.b.data() + s * pr.ldb : pr.b.data() + s,
                                                    pr.ldb, beta, cols.data() + s, pr.ldc);
                                int row_diff = 0, col_diff = 0;
                                for (std::size_t i = 0; i < whole.size(); ++i)
                                {
                                    row_diff += rows[i] != whole[i];
                                    col_diff += cols[i] != whole[i];
                                }
                                INFO("ta " << ta << " tb " << tb << " beta " << beta << " split " << split);
                                CHECK(row_diff == 0);
                                CHECK(col_diff == 0);
                            }
                        }
            }
        }
    }

    TEST_CASE("sgemm: an ISA the CPU lacks is refused, not executed")
    {
        for (GemmIsa isa : all_isas)
            if (!xrnn::detail::gemm_isa_available(isa))
            {
                float x = 0;
                CHECK_THROWS_AS(xrnn::detail::sgemm(isa, false, false, 1, 1, 1, 1.0f, &x, 1, &x, 1,
                                                    0.0f, &x, 1),
                                std::invalid_argument);
            }
        CHECK(std::string(xrnn::detail::gemm_isa_name(GemmIsa::avx512)) == "avx512");
        CHECK(std::string(xrnn::detail::gemm_isa_name(GemmIsa::avx2)) == "avx2");
    }
}
