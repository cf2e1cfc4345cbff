// tests/test_packed_gemm.cpp -- the per-step product with a packed right operand, on every
// kernel this CPU can run (plain, AVX2, AVX-512), against a naive double-precision product:
// every row-block size (1..12 rows and splits up to 25), panel edges (n around 16 and 32),
// both packings, accumulate, row strides; and the same bits on every ISA.
#include "xrnn/detail/packed_gemm.hpp"
#include "xrnn/random.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace
{
    using xrnn::detail::StepIsa;

    std::vector<StepIsa> available_isas()
    {
        std::vector<StepIsa> out;
        for (StepIsa isa : {StepIsa::plain, StepIsa::avx2, StepIsa::avx512})
            if (xrnn::detail::step_isa_available(isa))
                out.push_back(isa);
        return out;
    }
}

TEST_CASE("gemm_packed equals the naive product for every shape class, on every kernel")
{
    for (StepIsa isa : available_isas())
    {
        xrnn::Rng rng(3);
        int checked = 0;
        for (std::size_t m : {1, 2, 3, 5, 6, 7, 8, 11, 12, 13, 16, 25})
            for (std::size_t n : {1, 15, 16, 17, 31, 33, 70})
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
                            xrnn::detail::pack_matrix(pm, w.data(), k, n, ldw, transposed, isa);
                            REQUIRE(pm.isa == isa);
                            xrnn::detail::gemm_packed(m, a.data(), lda, pm, c.data(), ldc, accumulate);
                            double worst = 0;
                            bool padding_kept = true;
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
                                    padding_kept &= c[i * ldc + j] == c0[i * ldc + j];
                            }
                            INFO(xrnn::detail::step_isa_name(isa) << " m " << m << " n " << n << " k " << k
                                                                  << " transposed " << transposed
                                                                  << " accumulate " << accumulate);
                            CHECK(padding_kept);
                            CHECK(worst < 1e-5 * double(k + 1));
                            ++checked;
                        }
        CHECK(checked == 12 * 7 * 3 * 2 * 2);
    }
}

TEST_CASE("gemm_packed: a row's result depends neither on the rows around it nor on the ISA")
{
    // the cells split the batch across threads: row r computed alone must equal row r of the
    // whole product, bit for bit; and AVX2 and AVX-512 run the same FMA chain per element, so
    // a checkpoint resumed on either kernel continues with the same numbers
    xrnn::Rng rng(5);
    const std::size_t m = 29, k = 70, n = 37;
    std::vector<float> a(m * k), w(n * k), c_init(m * n);
    for (auto& v : a) v = static_cast<float>(rng.uniform(-1, 1));
    for (auto& v : w) v = static_cast<float>(rng.uniform(-1, 1));
    for (auto& v : c_init) v = static_cast<float>(rng.uniform(-1, 1));
    std::vector<std::vector<float>> simd_results;
    for (StepIsa isa : available_isas())
    {
        xrnn::detail::PackedMatrix pm;
        xrnn::detail::pack_matrix(pm, w.data(), k, n, k, true, isa);
        std::vector<float> all = c_init, one(n);
        xrnn::detail::gemm_packed(m, a.data(), k, pm, all.data(), n, true);
        for (std::size_t r = 0; r < m; ++r)
        {
            std::copy(c_init.begin() + r * n, c_init.begin() + (r + 1) * n, one.begin());
            xrnn::detail::gemm_packed(1, a.data() + r * k, k, pm, one.data(), n, true);
            for (std::size_t j = 0; j < n; ++j)
                REQUIRE(one[j] == all[r * n + j]);
        }
        if (isa != StepIsa::plain)
            simd_results.push_back(all);
    }
    for (std::size_t i = 1; i < simd_results.size(); ++i)
        CHECK(simd_results[i] == simd_results[0]);
}

TEST_CASE("pack_matrix refuses a kernel this CPU cannot run, and step_isa is one it can")
{
    CHECK(xrnn::detail::step_isa_available(xrnn::detail::step_isa()));
    for (StepIsa isa : {StepIsa::avx2, StepIsa::avx512})
        if (!xrnn::detail::step_isa_available(isa))
        {
            xrnn::detail::PackedMatrix pm;
            const float w[4] = {1, 2, 3, 4};
            CHECK_THROWS_AS(xrnn::detail::pack_matrix(pm, w, 2, 2, 2, false, isa), std::invalid_argument);
        }
}
