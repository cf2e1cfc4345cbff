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

        // Panels of width W from an operand whose element (p, j) is src[p * ld + j]: kc rows
        // of `len` contiguous floats. Rows are taken in groups of 8 across all panels, so the
        // source is read as a few sequential streams (panel by panel, each panel would walk
        // kc rows ld apart, a cache and TLB miss per row when ld is large).
        template <std::size_t W>
        void pack_rows(const float* src, std::size_t ld, std::size_t kc, std::size_t len, float* dst)
        {
            constexpr std::size_t group = 8;
            for (std::size_t p0 = 0; p0 < kc; p0 += group)
            {
                const std::size_t p1 = std::min(kc, p0 + group);
                for (std::size_t q = 0; q < len; q += W)
                {
                    const std::size_t cols = std::min(W, len - q);
                    float* panel = dst + q * kc;
                    if (cols == W)
                        for (std::size_t p = p0; p < p1; ++p)
                            std::memcpy(panel + p * W, src + p * ld + q, W * sizeof(float));
                    else
                        for (std::size_t p = p0; p < p1; ++p)
                        {
                            std::size_t j = 0;
                            for (; j < cols; ++j)
                                panel[p * W + j] = src[p * ld + q + j];
                            for (; j < W; ++j)
                                panel[p * W + j] = 0.0f;
                        }
                }
            }
        }

        // Panels of width W from an operand whose element (p, j) is src[j * ld + p]: `len`
        // source rows of kc contiguous floats, each walked once.
        template <std::size_t W>
        void pack_cols(const float* src, std::size_t ld, std::size_t kc, std::size_t len, float* dst)
        {
            for (std::size_t q = 0; q < len; q += W)
            {
                const std::size_t cols = std::min(W, len - q);
                float* panel = dst + q * kc;
                for (std::size_t j = 0; j < cols; ++j)
                {
                    const float* s = src + (q + j) * ld;
                    for (std::size_t p = 0; p < kc; ++p)
                        panel[p * W + j] = s[p];
                }
                for (std::size_t j = cols; j < W; ++j)
                    for (std::size_t p = 0; p < kc; ++p)
                        panel[p * W + j] = 0.0f;
            }
        }

#ifdef XRNN_SGEMM_X86
        // r[j] (row j of a 16 x 16 block) becomes column j: unpack 32-bit and 64-bit pairs
        // within 128-bit lanes, then regroup the lanes twice.
        __attribute__((target("avx512f"))) inline void transpose16(__m512 r[16])
        {
            // the maskz forms with all lanes on: the plain intrinsics pass _mm512_undefined_ps()
            // and GCC 12 then warns -Wmaybe-uninitialized (same instructions either way)
            const __mmask16 all = 0xFFFF;
            const __mmask8 all8 = 0xFF;
            __m512 t[16];
#pragma GCC unroll 8
            for (int i = 0; i < 8; ++i)
            {
                t[2 * i] = _mm512_maskz_unpacklo_ps(all, r[2 * i], r[2 * i + 1]);
                t[2 * i + 1] = _mm512_maskz_unpackhi_ps(all, r[2 * i], r[2 * i + 1]);
            }
#pragma GCC unroll 4
            for (int i = 0; i < 4; ++i)
            {
                const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 1]);
                const __m512d c = _mm512_castps_pd(t[4 * i + 2]), d = _mm512_castps_pd(t[4 * i + 3]);
                r[4 * i] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(all8, a, c));
                r[4 * i + 1] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(all8, a, c));
                r[4 * i + 2] = _mm512_castpd_ps(_mm512_maskz_unpacklo_pd(all8, b, d));
                r[4 * i + 3] = _mm512_castpd_ps(_mm512_maskz_unpackhi_pd(all8, b, d));
            }
            // r[4i + e], lane L: rows 4i..4i+3 of column 4L + e
#pragma GCC unroll 4
            for (int e = 0; e < 4; ++e)
            {
                t[e] = _mm512_maskz_shuffle_f32x4(all, r[e], r[4 + e], 0x88);
                t[4 + e] = _mm512_maskz_shuffle_f32x4(all, r[e], r[4 + e], 0xDD);
                t[8 + e] = _mm512_maskz_shuffle_f32x4(all, r[8 + e], r[12 + e], 0x88);
                t[12 + e] = _mm512_maskz_shuffle_f32x4(all, r[8 + e], r[12 + e], 0xDD);
            }
#pragma GCC unroll 4
            for (int e = 0; e < 4; ++e)
            {
                r[e] = _mm512_maskz_shuffle_f32x4(all, t[e], t[8 + e], 0x88);
                r[8 + e] = _mm512_maskz_shuffle_f32x4(all, t[e], t[8 + e], 0xDD);
                r[4 + e] = _mm512_maskz_shuffle_f32x4(all, t[4 + e], t[12 + e], 0x88);
                r[12 + e] = _mm512_maskz_shuffle_f32x4(all, t[4 + e], t[12 + e], 0xDD);
            }
        }

        // pack_cols with 16 x 16 register transposes: 16 source rows of 16 floats each in,
        // 16 panel rows out (W = 14: the first 14 lanes; W = 32: two groups of 16).
        template <std::size_t W>
        __attribute__((target("avx512f"))) void pack_cols_avx512(const float* src, std::size_t ld,
                                                                 std::size_t kc, std::size_t len,
                                                                 float* dst)
        {
            static_assert(W == 14 || W % 16 == 0, "panel rows are 14 or whole vectors");
            for (std::size_t q = 0; q < len; q += W)
            {
                const std::size_t cols = std::min(W, len - q);
                float* panel = dst + q * kc;
                for (std::size_t g = 0; g < W; g += 16)
                {
                    const std::size_t width = std::min<std::size_t>(16, W - g);
                    const std::size_t rows = cols > g ? std::min(width, cols - g) : 0;
                    const __mmask16 out_mask = __mmask16((1u << width) - 1);
                    const float* s = src + (q + g) * ld;
                    for (std::size_t p0 = 0; p0 < kc; p0 += 16)
                    {
                        const std::size_t pn = std::min<std::size_t>(16, kc - p0);
                        const __mmask16 in_mask = __mmask16((1u << pn) - 1);
                        __m512 r[16];
#pragma GCC unroll 16
                        for (std::size_t j = 0; j < 16; ++j)
                            r[j] = j < rows ? _mm512_maskz_loadu_ps(in_mask, s + j * ld + p0)
                                            : _mm512_setzero_ps();
                        transpose16(r);
                        float* out = panel + p0 * W + g;
                        if (pn == 16)
                        {
#pragma GCC unroll 16
                            for (std::size_t e = 0; e < 16; ++e)
                                _mm512_mask_storeu_ps(out + e * W, out_mask, r[e]);
                        }
                        else
                            for (std::size_t e = 0; e < pn; ++e)
                                _mm512_mask_storeu_ps(out + e * W, out_mask, r[e]);
                    }
                }
            }
        }
#endif

        // B block: rows [p0, p0+kc) x cols [j0, j0+nc) of op(B) into ceil(nc / NR) panels,
        // each kc rows of NR floats, zero past nc.
        template <std::size_t NR, bool Avx512Pack>
        void pack_b(bool tb, const float* b, std::size_t ldb, std::size_t p0, std::size_t kc,
                    std::size_t j0, std::size_t nc, float* dst)
        {
            if (tb) // op(B)(p, j) = b[j * ldb + p]
            {
#ifdef XRNN_SGEMM_X86
                if constexpr (Avx512Pack)
                    return pack_cols_avx512<NR>(b + j0 * ldb + p0, ldb, kc, nc, dst);
#endif
                pack_cols<NR>(b + j0 * ldb + p0, ldb, kc, nc, dst);
            }
            else // op(B)(p, j) = b[p * ldb + j]
                pack_rows<NR>(b + p0 * ldb + j0, ldb, kc, nc, dst);
        }

        // A block: rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into ceil(mc / MR) panels,
        // each kc columns of MR floats, zero past mc.
        template <std::size_t MR, bool Avx512Pack>
        void pack_a(bool ta, const float* a, std::size_t lda, std::size_t i0, std::size_t mc,
                    std::size_t p0, std::size_t kc, float* dst)
        {
            if (ta) // op(A)(i, p) = a[p * lda + i]
                pack_rows<MR>(a + p0 * lda + i0, lda, kc, mc, dst);
            else // op(A)(i, p) = a[i * lda + p]
            {
#ifdef XRNN_SGEMM_X86
                if constexpr (Avx512Pack)
                    return pack_cols_avx512<MR>(a + i0 * lda + p0, lda, kc, mc, dst);
#endif
                pack_cols<MR>(a + i0 * lda + p0, lda, kc, mc, dst);
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
            static constexpr bool avx512_pack = true; // transposing packs in zmm registers
                        // A block up to 4200 x 384 (6.2 MB, L3), B block 384 x 512 (768 KB, L2), A
            // micro-panel 14 x 384 (21 KB, L1); measured best of KC 128..384, NC 512..2048
            static constexpr std::size_t MC = 14 * 300, KC = 384, NC = 512;

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
            static constexpr bool avx512_pack = false;
            static constexpr std::size_t MC = 6 * 700, KC = 256, NC = 512;

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
            // Each KC slice of k: A (MC x KC, up to the whole height) is packed once, then
            // every NC block of B is packed and swept by it, so neither operand is packed twice
            // (unless m > MC).
            for (std::size_t pc = 0; pc < k; pc += KC)
            {
                const std::size_t kc = std::min(KC, k - pc);
                const float beta_here = pc == 0 ? beta : 1.0f; // later slices add on
                for (std::size_t ic = 0; ic < m; ic += MC)
                {
                    const std::size_t mc = std::min(MC, m - ic);
                    pack_a<MR, K::avx512_pack>(ta, a, lda, ic, mc, pc, kc, pa);
                    for (std::size_t jc = 0; jc < n; jc += NC)
                    {
                        const std::size_t nc = std::min(NC, n - jc);
                        pack_b<NR, K::avx512_pack>(tb, b, ldb, pc, kc, jc, nc, pb);
                        // A micro-panel outer (stays in L1), B micro-panels inner (from L2)
                        for (std::size_t ir = 0; ir < mc; ir += MR)
                            for (std::size_t jr = 0; jr < nc; jr += NR)
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
