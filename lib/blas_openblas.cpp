// lib/blas_openblas.cpp -- the only translation unit that includes <cblas.h>.
#include "xrnn/blas.hpp"

#include <cblas.h>

namespace xrnn::blas
{
    namespace
    {
        CBLAS_TRANSPOSE op(bool t) { return t ? CblasTrans : CblasNoTrans; }
        blasint i(std::size_t v) { return static_cast<blasint>(v); }
    }

    // One output row (batch 1, as in sampling) is a matrix-vector product: gemv, which does not
    // pack B as gemm does on every call (5x faster for a 1 x 512 x 2048 product here).
    // a is then a vector with stride lda when transposed, 1 otherwise; c is a row.
#define XRNN_GEMV_FOR_ONE_ROW(gemv)                                                                  \
    if (m == 1)                                                                                     \
    {                                                                                               \
        const blasint incx = ta ? i(lda) : 1;                                                       \
        if (tb) /* B (n, k): c = B a */                                                             \
            gemv(CblasRowMajor, CblasNoTrans, i(n), i(k), alpha, b, i(ldb), a, incx, beta, c, 1);  \
        else /* B (k, n): c = B^T a */                                                              \
            gemv(CblasRowMajor, CblasTrans, i(k), i(n), alpha, b, i(ldb), a, incx, beta, c, 1);    \
        return;                                                                                     \
    }

    template <>
    void gemm<float>(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha,
                     const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta,
                     float* c, std::size_t ldc)
    {
        XRNN_GEMV_FOR_ONE_ROW(cblas_sgemv)
        cblas_sgemm(CblasRowMajor, op(ta), op(tb), i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb),
                    beta, c, i(ldc));
    }

    template <>
    void gemm<double>(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, double alpha,
                      const double* a, std::size_t lda, const double* b, std::size_t ldb,
                      double beta, double* c, std::size_t ldc)
    {
        XRNN_GEMV_FOR_ONE_ROW(cblas_dgemv)
        cblas_dgemm(CblasRowMajor, op(ta), op(tb), i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb),
                    beta, c, i(ldc));
    }

    void set_threads(int n)
    {
        if (n > 0)
            openblas_set_num_threads(n);
    }

    int threads() { return openblas_get_num_threads(); }
}
