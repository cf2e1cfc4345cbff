// lib/sgemm.cpp -- packing, cache blocking and the AVX-512 / AVX2 micro-kernels behind sgemm.
//
// Loop nest (BLIS, Goto & van de Geijn, "Anatomy of high-performance matrix multiplication",
// ACM TOMS 2008): for each NC column block of B, for each KC slice of k, B (KC x NC) is packed
// into nr-wide panels; for each MC row block of A, A (MC x KC) is packed into mr-tall panels;
// then every B panel (kc x nr, kept in L1) meets every A panel (mr x kc, streamed from L2) in
// the micro-kernel, which holds an mr x nr block of C in registers and, per k, loads nr floats
// of B and broadcasts mr floats of A.
//
// Edges: packs are zero-padded to whole panels, so the kernel always runs its full tile; only
// the `rows` x `cols` part is stored (masked stores for columns). Every tile, full or partial,
// runs the same instructions in the same order, hence split-independent results.
//
// Kernels are compiled with __attribute__((target(...))), so the library needs no -march
// flag; gemm_isa_available says which of them this CPU can run.
#include "xrnn/detail/sgemm.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <string>

#if defined(__GNUC__) && defined(__x86_64__)
#define XRNN_SGEMM_X86 1
#include <immintrin.h>
#endif

namespace xrnn::detail
{
    namespace
    {
        // ----------------------------------------------------------------------------------
        // The packing buffer: one per thread, 64-byte aligned, grow-only.

        struct PackBuffer
        {
            struct Free
            {
                void operator()(float* p) const { ::operator delete[](p, std::align_val_t(64)); }
            };
            std::unique_ptr<float[], Free> data;
            std::size_t size = 0;

            float* get(std::size_t n)
            {
                if (n > size)
                {
                    data.reset(static_cast<float*>(::operator new[](n * sizeof(float), std::align_val_t(64))));
                    size = n;
                }
                return data.get();
            }
        };

        PackBuffer& pack_buffer()
        {
            thread_local PackBuffer buffer;
            return buffer;
        }

        // ----------------------------------------------------------------------------------
        // Packing (plain C++; a few percent of the time at xrnn's sizes).

        // B block: rows [p0, p0+kc) x cols [j0, j0+nc) of op(B) into ceil(nc / NR) panels,
        // each kc rows of NR floats, zero past nc.
        template <std::size_t NR>
        void pack_b(bool tb, const float* b, std::size_t ldb, std::size_t p0, std::size_t kc,
                    std::size_t j0, std::size_t nc, float* dst)
        {
            for (std::size_t jp = 0; jp < nc; jp += NR)
            {
                const std::size_t cols = std::min(NR, nc - jp);
                float* panel = dst + jp * kc;
                if (!tb) // op(B)(p, j) = b[p * ldb + j]: rows of B are contiguous
                {
                    const float* s = b + p0 * ldb + j0 + jp;
                    if (cols == NR)
                        for (std::size_t p = 0; p < kc; ++p)
                            std::memcpy(panel + p * NR, s + p * ldb, NR * sizeof(float));
                    else
                        for (std::size_t p = 0; p < kc; ++p)
                        {
                            std::size_t j = 0;
                            for (; j < cols; ++j)
                                panel[p * NR + j] = s[p * ldb + j];
                            for (; j < NR; ++j)
                                panel[p * NR + j] = 0.0f;
                        }
                }
                else // op(B)(p, j) = b[j * ldb + p]: walk each source row once
                {
                    const float* s = b + (j0 + jp) * ldb + p0;
                    for (std::size_t j = 0; j < cols; ++j)
                        for (std::size_t p = 0; p < kc; ++p)
                            panel[p * NR + j] = s[j * ldb + p];
                    for (std::size_t j = cols; j < NR; ++j)
                        for (std::size_t p = 0; p < kc; ++p)
                            panel[p * NR + j] = 0.0f;
                }
            }
        }

        // A block: rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into ceil(mc / MR) panels,
        // each kc columns of MR floats, zero past mc.
        template <std::size_t MR>
        void pack_a(bool ta, const float* a, std::size_t lda, std::size_t i0, std::size_t mc,
                    std::size_t p0, std::size_t kc, float* dst)
        {
            for (std::size_t ip = 0; ip < mc; ip += MR)
            {
                const std::size_t rows = std::min(MR, mc - ip);
                float* panel = dst + ip * kc;
                if (ta) // op(A)(i, p) = a[p * lda + i]: MR contiguous floats per p
                {
                    const float* s = a + p0 * lda + i0 + ip;
                    if (rows == MR)
                        for (std::size_t p = 0; p < kc; ++p)
                            std::memcpy(panel + p * MR, s + p * lda, MR * sizeof(float));
                    else
                        for (std::size_t p = 0; p < kc; ++p)
                        {
                            std::size_t i = 0;
                            for (; i < rows; ++i)
                                panel[p * MR + i] = s[p * lda + i];
                            for (; i < MR; ++i)
                                panel[p * MR + i] = 0.0f;
                        }
                }
                else // op(A)(i, p) = a[i * lda + p]: walk each source row once
                {
                    const float* s = a + (i0 + ip) * lda + p0;
                    for (std::size_t i = 0; i < rows; ++i)
                        for (std::size_t p = 0; p < kc; ++p)
                            panel[p * MR + i] = s[i * lda + p];
                    for (std::size_t i = rows; i < MR; ++i)
                        for (std::size_t p = 0; p < kc; ++p)
                            panel[p * MR + i] = 0.0f;
                }
            }
        }

        // ----------------------------------------------------------------------------------
        // Micro-kernels: c (rows x cols of an MR x NR tile) = alpha * pa^T pb + beta * c,
        // c not read when beta == 0. pa: kc x MR, pb: kc x NR, both packed.

#ifdef XRNN_SGEMM_X86
        // 14 x 32: 28 zmm accumulators, 2 loads of B and 14 broadcasts of A (folded into the
        // FMAs as {1to16} memory operands) per k. The arrays are fully unrolled, so GCC keeps
        // them in registers (checked in the assembly: no spills in the k loop).
        struct Avx512
        {
            static constexpr std::size_t MR = 14, NR = 32;
            static constexpr std::size_t MC = 14 * 12, KC = 256, NC = 2048;

            __attribute__((target("avx512f"))) static void kernel(std::size_t kc, const float* pa,
                                                                  const float* pb, float* c,
                                                                  std::size_t ldc, float alpha,
                                                                  float beta, std::size_t rows,
                                                                  std::size_t cols)
            {
                __m512 acc0[MR], acc1[MR];
#pragma GCC unroll 14
                for (std::size_t r = 0; r < MR; ++r)
                {
                    acc0[r] = _mm512_setzero_ps();
                    acc1[r] = _mm512_setzero_ps();
                }
                for (std::size_t p = 0; p < kc; ++p)
                {
                    const __m512 b0 = _mm512_load_ps(pb);
                    const __m512 b1 = _mm512_load_ps(pb + 16);
#pragma GCC unroll 14
                    for (std::size_t r = 0; r < MR; ++r)
                    {
                        const __m512 av = _mm512_set1_ps(pa[r]);
                        acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
                        acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
                    }
                    pa += MR;
                    pb += NR;
                }
                const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
                const __mmask16 m0 = cols >= 16 ? __mmask16(0xFFFF) : __mmask16((1u << cols) - 1);
                const __mmask16 m1 = cols >= 32   ? __mmask16(0xFFFF)
                                     : cols > 16 ? __mmask16((1u << (cols - 16)) - 1)
                                                 : __mmask16(0);
#pragma GCC unroll 14
                for (std::size_t r = 0; r < MR; ++r)
                {
                    if (r >= rows)
                        break;
                    float* cr = c + r * ldc;
                    __m512 x0 = _mm512_mul_ps(va, acc0[r]);
                    __m512 x1 = _mm512_mul_ps(va, acc1[r]);
                    if (beta != 0.0f)
                    {
                        x0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m0, cr), x0);
                        x1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(m1, cr + 16), x1);
                    }
                    _mm512_mask_storeu_ps(cr, m0, x0);
                    _mm512_mask_storeu_ps(cr + 16, m1, x1);
                }
            }
        };

        // 6 x 16: 12 ymm accumulators, as in packed_gemm.cpp.
        struct Avx2
        {
            static constexpr std::size_t MR = 6, NR = 16;
            static constexpr std::size_t MC = 6 * 24, KC = 256, NC = 2048;

            __attribute__((target("avx2,fma"))) static void kernel(std::size_t kc, const float* pa,
                                                                   const float* pb, float* c,
                                                                   std::size_t ldc, float alpha,
                                                                   float beta, std::size_t rows,
                                                                   std::size_t cols)
            {
                __m256 acc0[MR], acc1[MR];
#pragma GCC unroll 6
                for (std::size_t r = 0; r < MR; ++r)
                {
                    acc0[r] = _mm256_setzero_ps();
                    acc1[r] = _mm256_setzero_ps();
                }
                for (std::size_t p = 0; p < kc; ++p)
                {
                    const __m256 b0 = _mm256_load_ps(pb);
                    const __m256 b1 = _mm256_load_ps(pb + 8);
#pragma GCC unroll 6
                    for (std::size_t r = 0; r < MR; ++r)
                    {
                        const __m256 av = _mm256_broadcast_ss(pa + r);
                        acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
                        acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
                    }
                    pa += MR;
                    pb += NR;
                }
                const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
                // lane j of the mask is on (sign bit set) when j < cols (resp. j + 8 < cols)
                const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
                const __m256i m0 = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(std::min<std::size_t>(cols, 16))), lane);
                const __m256i m1 = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(std::min<std::size_t>(cols, 16)) - 8), lane);
#pragma GCC unroll 6
                for (std::size_t r = 0; r < MR; ++r)
                {
                    if (r >= rows)
                        break;
                    float* cr = c + r * ldc;
                    __m256 x0 = _mm256_mul_ps(va, acc0[r]);
                    __m256 x1 = _mm256_mul_ps(va, acc1[r]);
                    if (beta != 0.0f)
                    {
                        x0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr, m0), x0);
                        x1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(cr + 8, m1), x1);
                    }
                    _mm256_maskstore_ps(cr, m0, x0);
                    _mm256_maskstore_ps(cr + 8, m1, x1);
                }
            }
        };
#endif

        // ----------------------------------------------------------------------------------
        // The blocked driver, one per kernel.

        // C = beta * C (alpha == 0 or k == 0: A and B take no part)
        void scale_c(std::size_t m, std::size_t n, float beta, float* c, std::size_t ldc)
        {
            for (std::size_t i = 0; i < m; ++i)
            {
                float* cr = c + i * ldc;
                if (beta == 0.0f)
                    std::fill(cr, cr + n, 0.0f);
                else if (beta != 1.0f)
                    for (std::size_t j = 0; j < n; ++j)
                        cr[j] *= beta;
            }
        }

        template <class K>
        void blocked(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha,
                     const float* a, std::size_t lda, const float* b, std::size_t ldb,
                     float beta, float* c, std::size_t ldc)
        {
            constexpr std::size_t MR = K::MR, NR = K::NR, MC = K::MC, KC = K::KC, NC = K::NC;
            static_assert(MC % MR == 0 && NC % NR == 0, "blocks are whole panels");
            const std::size_t nc_max = std::min(NC, (n + NR - 1) / NR * NR);
            const std::size_t mc_max = std::min(MC, (m + MR - 1) / MR * MR);
            const std::size_t kc_max = std::min(KC, k);
            // B block first, then A block: both start on a 64-byte boundary (kc * NR floats
            // per B panel is a multiple of 16 as NR is)
            float* pb = pack_buffer().get(kc_max * nc_max + kc_max * mc_max);
            float* pa = pb + kc_max * nc_max;
            for (std::size_t jc = 0; jc < n; jc += NC)
            {
                const std::size_t nc = std::min(NC, n - jc);
                for (std::size_t pc = 0; pc < k; pc += KC)
                {
                    const std::size_t kc = std::min(KC, k - pc);
                    const float beta_here = pc == 0 ? beta : 1.0f; // later slices add on
                    pack_b<NR>(tb, b, ldb, pc, kc, jc, nc, pb);
                    for (std::size_t ic = 0; ic < m; ic += MC)
                    {
                        const std::size_t mc = std::min(MC, m - ic);
                        pack_a<MR>(ta, a, lda, ic, mc, pc, kc, pa);
                        for (std::size_t jr = 0; jr < nc; jr += NR)
                            for (std::size_t ir = 0; ir < mc; ir += MR)
                                K::kernel(kc, pa + ir * kc, pb + jr * kc,
                                          c + (ic + ir) * ldc + jc + jr, ldc, alpha, beta_here,
                                          std::min(MR, mc - ir), std::min(NR, nc - jr));
                    }
                }
            }
        }
    }

    bool gemm_isa_available(GemmIsa isa)
    {
#ifdef XRNN_SGEMM_X86
        static const bool avx2 = [] {
            __builtin_cpu_init();
            return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        }();
        static const bool avx512 = [] {
            __builtin_cpu_init();
            return __builtin_cpu_supports("avx512f");
        }();
        switch (isa)
        {
        case GemmIsa::avx2: return avx2;
        case GemmIsa::avx512: return avx512;
        }
#else
        (void)isa;
#endif
        return false;
    }

    const char* gemm_isa_name(GemmIsa isa)
    {
        switch (isa)
        {
        case GemmIsa::avx2: return "avx2";
        case GemmIsa::avx512: return "avx512";
        }
        return "?";
    }

    void sgemm(GemmIsa isa, bool trans_a, bool trans_b, std::size_t m, std::size_t n,
               std::size_t k, float alpha, const float* a, std::size_t lda, const float* b,
               std::size_t ldb, float beta, float* c, std::size_t ldc)
    {
        if (!gemm_isa_available(isa))
            throw std::invalid_argument(std::string("xrnn::detail::sgemm: this CPU cannot run ") +
                                        gemm_isa_name(isa));
        if (m == 0 || n == 0)
            return;
        if (k == 0 || alpha == 0.0f)
            return scale_c(m, n, beta, c, ldc);
#ifdef XRNN_SGEMM_X86
        if (isa == GemmIsa::avx512)
            return blocked<Avx512>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
        return blocked<Avx2>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
    }
}
