// xrnn/blas.hpp -- the BLAS calls on xrnn's hot path, over raw row-major buffers.
//
// Everything heavy in xrnn is one of these GEMMs. They are declared here and implemented
// in lib/blas_openblas.cpp, the only translation unit that includes <cblas.h>
// (xtensor-blas declares its own CBLAS enums, so the two cannot share a file).
#ifndef XRNN_BLAS_HPP
#define XRNN_BLAS_HPP

#include <cstddef>
#include <string>

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

    // What runs the products on this machine, for logs and tool headers: a user on a CPU their
    // BLAS does not know should be told, not find out from the speed.
    struct KernelInfo
    {
        std::string cpu_isa;          // widest vector ISA of the CPU: avx512, avx2 or sse2
        std::string gemm;             // who runs the large float products: openblas, avx2 or avx512 (xrnn's)
        std::string blas_core;        // OpenBLAS's kernel (openblas_get_corename), e.g. "Haswell"
        std::string blas_coretype_env; // OPENBLAS_CORETYPE as set by the user ("" if unset)
        std::string recurrent;        // the per-step product's micro-kernel: avx512, avx2 or plain
        bool blas_generic = false;    // OpenBLAS runs a kernel older than AVX2 on an AVX2 CPU
        bool blas_narrow = false;     // OpenBLAS runs an AVX2 kernel on an AVX-512 CPU
        std::string summary() const;  // one line, with advice when blas_generic
    };
    KernelInfo kernel_info();

    // Who runs float gemm (double always goes to OpenBLAS: it is the gradient checks' type).
    // Chosen once, at first use: the environment's XRNN_GEMM (openblas, avx2, avx512) if set,
    // else xrnn's own widest kernel when OpenBLAS runs a generic core on this CPU or an AVX2 core
    // on an AVX-512 CPU (a user's OPENBLAS_CORETYPE=Haswell, which xrnn never changes), else OpenBLAS
    // (on a core it knows it is as fast: benchmarks/RESULTS.md, issue 13). A fixed rule, not a
    // timing at start-up: a run and its resume must compute the same bits.
    enum class GemmBackend
    {
        openblas,
        avx2,
        avx512,
        dnnl, // oneDNN's sgemm; only in a build configured with -Dgemm=dnnl, and then the default
    };
    GemmBackend gemm_backend();
    // Forces a backend (tests, benchmarks); throws std::invalid_argument when the CPU lacks it.
    void set_gemm_backend(GemmBackend b);
    bool gemm_backend_available(GemmBackend b);
    const char* gemm_backend_name(GemmBackend b);
}

#endif
