// xrnn/blas.hpp -- the BLAS calls on xrnn's hot path, over raw row-major buffers.
//
// Everything heavy in xrnn is one of these GEMMs. They are declared here and implemented
// in lib/blas_openblas.cpp, the only translation unit that includes <cblas.h>
// (xtensor-blas declares its own CBLAS enums, so the two cannot share a file).
#ifndef XRNN_BLAS_HPP
#define XRNN_BLAS_HPP

#include <cstddef>

namespace xrnn::blas
{
    // C (m, n) = alpha * op(A) (m, k) * op(B) (k, n) + beta * C, all row-major.
    // lda/ldb/ldc are row strides, so column blocks of a larger matrix can be passed.
    template <class T>
    void gemm(bool trans_a, bool trans_b, std::size_t m, std::size_t n, std::size_t k, T alpha,
              const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c,
              std::size_t ldc);

    // Threads xrnn uses: large products are split into row or column blocks, one
    // single-threaded OpenBLAS call each, and the cells split their batch rows (OpenBLAS's
    // own threads stay at one: lib/parallel.hpp says why). Starts at OpenBLAS's default
    // (OPENBLAS_NUM_THREADS is honoured); n <= 0 leaves the count unchanged.
    void set_threads(int n);
    int threads();
}

#endif
