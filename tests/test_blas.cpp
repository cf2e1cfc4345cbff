// tests/test_blas.cpp -- xrnn's raw gemm wrapper against xtensor-blas's dot, all transposes,
// strided column blocks and beta accumulation.
#include "xrnn/blas.hpp"
#include "xrnn/random.hpp"
#include "xrnn/tensor.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

#include <cctype>
#include <xtensor-blas/xlinalg.hpp>

TEST_CASE_TEMPLATE("gemm equals xt::linalg::dot", T, float, double)
{
    xrnn::Rng rng(7);
    const std::size_t n = 7, k = 3;
    for (std::size_t m : {5, 1}) // one row goes through gemv
    for (bool ta : {false, true})
        for (bool tb : {false, true})
        {
            xt::xtensor<T, 2> a = xt::zeros<T>({ta ? k : m, ta ? m : k});
            xt::xtensor<T, 2> b = xt::zeros<T>({tb ? n : k, tb ? k : n});
            xt::xtensor<T, 2> c = xt::zeros<T>({m, n});
            for (auto& v : a) v = static_cast<T>(rng.uniform(-1, 1));
            for (auto& v : b) v = static_cast<T>(rng.uniform(-1, 1));
            for (auto& v : c) v = static_cast<T>(rng.uniform(-1, 1));
            xt::xtensor<T, 2> opa = ta ? xt::xtensor<T, 2>(xt::transpose(a)) : a;
            xt::xtensor<T, 2> opb = tb ? xt::xtensor<T, 2>(xt::transpose(b)) : b;
            xt::xtensor<T, 2> want = T(2) * xt::linalg::dot(opa, opb) + T(0.5) * c;
            xrnn::blas::gemm<T>(ta, tb, m, n, k, T(2), a.data(), a.shape()[1], b.data(), b.shape()[1],
                                T(0.5), c.data(), n);
            INFO("m " << m << " ta " << ta << " tb " << tb);
            CHECK(xt::allclose(c, want, 1e-5, 1e-6));
        }
}

TEST_CASE("gemm on a column block of a wider matrix (leading dimension)")
{
    // C (2, 2) = A[:, 1:3] (2, 2) * I: the block must come out untouched by its neighbours
    xt::xtensor<double, 2> a = {{1, 2, 3, 4}, {5, 6, 7, 8}};
    xt::xtensor<double, 2> eye = {{1, 0}, {0, 1}};
    xt::xtensor<double, 2> c = xt::zeros<double>({2, 2});
    xrnn::blas::gemm<double>(false, false, 2, 2, 2, 1.0, a.data() + 1, 4, eye.data(), 2, 0.0, c.data(), 2);
    CHECK(c == xt::xtensor<double, 2>{{2, 3}, {6, 7}});
}

TEST_CASE_TEMPLATE("gemm split across threads equals one call", T, float, double)
{
    // large enough to be split into row blocks (m >= n) or column blocks (m < n), gemv included
    const int before = xrnn::blas::threads();
    xrnn::Rng rng(9);
    struct Shape { std::size_t m, n, k; };
    for (Shape s : {Shape{70, 50, 40}, Shape{3, 200, 300}, Shape{1, 300, 400}})
        for (bool ta : {false, true})
            for (bool tb : {false, true})
            {
                xt::xtensor<T, 2> a = xt::zeros<T>({ta ? s.k : s.m, ta ? s.m : s.k});
                xt::xtensor<T, 2> b = xt::zeros<T>({tb ? s.n : s.k, tb ? s.k : s.n});
                xt::xtensor<T, 2> c = xt::zeros<T>({s.m, s.n});
                for (auto& v : a) v = static_cast<T>(rng.uniform(-1, 1));
                for (auto& v : b) v = static_cast<T>(rng.uniform(-1, 1));
                for (auto& v : c) v = static_cast<T>(rng.uniform(-1, 1));
                xt::xtensor<T, 2> opa = ta ? xt::xtensor<T, 2>(xt::transpose(a)) : a;
                xt::xtensor<T, 2> opb = tb ? xt::xtensor<T, 2>(xt::transpose(b)) : b;
                xt::xtensor<T, 2> want = xt::linalg::dot(opa, opb) + T(0.5) * c;
                xrnn::blas::set_threads(2);
                xrnn::blas::gemm<T>(ta, tb, s.m, s.n, s.k, T(1), a.data(), a.shape()[1], b.data(),
                                    b.shape()[1], T(0.5), c.data(), s.n);
                INFO("m " << s.m << " n " << s.n << " ta " << ta << " tb " << tb);
                CHECK(xt::allclose(c, want, 1e-4, 1e-4));
            }
    xrnn::blas::set_threads(before);
}

TEST_CASE("kernel_info names the CPU's ISA, the GEMM backend and OpenBLAS's core, and flags a generic core")
{
    const auto k = xrnn::blas::kernel_info();
    MESSAGE(k.summary());
    CHECK((k.cpu_isa == "avx512" || k.cpu_isa == "avx2" || k.cpu_isa == "sse2"));
    CHECK(k.gemm == xrnn::blas::gemm_backend_name(xrnn::blas::gemm_backend()));
    CHECK(!k.blas_core.empty());
    CHECK(k.summary().find(k.blas_core) != std::string::npos);
    const std::string lower = [&] {
        std::string s;
        for (char c : k.blas_core)
            s += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    }();
    if (lower == "prescott" && k.cpu_isa != "sse2")
    {
        CHECK(k.blas_generic);
        CHECK(k.summary().find("OPENBLAS_CORETYPE=") != std::string::npos);
    }
    // an AVX2 core on an AVX-512 CPU (OPENBLAS_CORETYPE=Haswell here): xrnn's AVX-512 kernel
    // takes the large products unless XRNN_GEMM says otherwise
    CHECK(k.blas_narrow == (k.cpu_isa == "avx512" && (lower == "haswell" || lower == "zen")));
    const char* forced = std::getenv("XRNN_GEMM");
    const bool dnnl_build = xrnn::blas::gemm_backend_available(xrnn::blas::GemmBackend::dnnl); // -Dgemm=dnnl
    if (k.blas_narrow && !(forced && *forced) && !dnnl_build)
    {
        CHECK(k.gemm == "avx512");
        CHECK(k.summary().find("run on xrnn's avx512 kernel") != std::string::npos);
    }
}

TEST_CASE("every float GEMM backend the CPU has gives blas::gemm's results, split over threads")
{
    const auto before = xrnn::blas::gemm_backend();
    xrnn::Rng rng(5);
    for (auto be : {xrnn::blas::GemmBackend::openblas, xrnn::blas::GemmBackend::avx2, xrnn::blas::GemmBackend::avx512,
                    xrnn::blas::GemmBackend::dnnl})
    {
        if (!xrnn::blas::gemm_backend_available(be))
        {
            MESSAGE("backend " << xrnn::blas::gemm_backend_name(be) << " not available on this CPU (dnnl: or not built)");
            CHECK_THROWS_AS(xrnn::blas::set_gemm_backend(be), std::invalid_argument);
            continue;
        }
        xrnn::blas::set_gemm_backend(be);
        CHECK(xrnn::blas::kernel_info().gemm == xrnn::blas::gemm_backend_name(be));
        for (bool ta : {false, true})
            for (bool tb : {false, true})
            {
                const std::size_t m = 301, n = 157, k = 203; // large enough to split across threads
                std::vector<float> a(m * k), b(k * n), c(m * n, 0.5f);
                for (auto& v : a)
                    v = static_cast<float>(rng.uniform(-1, 1));
                for (auto& v : b)
                    v = static_cast<float>(rng.uniform(-1, 1));
                const std::vector<float> c0 = c;
                xrnn::blas::gemm<float>(ta, tb, m, n, k, 0.7f, a.data(), ta ? m : k, b.data(), tb ? k : n, 0.3f,
                                        c.data(), n);
                double err = 0;
                for (std::size_t i = 0; i < m; ++i)
                    for (std::size_t j = 0; j < n; ++j)
                    {
                        double want = 0.3 * c0[i * n + j];
                        for (std::size_t p = 0; p < k; ++p)
                            want += 0.7 * double(ta ? a[p * m + i] : a[i * k + p]) * double(tb ? b[j * k + p] : b[p * n + j]);
                        err = std::max(err, std::abs(want - double(c[i * n + j])));
                    }
                INFO(xrnn::blas::gemm_backend_name(be) << " ta " << ta << " tb " << tb);
                CHECK(err < 1e-4);
            }
    }
    xrnn::blas::set_gemm_backend(before);
}
