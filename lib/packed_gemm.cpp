// lib/packed_gemm.cpp -- packing and the 6 x 16 micro-kernel behind gemm_packed.
//
// The kernel keeps a 6 x 16 block of c in twelve AVX registers and, for each k, loads 16
// floats of the packed panel and broadcasts one float of each of the 6 rows of a: 12 FMAs
// per 8 loads, the shape BLIS uses on Haswell/Zen. Loop order: panel outer, row blocks
// inner, so a panel (k x 16 floats, 32 KiB at k = 512) stays in cache while all rows of a
// pass over it. Built for AVX2 + FMA and chosen at run time, as in activation.hpp; other
// CPUs run the same loops in plain C++.
#include "xrnn/detail/packed_gemm.hpp"

#include "xrnn/activation.hpp"

#include <algorithm>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define XRNN_PACKED_AVX2 1
#include <immintrin.h>
#endif

namespace xrnn::detail
{
    namespace
    {
        constexpr std::size_t W = PackedMatrix::panel_width;
        constexpr std::size_t MR = 6;

        // c block (rows x cols, cols <= 16) (+)= a block (rows x k) * panel (k x 16)
        template <std::size_t R>
        void block_plain(const float* a, std::size_t lda, const float* panel, std::size_t k,
                         float* c, std::size_t ldc, std::size_t cols, bool accumulate)
        {
            float acc[R][W] = {};
            for (std::size_t p = 0; p < k; ++p)
                for (std::size_t r = 0; r < R; ++r)
                {
                    const float av = a[r * lda + p];
                    for (std::size_t j = 0; j < W; ++j)
                        acc[r][j] += av * panel[p * W + j];
                }
            for (std::size_t r = 0; r < R; ++r)
                for (std::size_t j = 0; j < cols; ++j)
                    c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j];
        }

#ifdef XRNN_PACKED_AVX2
        // Accumulators are named variables, not an array: GCC keeps an array of __m256 in
        // memory and would store all twelve of them on every k (half the speed).
        template <std::size_t R>
        __attribute__((target("avx2,fma"))) void block_avx2(const float* a, std::size_t lda,
                                                            const float* panel, std::size_t k,
                                                            float* c, std::size_t ldc,
                                                            std::size_t cols, bool accumulate)
        {
            __m256 l0 = _mm256_setzero_ps(), h0 = l0, l1 = l0, h1 = l0, l2 = l0, h2 = l0;
            __m256 l3 = l0, h3 = l0, l4 = l0, h4 = l0, l5 = l0, h5 = l0;
            const float* a0 = a;
            const float* a1 = a + lda;
            const float* a2 = a + 2 * lda;
            const float* a3 = a + 3 * lda;
            const float* a4 = a + 4 * lda;
            const float* a5 = a + 5 * lda;
            for (std::size_t p = 0; p < k; ++p)
            {
                const __m256 b0 = _mm256_loadu_ps(panel + p * W);
                const __m256 b1 = _mm256_loadu_ps(panel + p * W + 8);
                __m256 av = _mm256_broadcast_ss(a0 + p);
                l0 = _mm256_fmadd_ps(av, b0, l0);
                h0 = _mm256_fmadd_ps(av, b1, h0);
                if constexpr (R > 1)
                {
                    av = _mm256_broadcast_ss(a1 + p);
                    l1 = _mm256_fmadd_ps(av, b0, l1);
                    h1 = _mm256_fmadd_ps(av, b1, h1);
                }
                if constexpr (R > 2)
                {
                    av = _mm256_broadcast_ss(a2 + p);
                    l2 = _mm256_fmadd_ps(av, b0, l2);
                    h2 = _mm256_fmadd_ps(av, b1, h2);
                }
                if constexpr (R > 3)
                {
                    av = _mm256_broadcast_ss(a3 + p);
                    l3 = _mm256_fmadd_ps(av, b0, l3);
                    h3 = _mm256_fmadd_ps(av, b1, h3);
                }
                if constexpr (R > 4)
                {
                    av = _mm256_broadcast_ss(a4 + p);
                    l4 = _mm256_fmadd_ps(av, b0, l4);
                    h4 = _mm256_fmadd_ps(av, b1, h4);
                }
                if constexpr (R > 5)
                {
                    av = _mm256_broadcast_ss(a5 + p);
                    l5 = _mm256_fmadd_ps(av, b0, l5);
                    h5 = _mm256_fmadd_ps(av, b1, h5);
                }
            }
            const __m256 lo[MR] = {l0, l1, l2, l3, l4, l5};
            const __m256 hi[MR] = {h0, h1, h2, h3, h4, h5};
            alignas(32) float tmp[W];
            for (std::size_t r = 0; r < R; ++r)
            {
                float* cr = c + r * ldc;
                if (cols == W)
                {
                    __m256 x0 = lo[r], x1 = hi[r];
                    if (accumulate)
                    {
                        x0 = _mm256_add_ps(_mm256_loadu_ps(cr), x0);
                        x1 = _mm256_add_ps(_mm256_loadu_ps(cr + 8), x1);
                    }
                    _mm256_storeu_ps(cr, x0);
                    _mm256_storeu_ps(cr + 8, x1);
                    continue;
                }
                _mm256_store_ps(tmp, lo[r]);
                _mm256_store_ps(tmp + 8, hi[r]);
                for (std::size_t j = 0; j < cols; ++j)
                    cr[j] = accumulate ? cr[j] + tmp[j] : tmp[j];
            }
        }

#endif

        using BlockFn = void (*)(const float*, std::size_t, const float*, std::size_t, float*,
                                 std::size_t, std::size_t, bool);

        // kernels for 1..6 rows, index = rows - 1
        const BlockFn* block_kernels()
        {
            static const BlockFn plain[MR] = {block_plain<1>, block_plain<2>, block_plain<3>,
                                              block_plain<4>, block_plain<5>, block_plain<6>};
#ifdef XRNN_PACKED_AVX2
            static const BlockFn avx2[MR] = {block_avx2<1>, block_avx2<2>, block_avx2<3>,
                                             block_avx2<4>, block_avx2<5>, block_avx2<6>};
            if (detail::cpu_has_avx2_fma()) // the check activation.hpp uses
                return avx2;
#endif
            return plain;
        }
    }

    void pack_matrix(PackedMatrix& out, const float* src, std::size_t k, std::size_t n,
                     std::size_t ld, bool transposed)
    {
        const std::size_t panels = PackedMatrix::panels(n);
        out.k = k;
        out.n = n;
        out.data.resize(panels * k * W);
        float* dst = out.data.data();
        for (std::size_t q = 0; q < panels; ++q)
        {
            const std::size_t j0 = q * W, cols = std::min(W, n - j0);
            float* panel = dst + q * k * W;
            if (transposed) // B(i, j) = src[j * ld + i]: walk each source row once
            {
                for (std::size_t j = 0; j < cols; ++j)
                {
                    const float* s = src + (j0 + j) * ld;
                    for (std::size_t i = 0; i < k; ++i)
                        panel[i * W + j] = s[i];
                }
            }
            else
            {
                for (std::size_t i = 0; i < k; ++i)
                    std::copy(src + i * ld + j0, src + i * ld + j0 + cols, panel + i * W);
            }
            if (cols < W)
                for (std::size_t i = 0; i < k; ++i)
                    std::fill(panel + i * W + cols, panel + (i + 1) * W, 0.0f);
        }
    }

    void gemm_packed(std::size_t m, const float* a, std::size_t lda, const PackedMatrix& b,
                     float* c, std::size_t ldc, bool accumulate)
    {
        const BlockFn* kernels = block_kernels();
        const std::size_t k = b.k, n = b.n, panels = PackedMatrix::panels(n);
        for (std::size_t q = 0; q < panels; ++q)
        {
            const std::size_t j0 = q * W, cols = std::min(W, n - j0);
            const float* panel = b.data.data() + q * k * W;
            // equal row blocks of <= 6 (25 rows: 5 x 5, not 4 x 6 + a slow 1-row block)
            const std::size_t blocks = (m + MR - 1) / MR;
            for (std::size_t blk = 0, i = 0; blk < blocks; ++blk)
            {
                const std::size_t rows = (m - i) / (blocks - blk) + ((m - i) % (blocks - blk) != 0);
                kernels[rows - 1](a + i * lda, lda, panel, k, c + i * ldc + j0, ldc, cols,
                                  accumulate);
                i += rows;
            }
        }
    }
}
