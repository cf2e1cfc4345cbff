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

    template <>
    void gemm<float>(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha,
                     const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta,
                     float* c, std::size_t ldc)
    {
        cblas_sgemm(CblasRowMajor, op(ta), op(tb), i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb),
                    beta, c, i(ldc));
    }

    template <>
    void gemm<double>(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, double alpha,
                      const double* a, std::size_t lda, const double* b, std::size_t ldb,
                      double beta, double* c, std::size_t ldc)
    {
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
