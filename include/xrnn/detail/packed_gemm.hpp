// xrnn/detail/packed_gemm.hpp -- the per-step product of the recurrence, c (+)= a * B, with B packed
// once per sequence instead of once per step.
//
// Why: the recurrent GEMM of one step is small (B x H times H x 4H) and OpenBLAS copies
// ("packs") its right operand on every call: for H = 128 that copy was 15% of a training
// step, and the second thread's wake-up per step another 20% (perf, benchmarks/RESULTS.md).
// Packing W_hh once per forward or backward sweep and keeping the product on one core lets
// the cells split the batch across threads and run whole sweeps without synchronising.
//
// Layout: B (k x n) is stored as ceil(n / w) column panels, each k rows of w floats
// (zero-padded past n), so the micro-kernel reads its right operand contiguously: w = 32 for
// the AVX-512 kernel (up to 12 x 32), 16 for the AVX2 one (6 x 16) and the plain loops.
// Each output element is one FMA chain over k in order from zero, then added to c: whatever
// m, the row block, the thread or the ISA, results are the same bits (issue 13 made AVX-512
// the default on CPUs that have it without changing a number).
#ifndef XRNN_DETAIL_PACKED_GEMM_HPP
#define XRNN_DETAIL_PACKED_GEMM_HPP

#include "xrnn/blas.hpp"

#include <algorithm>
#include <cstddef>
#include <type_traits>
#include <vector>

namespace xrnn::detail
{
    // The per-step product's micro-kernel.
    enum class StepIsa
    {
        plain,  // portable loops
        avx2,   // AVX2 + FMA, 6 x 16
        avx512, // AVX-512F, up to 12 x 32
    };
    bool step_isa_available(StepIsa isa);
    const char* step_isa_name(StepIsa isa);
    // The kernel new packings use: the CPU's widest, or AVX2 when blas::gemm_backend() is
    // forced to avx2 (XRNN_GEMM=avx2 then means every product on AVX2).
    StepIsa step_isa();

    struct PackedMatrix
    {
        std::size_t k = 0, n = 0;
        std::size_t width = 16; // panel width: 32 for avx512, else 16
        StepIsa isa = StepIsa::plain;
        std::vector<float> data; // panels() * k * width

        std::size_t panels() const { return (n + width - 1) / width; }
    };

    // Packs B (k x n) for `isa`: B(i, j) = src[i * ld + j], or src[j * ld + i] when
    // `transposed` (B = W^T for a row-major W of shape (n, k)). Reuses out.data's storage.
    // Throws std::invalid_argument if !step_isa_available(isa).
    void pack_matrix(PackedMatrix& out, const float* src, std::size_t k, std::size_t n,
                     std::size_t ld, bool transposed, StepIsa isa = step_isa());

    // c (m x n, row stride ldc) = a (m x k, row stride lda) * B, plus c's old value when
    // `accumulate`, on the kernel B was packed for. Single-threaded: callers split rows.
    void gemm_packed(std::size_t m, const float* a, std::size_t lda, const PackedMatrix& b,
                     float* c, std::size_t ldc, bool accumulate);

    // How the cells split a sweep across threads (see StepWeights).
    enum class StepSplit
    {
        automatic, // what prefer_units chose by measurement: rows (packed_gemm.cpp)
        rows,
        units,
    };
    // Forces a split for tests and benchmarks (also XRNN_STEP_SPLIT=rows|units at start-up).
    void set_step_split(StepSplit s);
    StepSplit step_split();
    // Whether a sweep of W_hh (k x n) on `parts` threads splits by units.
    bool prefer_units(std::size_t k, std::size_t n, std::size_t parts);

    // The right operand op(W) (k x n) of every step's recurrent product, W row-major:
    // (n x k) when `transposed` (forward: h W_hh^T), (k x n) otherwise (backward: dg W_hh).
    // float sweeps of at least `min_rows` rows in all (steps x batch) pack it once in set();
    // shorter ones (sampling: one step, one row) would spend more on packing than on the
    // products and call BLAS each step, as double (the gradient checks) always does.
    //
    // Two ways to share a sweep between threads. By rows: each thread takes a block of the
    // batch through all steps on the whole packing, with no synchronisation, but every thread
    // streams all of W_hh every step (4 MiB at H = 512: from L3, bandwidth-bound). By units:
    // each thread owns a range of hidden units, packs only those columns of op(W) (one block
    // per gate: columns g*H + [u0, u1)) and computes them for all rows; the threads meet once
    // per step. set_units() chooses the latter; the cells use it when prefer_units says so.
    template <class T>
    struct StepWeights
    {
        static constexpr std::size_t min_rows = 32;
        static constexpr std::size_t all_units = ~std::size_t(0);
        const T* w = nullptr;
        std::size_t k = 0, n = 0;
        bool transposed = false;
        bool packed = false; // products run on `packing`, single-threaded
        PackedMatrix packing;
        // unit split: parts > 1, unit_bounds[p] .. unit_bounds[p + 1] of `units` per part,
        // blocks = n / units column blocks, unit_packing[p * blocks + b]
        std::size_t parts = 1, units = 0, blocks = 1;
        std::vector<std::size_t> unit_bounds;
        std::vector<PackedMatrix> unit_packing;

        void set(const T* w_, std::size_t k_, std::size_t n_, bool transposed_, std::size_t rows)
        {
            w = w_;
            k = k_;
            n = n_;
            transposed = transposed_;
            parts = 1;
            packed = std::is_same_v<T, float> && rows >= min_rows;
            if constexpr (std::is_same_v<T, float>)
                if (packed)
                    pack_matrix(packing, w, k, n, transposed ? k : n, transposed);
        }

        // As set, split by units across `parts_` threads: op(W)'s n columns are n / units_
        // blocks of `units_` (the gates), each part packs its units' columns of every block.
        // Unit bounds are multiples of 16 (whole vector blocks for the element-wise passes).
        void set_units(const T* w_, std::size_t k_, std::size_t n_, bool transposed_,
                       std::size_t units_, std::size_t parts_)
        {
            static_assert(std::is_same_v<T, float>, "the unit split runs on packed floats");
            w = w_;
            k = k_;
            n = n_;
            transposed = transposed_;
            packed = true;
            units = units_;
            blocks = n / units;
            parts = parts_;
            unit_bounds.assign(parts + 1, units);
            for (std::size_t p = 0; p < parts; ++p)
                unit_bounds[p] = std::min(units, (units * p / parts + 8) / 16 * 16);
            unit_packing.resize(parts * blocks);
            for (std::size_t p = 0; p < parts; ++p)
                for (std::size_t b = 0; b < blocks; ++b)
                {
                    const std::size_t c0 = b * units + unit_bounds[p];
                    const std::size_t cols = unit_bounds[p + 1] - unit_bounds[p];
                    const float* src = transposed ? w + c0 * k : w + c0;
                    pack_matrix(unit_packing[p * blocks + b], src, k, cols, transposed ? k : n,
                                transposed);
                }
        }

        // c (m x n) (+)= a (m x k) op(W); with a unit split, only the columns of units part
        // `part` (c still points at column 0), or every part's in turn for all_units.
        void multiply(std::size_t m, const T* a, std::size_t lda, T* c, std::size_t ldc,
                      bool accumulate, std::size_t part = all_units) const
        {
            if constexpr (std::is_same_v<T, float>)
            {
                if (packed && parts > 1)
                {
                    const std::size_t p0 = part == all_units ? 0 : part;
                    const std::size_t p1 = part == all_units ? parts : part + 1;
                    for (std::size_t p = p0; p < p1; ++p)
                        for (std::size_t b = 0; b < blocks; ++b)
                            gemm_packed(m, a, lda, unit_packing[p * blocks + b],
                                        c + b * units + unit_bounds[p], ldc, accumulate);
                    return;
                }
                if (packed)
                    return gemm_packed(m, a, lda, packing, c, ldc, accumulate);
            }
            blas::gemm<T>(false, transposed, m, n, k, T(1), a, lda, w, transposed ? k : n,
                          accumulate ? T(1) : T(0), c, ldc);
        }
    };
}

#endif
