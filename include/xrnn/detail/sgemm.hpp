// xrnn/detail/sgemm.hpp -- xrnn's own single-threaded float GEMM, BLIS-style, with the
// instruction set chosen by the caller at run time.
//
// Why: Debian's OpenBLAS 0.3.21 picks its sgemm kernel from the CPU model, and on CPUs newer
// than it knows (e.g. a family 6 model 207 Xeon) it falls back to the SSE3 "Prescott" kernel,
// 5x slower than its own SkylakeX one. xrnn's large products must not depend on that guess.
//
// What it is: C = alpha op(A) op(B) + beta C on row-major buffers, exactly blas::gemm's
// semantics (beta == 0: C is not read; alpha == 0 or k == 0: A and B are not read). B is
// packed into kc x nr panels, A into mr x kc panels (both transposes are handled while
// packing), with MC / KC / NC cache blocking around an AVX-512 (14 x 32) or AVX2 (6 x 16)
// micro-kernel; edges are zero-padded in the packs and stored with masks.
//
// What it is not: threaded (callers split rows or columns, as lib/blas_openblas.cpp does),
// nor a double GEMM. Each element of C is one FMA chain over k in order within each KC block,
// the blocks added in order, whatever m, n or the caller's row/column split: results are
// bit-identical however the caller splits the product (for a given ISA).
//
// Memory: one thread_local packing buffer per thread, grown when needed, never shrunk.
#ifndef XRNN_DETAIL_SGEMM_HPP
#define XRNN_DETAIL_SGEMM_HPP

#include <cstddef>

namespace xrnn::detail
{
    enum class GemmIsa
    {
        avx2,  // AVX2 + FMA, 6 x 16 micro-kernel
        avx512 // AVX-512F, 14 x 32 micro-kernel
    };

    // Whether this CPU (and this build) can run `isa`.
    bool gemm_isa_available(GemmIsa isa);

    // "avx2" or "avx512"
    const char* gemm_isa_name(GemmIsa isa);

    // C (m x n, row stride ldc) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C, row-major;
    // op(A) = A^T (A stored k x m, row stride lda) when trans_a, op(B) = B^T (B stored n x k)
    // when trans_b. Single-threaded. Throws std::invalid_argument if !gemm_isa_available(isa).
    void sgemm(GemmIsa isa, bool trans_a, bool trans_b, std::size_t m, std::size_t n,
               std::size_t k, float alpha, const float* a, std::size_t lda, const float* b,
               std::size_t ldb, float beta, float* c, std::size_t ldc);
}

#endif
