// lib/blas_openblas.cpp -- the only translation unit that includes <cblas.h>.
//
// OpenBLAS itself runs single-threaded: xrnn splits each large product into row or column
// blocks on its own pool (parallel.hpp says why), one single-threaded OpenBLAS call each.
#include "xrnn/blas.hpp"

#include "parallel.hpp"
#include "xrnn/detail/packed_gemm.hpp"
#include "xrnn/detail/sgemm.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <cstdlib>
#include <string>
#include <type_traits>
#include <cblas.h>
#ifdef XRNN_HAVE_DNNL
#include <oneapi/dnnl/dnnl.h>
#include <omp.h>
#endif

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

    namespace
    {
        // First use: xrnn's thread count starts at OpenBLAS's default (which honours
        // OPENBLAS_NUM_THREADS), and OpenBLAS is set to one thread.
        void take_over_threads()
        {
            static const bool done = [] {
                parallel::set_threads(static_cast<std::size_t>(std::max(openblas_get_num_threads(), 1)));
                openblas_set_num_threads(1);
                return true;
            }();
            (void)done;
        }

        // OpenBLAS's core in lower case
        std::string blas_core_lower()
        {
            std::string lower;
            for (const char* p = openblas_get_corename(); p && *p; ++p)
                lower += static_cast<char>(std::tolower(static_cast<unsigned char>(*p)));
            return lower;
        }

        // OpenBLAS's x86 kernels with AVX2 (or wider) code; anything else on an AVX2 CPU is a
        // fallback (0.3.21 runs "Prescott", SSE3, on CPUs newer than it knows)
        bool blas_core_is_generic()
        {
            const bool avx2 = detail::gemm_isa_available(detail::GemmIsa::avx2);
            static const char* const wide[] = {"haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"};
            const std::string lower = blas_core_lower();
            bool known = false;
            for (const char* w : wide)
                known |= lower == w;
            return avx2 && !known;
        }

        // An AVX2 core on an AVX-512 CPU: what OPENBLAS_CORETYPE=Haswell (set on some machines
        // because older OpenBLAS builds crash on them) gives. xrnn's AVX-512 kernel ran the
        // large products 1.5-1.9x faster than it on an AMD EPYC (bench-sgemm, RESULTS.md).
        bool blas_core_is_narrow()
        {
            const std::string lower = blas_core_lower();
            return detail::gemm_isa_available(detail::GemmIsa::avx512) && (lower == "haswell" || lower == "zen");
        }

        GemmBackend default_backend()
        {
            if (const char* env = std::getenv("XRNN_GEMM"); env && *env)
            {
                for (GemmBackend b : {GemmBackend::openblas, GemmBackend::avx2, GemmBackend::avx512, GemmBackend::dnnl})
                    if (std::strcmp(env, gemm_backend_name(b)) == 0)
                    {
                        if (!gemm_backend_available(b))
                            throw std::invalid_argument(std::string("XRNN_GEMM=") + env
                                                        + ": this CPU cannot run it (valid here: openblas"
                                                        + (gemm_backend_available(GemmBackend::avx2) ? ", avx2" : "")
                                                        + (gemm_backend_available(GemmBackend::avx512) ? ", avx512" : "")
                                                        + (gemm_backend_available(GemmBackend::dnnl) ? ", dnnl" : "") + ")");
                        return b;
                    }
                throw std::invalid_argument(std::string("XRNN_GEMM=") + env + " is not a GEMM backend (valid: openblas, avx2, avx512, dnnl)");
            }
#ifdef XRNN_HAVE_DNNL
            return GemmBackend::dnnl; // built with -Dgemm=dnnl: the user's choice
#endif
            if (blas_core_is_generic() || blas_core_is_narrow())
                return gemm_backend_available(GemmBackend::avx512) ? GemmBackend::avx512 : GemmBackend::avx2;
            return GemmBackend::openblas;
        }

        std::atomic<int>& backend_slot()
        {
            static std::atomic<int> slot{static_cast<int>(default_backend())};
            return slot;
        }

#ifdef XRNN_HAVE_DNNL
        // oneDNN's sgemm on this thread alone: xrnn's pool splits the products (gemm_split), and
        // oneDNN's OpenMP team would otherwise start one thread per core inside every part and
        // keep them spinning between calls (the problem parallel.hpp describes for OpenBLAS).
        void dnnl_gemm(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha,
                       const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta,
                       float* c, std::size_t ldc)
        {
            // set for this call only: the caller's own OpenMP setting (oneDNN primitives it runs
            // on this thread, say) must not change
            const int omp_before = omp_get_max_threads();
            if (omp_before != 1)
                omp_set_num_threads(1);
            const dnnl_status_t st = dnnl_sgemm(ta ? 'T' : 'N', tb ? 'T' : 'N', dnnl_dim_t(m), dnnl_dim_t(n),
                                                dnnl_dim_t(k), alpha, a, dnnl_dim_t(lda), b, dnnl_dim_t(ldb),
                                                beta, c, dnnl_dim_t(ldc));
            if (omp_before != 1)
                omp_set_num_threads(omp_before);
            if (st != dnnl_success)
                throw std::runtime_error("xrnn: oneDNN sgemm failed with status " + std::to_string(int(st)));
        }
#endif

        template <class T>
        void gemm_serial(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha,
                         const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c,
                         std::size_t ldc)
        {
            if constexpr (std::is_same_v<T, float>)
            {
                XRNN_GEMV_FOR_ONE_ROW(cblas_sgemv)
                const auto backend = static_cast<GemmBackend>(backend_slot().load(std::memory_order_relaxed));
#ifdef XRNN_HAVE_DNNL
                if (backend == GemmBackend::dnnl)
                    return dnnl_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
#endif
                if (backend != GemmBackend::openblas)
                    return detail::sgemm(backend == GemmBackend::avx512 ? detail::GemmIsa::avx512 : detail::GemmIsa::avx2,
                                         ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
                cblas_sgemm(CblasRowMajor, op(ta), op(tb), i(m), i(n), i(k), alpha, a, i(lda), b,
                            i(ldb), beta, c, i(ldc));
            }
            else
            {
                XRNN_GEMV_FOR_ONE_ROW(cblas_dgemv)
                cblas_dgemm(CblasRowMajor, op(ta), op(tb), i(m), i(n), i(k), alpha, a, i(lda), b,
                            i(ldb), beta, c, i(ldc));
            }
        }

        // start of block p of `parts` over [0, total), on multiples of `align` except the end
        std::size_t block_start(std::size_t total, std::size_t parts, std::size_t p, std::size_t align)
        {
            if (p >= parts)
                return total;
            return std::min(total, (total * p / parts + align / 2) / align * align);
        }

        // Splits c into row blocks (or column blocks when c is wider than tall) across the
        // pool; below ~0.2 MFLOP one call is faster than handing work to another core.
        template <class T>
        void gemm_split(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, T alpha,
                        const T* a, std::size_t lda, const T* b, std::size_t ldb, T beta, T* c,
                        std::size_t ldc)
        {
            take_over_threads();
            const std::size_t parts = parallel::threads();
            if (parts < 2 || 2.0 * double(m) * double(n) * double(k) < 2e5 || (m < 2 && n < 32))
                return gemm_serial<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
            const bool by_rows = m >= n;
            const std::size_t total = by_rows ? m : n;
            const std::size_t align = by_rows ? (m >= 64 ? 8 : 1) : (n >= 64 ? 16 : 1);
            parallel::run(parts, [&](std::size_t p) {
                const std::size_t s0 = block_start(total, parts, p, align);
                const std::size_t s1 = block_start(total, parts, p + 1, align);
                if (s1 <= s0)
                    return;
                if (by_rows)
                    gemm_serial<T>(ta, tb, s1 - s0, n, k, alpha, ta ? a + s0 : a + s0 * lda, lda, b,
                                   ldb, beta, c + s0 * ldc, ldc);
                else
                    gemm_serial<T>(ta, tb, m, s1 - s0, k, alpha, a, lda, tb ? b + s0 * ldb : b + s0,
                                   ldb, beta, c + s0, ldc);
            });
        }
    }

    template <>
    void gemm<float>(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, float alpha,
                     const float* a, std::size_t lda, const float* b, std::size_t ldb, float beta,
                     float* c, std::size_t ldc)
    {
        gemm_split<float>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    template <>
    void gemm<double>(bool ta, bool tb, std::size_t m, std::size_t n, std::size_t k, double alpha,
                      const double* a, std::size_t lda, const double* b, std::size_t ldb,
                      double beta, double* c, std::size_t ldc)
    {
        gemm_split<double>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    void set_threads(int n)
    {
        take_over_threads();
        if (n > 0)
            parallel::set_threads(static_cast<std::size_t>(n));
    }

    int threads()
    {
        take_over_threads();
        return static_cast<int>(parallel::threads());
    }

    KernelInfo kernel_info()
    {
        KernelInfo k;
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
        const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        const bool avx512 = __builtin_cpu_supports("avx512f");
#else
        const bool avx2 = false, avx512 = false;
#endif
        k.cpu_isa = avx512 ? "avx512" : avx2 ? "avx2" : "sse2";
        k.gemm = gemm_backend_name(gemm_backend());
        const char* core = openblas_get_corename();
        k.blas_core = core ? core : "?";
        const char* env = std::getenv("OPENBLAS_CORETYPE");
        k.blas_coretype_env = env ? env : "";
        k.recurrent = detail::step_isa_name(detail::step_isa());
        k.blas_generic = blas_core_is_generic();
        k.blas_narrow = blas_core_is_narrow();
        return k;
    }

    std::string KernelInfo::summary() const
    {
        std::string s = "kernels: cpu " + cpu_isa + ", gemm " + (gemm == "openblas" ? gemm : gemm == "dnnl" ? "oneDNN sgemm" : "xrnn " + gemm) + " (OpenBLAS core " + blas_core
                        + (blas_coretype_env.empty() ? "" : ", OPENBLAS_CORETYPE=" + blas_coretype_env) + ")"
                        + ", recurrent step " + recurrent;
        if (blas_generic && gemm == "openblas")
            s += "; warning: OpenBLAS does not recognise this " + cpu_isa + " CPU and runs its generic "
                 + blas_core + " kernel (several times slower); unset XRNN_GEMM to use xrnn's kernel, or"
                 + " OPENBLAS_CORETYPE=" + (cpu_isa == "avx512" ? "SkylakeX" : "Haswell") + " selects OpenBLAS's";
        else if (blas_generic && gemm != "dnnl")
            s += "; OpenBLAS does not recognise this CPU (generic " + blas_core + " kernel): the large products"
                 " run on xrnn's " + gemm + " kernel";
        else if (blas_narrow && (gemm == "avx512" || gemm == "avx2"))
            s += "; OpenBLAS runs its AVX2 " + blas_core + " kernel on this AVX-512 CPU: the large products run on"
                 " xrnn's " + gemm + " kernel";
        return s;
    }

    GemmBackend gemm_backend() { return static_cast<GemmBackend>(backend_slot().load()); }

    void set_gemm_backend(GemmBackend b)
    {
        if (!gemm_backend_available(b))
            throw std::invalid_argument(std::string("gemm backend ") + gemm_backend_name(b) + " is not available on this CPU");
        backend_slot().store(static_cast<int>(b));
    }

    bool gemm_backend_available(GemmBackend b)
    {
        switch (b)
        {
        case GemmBackend::openblas:
            return true;
        case GemmBackend::avx2:
            return detail::gemm_isa_available(detail::GemmIsa::avx2);
        case GemmBackend::avx512:
            return detail::gemm_isa_available(detail::GemmIsa::avx512);
        case GemmBackend::dnnl:
#ifdef XRNN_HAVE_DNNL
            return true;
#else
            return false; // not built: meson setup -Dgemm=dnnl
#endif
        }
        return false;
    }

    const char* gemm_backend_name(GemmBackend b)
    {
        switch (b)
        {
        case GemmBackend::openblas:
            return "openblas";
        case GemmBackend::avx2:
            return "avx2";
        case GemmBackend::avx512:
            return "avx512";
        case GemmBackend::dnnl:
            return "dnnl";
        }
        return "?";
    }
}
