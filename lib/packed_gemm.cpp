// lib/packed_gemm.cpp -- packing and the micro-kernels behind gemm_packed.
//
// AVX2 (6 x 16): a 6 x 16 block of c in twelve registers; for each k, two loads of the packed
// panel and one broadcast per row of a: 12 FMAs per 8 loads, BLIS's Haswell/Zen shape.
// AVX-512 (R x 32, R <= 12): 2R of the 32 zmm registers hold c, the panel is 32 floats wide:
// 2R FMAs per 2 + R loads. Row blocks are balanced (16 rows: 8 + 8, 25 rows: 9 + 8 + 8).
// Measured alone on one core (issue 13, m = 16, k = 512, n = 2048, W_hh of an H = 512 LSTM):
// AVX2 48-57 GFLOP/s, AVX-512 71-96. Loop order: panel outer, row blocks inner, so a panel
// (k x w floats) stays in cache while all rows of a pass over it. Chosen at run time, as in
// activation.hpp; other CPUs run the same loops in plain C++.
#include "xrnn/detail/packed_gemm.hpp"

#include "xrnn/activation.hpp"
#include "xrnn/blas.hpp"
#include "xrnn/detail/sgemm.hpp"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <string>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define XRNN_PACKED_AVX2 1
#include <immintrin.h>
#endif

namespace xrnn::detail
{
    namespace
    {
        constexpr std::size_t W = 16;     // panel width of the AVX2 and plain kernels
        constexpr std::size_t MR = 6;     // their largest row block
        constexpr std::size_t W512 = 32;  // AVX-512's
        constexpr std::size_t MR512 = 12;

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

#ifdef XRNN_PACKED_AVX2
        // The accumulators are an array here: with AVX-512's 32 registers GCC 12 keeps
        // them all in registers once the row loops are unrolled (checked with objdump).
        template <std::size_t R>
        __attribute__((target("avx512f"))) void block_avx512(const float* a, std::size_t lda,
                                                              const float* panel, std::size_t k,
                                                              float* c, std::size_t ldc,
                                                              std::size_t cols, bool accumulate)
        {
            __m512 lo[R], hi[R];
#pragma GCC unroll 16
            for (std::size_t r = 0; r < R; ++r)
                lo[r] = hi[r] = _mm512_setzero_ps();
            for (std::size_t p = 0; p < k; ++p)
            {
                const __m512 b0 = _mm512_loadu_ps(panel + p * W512);
                const __m512 b1 = _mm512_loadu_ps(panel + p * W512 + 16);
#pragma GCC unroll 16
                for (std::size_t r = 0; r < R; ++r)
                {
                    const __m512 av = _mm512_set1_ps(a[r * lda + p]);
                    lo[r] = _mm512_fmadd_ps(av, b0, lo[r]);
                    hi[r] = _mm512_fmadd_ps(av, b1, hi[r]);
                }
            }
            // columns past `cols` (the last panel's padding) are neither read nor written
            const __mmask16 m0 = cols >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << cols) - 1);
            const __mmask16 m1 = cols >= 32 ? __mmask16(0xFFFF)
                                 : cols <= 16 ? __mmask16(0)
                                              : __mmask16((1u << (cols - 16)) - 1);
#pragma GCC unroll 16
            for (std::size_t r = 0; r < R; ++r)
            {
                float* cr = c + r * ldc;
                __m512 x0 = lo[r], x1 = hi[r];
                if (accumulate) // c + acc, as the AVX2 kernel: the same bits
                {
                    x0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, cr), x0);
                    x1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, cr + 16), x1);
                }
                _mm512_mask_storeu_ps(cr, m0, x0);
                _mm512_mask_storeu_ps(cr + 16, m1, x1);
            }
        }
#endif

        using BlockFn = void (*)(const float*, std::size_t, const float*, std::size_t, float*,
                                 std::size_t, std::size_t, bool);

        // kernels for 1..max_rows rows, index = rows - 1
        struct Kernels
        {
            const BlockFn* fn;
            std::size_t max_rows, width;
        };

        Kernels block_kernels(StepIsa isa)
        {
            static const BlockFn plain[MR] = {block_plain<1>, block_plain<2>, block_plain<3>,
                                              block_plain<4>, block_plain<5>, block_plain<6>};
#ifdef XRNN_PACKED_AVX2
            static const BlockFn avx2[MR] = {block_avx2<1>, block_avx2<2>, block_avx2<3>,
                                             block_avx2<4>, block_avx2<5>, block_avx2<6>};
            static const BlockFn avx512[MR512] = {
                block_avx512<1>, block_avx512<2>, block_avx512<3>,  block_avx512<4>,
                block_avx512<5>, block_avx512<6>, block_avx512<7>,  block_avx512<8>,
                block_avx512<9>, block_avx512<10>, block_avx512<11>, block_avx512<12>};
            if (isa == StepIsa::avx512)
                return {avx512, MR512, W512};
            if (isa == StepIsa::avx2)
                return {avx2, MR, W};
#endif
            return {plain, MR, W};
        }
    }

    bool step_isa_available(StepIsa isa)
    {
        switch (isa)
        {
        case StepIsa::plain:
            return true;
        case StepIsa::avx2:
#ifdef XRNN_PACKED_AVX2
            return detail::cpu_has_avx2_fma(); // the check activation.hpp uses
#else
            return false;
#endif
        case StepIsa::avx512:
#ifdef XRNN_PACKED_AVX2
            return gemm_isa_available(GemmIsa::avx512);
#else
            return false;
#endif
        }
        return false;
    }

    const char* step_isa_name(StepIsa isa)
    {
        switch (isa)
        {
        case StepIsa::plain:
            return "plain";
        case StepIsa::avx2:
            return "avx2";
        case StepIsa::avx512:
            return "avx512";
        }
        return "?";
    }

    StepIsa step_isa()
    {
        if (blas::gemm_backend() != blas::GemmBackend::avx2 && step_isa_available(StepIsa::avx512))
            return StepIsa::avx512;
        return step_isa_available(StepIsa::avx2) ? StepIsa::avx2 : StepIsa::plain;
    }

    void pack_matrix(PackedMatrix& out, const float* src, std::size_t k, std::size_t n,
                     std::size_t ld, bool transposed, StepIsa isa)
    {
        if (!step_isa_available(isa))
            throw std::invalid_argument(std::string("xrnn::detail::pack_matrix: this CPU cannot run the ")
                                        + step_isa_name(isa) + " kernel");
        const std::size_t w = block_kernels(isa).width;
        out.k = k;
        out.n = n;
        out.width = w;
        out.isa = isa;
        const std::size_t panels = out.panels();
        out.data.resize(panels * k * w);
        float* dst = out.data.data();
        for (std::size_t q = 0; q < panels; ++q)
        {
            const std::size_t j0 = q * w, cols = std::min(w, n - j0);
            float* panel = dst + q * k * w;
            if (transposed) // B(i, j) = src[j * ld + i]: walk each source row once
            {
                for (std::size_t j = 0; j < cols; ++j)
                {
                    const float* s = src + (j0 + j) * ld;
                    for (std::size_t i = 0; i < k; ++i)
                        panel[i * w + j] = s[i];
                }
            }
            else
            {
                for (std::size_t i = 0; i < k; ++i)
                    std::copy(src + i * ld + j0, src + i * ld + j0 + cols, panel + i * w);
            }
            if (cols < w)
                for (std::size_t i = 0; i < k; ++i)
                    std::fill(panel + i * w + cols, panel + (i + 1) * w, 0.0f);
        }
    }

    void gemm_packed(std::size_t m, const float* a, std::size_t lda, const PackedMatrix& b,
                     float* c, std::size_t ldc, bool accumulate)
    {
        const Kernels kern = block_kernels(b.isa);
        const std::size_t k = b.k, n = b.n, w = b.width, panels = b.panels();
        for (std::size_t q = 0; q < panels; ++q)
        {
            const std::size_t j0 = q * w, cols = std::min(w, n - j0);
            const float* panel = b.data.data() + q * k * w;
            // equal row blocks (25 rows on AVX2: 5 x 5, not 4 x 6 + a slow 1-row block)
            const std::size_t blocks = (m + kern.max_rows - 1) / kern.max_rows;
            for (std::size_t blk = 0, i = 0; blk < blocks; ++blk)
            {
                const std::size_t rows = (m - i) / (blocks - blk) + ((m - i) % (blocks - blk) != 0);
                kern.fn[rows - 1](a + i * lda, lda, panel, k, c + i * ldc + j0, ldc, cols,
                                  accumulate);
                i += rows;
            }
        }
    }

    namespace
    {
        StepSplit split_from_env()
        {
            const char* e = std::getenv("XRNN_STEP_SPLIT");
            if (!e)
                return StepSplit::automatic;
            const std::string v(e);
            if (v == "rows")
                return StepSplit::rows;
            if (v == "units")
                return StepSplit::units;
            return StepSplit::automatic;
        }
        std::atomic<StepSplit> g_split{split_from_env()};
    }

    void set_step_split(StepSplit s) { g_split.store(s); }
    StepSplit step_split() { return g_split.load(); }

    bool prefer_units(std::size_t k, std::size_t n, std::size_t parts)
    {
        if (parts < 2)
            return false;
        switch (step_split())
        {
        case StepSplit::rows:
            return false;
        case StepSplit::units:
            return true;
        case StepSplit::automatic:
            break;
        }
        // Rows. Measured on a 2-core AMD EPYC (AVX-512, 1 MiB L2 per core), dnnl-rnn-bench lstm
        // 512 and 1024, alternated: units gave no gain beyond the VM's noise (RESULTS.md, issue
        // 13), and the per-step barrier waits whenever the other vCPU is descheduled.
        (void)k;
        (void)n;
        return false;
    }
}
