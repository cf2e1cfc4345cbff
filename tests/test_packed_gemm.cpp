// tests/test_packed_gemm.cpp -- the per-step product with a packed right operand, against a
// naive double-precision product: every row-block size (1..6 rows and splits of 7..13),
// panel edges (n not a multiple of 16), both packings, accumulate, row strides.
#include "xrnn/detail/packed_gemm.hpp"
#include "xrnn/random.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <vector>

TEST_CASE("gemm_packed equals the naive product for every shape class")
{
    xrnn::Rng rng(3);
    int checked = 0;
    for (std::size_t m : {1, 2, 3, 4, 5, 6, 7, 11, 13, 25})
        for (std::size_t n : {1, 15, 16, 17, 40})
            for (std::size_t k : {1, 9, 64})
                for (bool transposed : {false, true})
                    for (bool accumulate : {false, true})
                    {
                        const std::size_t lda = k + 3, ldc = n + 2, ldw = (transposed ? k : n) + 1;
                        std::vector<float> a(m * lda), w((transposed ? n : k) * ldw), c(m * ldc);
                        for (auto& v : a) v = static_cast<float>(rng.uniform(-1, 1));
                        for (auto& v : w) v = static_cast<float>(rng.uniform(-1, 1));
                        for (auto& v : c) v = static_cast<float>(rng.uniform(-1, 1));
                        const std::vector<float> c0 = c;
                        xrnn::detail::PackedMatrix pm;
                        xrnn::detail::pack_matrix(pm, w.data(), k, n, ldw, transposed);
                        xrnn::detail::gemm_packed(m, a.data(), lda, pm, c.data(), ldc, accumulate);
                        double worst = 0;
                        for (std::size_t i = 0; i < m; ++i)
                        {
                            for (std::size_t j = 0; j < n; ++j)
                            {
                                double want = accumulate ? c0[i * ldc + j] : 0.0;
                                for (std::size_t p = 0; p < k; ++p)
                                    want += double(a[i * lda + p]) *
                                            double(transposed ? w[j * ldw + p] : w[p * ldw + j]);
                                worst = std::max(worst, std::abs(want - double(c[i * ldc + j])));
                            }
                            // the padding columns of each c row are never written
                            for (std::size_t j = n; j < ldc; ++j)
                                CHECK(c[i * ldc + j] == c0[i * ldc + j]);
                        }
                        INFO("m " << m << " n " << n << " k " << k << " transposed " << transposed
                                  << " accumulate " << accumulate);
                        CHECK(worst < 1e-5 * double(k + 1));
                        ++checked;
                    }
    CHECK(checked == 10 * 5 * 3 * 2 * 2);
}

TEST_CASE("gemm_packed: a row's result does not depend on the rows around it")
{
    // the cells split the batch across threads: row r computed alone must equal row r of the
    // whole product, bit for bit
    xrnn::Rng rng(5);
    const std::size_t m = 13, k = 70, n = 37;
    std::vector<float> a(m * k), w(n * k), all(m * n), one(n);
    for (auto& v : a) v = static_cast<float>(rng.uniform(-1, 1));
    for (auto& v : w) v = static_cast<float>(rng.uniform(-1, 1));
    xrnn::detail::PackedMatrix pm;
    xrnn::detail::pack_matrix(pm, w.data(), k, n, k, true);
    xrnn::detail::gemm_packed(m, a.data(), k, pm, all.data(), n, false);
    for (std::size_t r = 0; r < m; ++r)
    {
        xrnn::detail::gemm_packed(1, a.data() + r * k, k, pm, one.data(), n, false);
        for (std::size_t j = 0; j < n; ++j)
            REQUIRE(one[j] == all[r * n + j]);
    }
}
