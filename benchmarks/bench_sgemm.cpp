// benchmarks/bench_sgemm.cpp -- GFLOP/s of xrnn::detail::sgemm for each instruction set this
// CPU has, single-threaded, against OpenBLAS's cblas_sgemm through xrnn::blas::gemm with one
// thread (whatever kernel OpenBLAS picked for this CPU), on xrnn's large products and 2048^3.
// Usage: bench-sgemm [repetitions = 5]; prints the best of the repetitions after one warm-up.
// Times are the calling thread's CPU time (CLOCK_THREAD_CPUTIME_ID), not wall time: on a shared
// machine this leaves out the time other processes hold the core (cache sharing still shows).
#include <xrnn/blas.hpp>
#include <xrnn/detail/sgemm.hpp>
#include <xrnn/random.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>
#include <time.h>

namespace
{
    double thread_seconds()
    {
        timespec t{};
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
        return double(t.tv_sec) + 1e-9 * double(t.tv_nsec);
    }

    struct Shape
    {
        const char* what;
        bool ta, tb;
        std::size_t m, n, k;
        float beta;
    };

    // best GFLOP/s over `reps` timed calls after one untimed one
    double best_gflops(int reps, double flops, const std::function<void()>& call)
    {
        call();
        double best = 0;
        for (int r = 0; r < reps; ++r)
        {
            const double t0 = thread_seconds();
            call();
            const double s = thread_seconds() - t0;
            best = std::max(best, flops / s * 1e-9);
        }
        return best;
    }
}

int main(int argc, char** argv)
{
    const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 5;
    xrnn::blas::set_threads(1);
    using xrnn::detail::GemmIsa;
    const Shape shapes[] = {
        {"square 2048^3", false, false, 2048, 2048, 2048, 0.0f},
        {"x W_ih^T, H=512 (tb)", false, true, 2048, 2048, 512, 0.0f},
        {"  per thread (m/2)", false, true, 1024, 2048, 512, 0.0f},
        {"dG W, H=512", false, false, 2048, 512, 2048, 0.0f},
        {"  per thread (m/2)", false, false, 1024, 512, 2048, 0.0f},
        {"dW += dG^T X, H=512 (ta, beta 1)", true, false, 2048, 512, 2048, 1.0f},
        {"  per thread (m/2)", true, false, 1024, 512, 2048, 1.0f},
        {"x W_ih^T, H=128, TB=1600 (tb)", false, true, 1600, 512, 128, 0.0f},
        {"x W_ih^T, H=256, TB=2048 (tb)", false, true, 2048, 1024, 256, 0.0f},
        {"dG W, H=256, TB=2048", false, false, 2048, 256, 1024, 0.0f},
        {"dW += dG^T X, H=256 (ta)", true, false, 1024, 256, 2048, 1.0f},
        {"dW += dG^T X, H=128, TB=1600 (ta)", true, false, 512, 128, 1600, 1.0f},
    };
    std::printf("single thread, best of %d (thread CPU time), GFLOP/s\n", reps);
    std::printf("%-36s %16s", "shape (m x n x k)", "");
    for (GemmIsa isa : {GemmIsa::avx512, GemmIsa::avx2})
        if (xrnn::detail::gemm_isa_available(isa))
            std::printf(" %8s", xrnn::detail::gemm_isa_name(isa));
    std::printf(" %8s\n", "openblas");
    xrnn::Rng rng(1);
    for (const Shape& s : shapes)
    {
        std::vector<float> a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
        for (auto& v : a) v = static_cast<float>(rng.uniform(-1, 1));
        for (auto& v : b) v = static_cast<float>(rng.uniform(-1, 1));
        for (auto& v : c) v = static_cast<float>(rng.uniform(-1, 1));
        const std::size_t lda = s.ta ? s.m : s.k, ldb = s.tb ? s.k : s.n;
        const double flops = 2.0 * double(s.m) * double(s.n) * double(s.k);
        // beta 1 accumulates into c on every call: scale alpha down so values stay small
        const float alpha = s.beta == 0.0f ? 1.0f : 1e-3f;
        char dims[40];
        std::snprintf(dims, sizeof dims, "%zu x %zu x %zu", s.m, s.n, s.k);
        std::printf("%-36s %16s", s.what, dims);
        for (GemmIsa isa : {GemmIsa::avx512, GemmIsa::avx2})
            if (xrnn::detail::gemm_isa_available(isa))
                std::printf(" %8.1f", best_gflops(reps, flops, [&] {
                                xrnn::detail::sgemm(isa, s.ta, s.tb, s.m, s.n, s.k, alpha, a.data(),
                                                    lda, b.data(), ldb, s.beta, c.data(), s.n);
                            }));
        std::printf(" %8.1f\n", best_gflops(reps, flops, [&] {
                        xrnn::blas::gemm<float>(s.ta, s.tb, s.m, s.n, s.k, alpha, a.data(), lda,
                                                b.data(), ldb, s.beta, c.data(), s.n);
                    }));
        std::fflush(stdout);
    }
}
