// lib/cells/cell_ops.hpp -- how the stack calls a cell kind: one forward and one backward over
// a whole sequence, the same signature for every kind (private to lib/).
//
//   forward(cache, p, x, h0, c0, dims, activation, recurrent_activation, keep_pre, x_proj)
//     runs the layer over x (T, B, I) from state h0, c0 (each (B, H); null = zeros; c0 only for
//     cells with a cell state). Outputs are cache.h[1..T]; the final state cache.h[T], cache.c[T].
//     keep_pre keeps the pre-activations even when no derivative needs them (kink checks,
//     diagnostics). x_proj, when given, is x W_ih^T for all steps (T*B rows, no bias), computed
//     by the caller (sampling keeps a table of it per token); x must still be given.
//   backward(g, dx, dh0, dc0, dy, dhT, dcT, cache, p)
//     backpropagates through the whole unroll of the last forward, consuming its cache (gates
//     become their gradients). Adds the parameter gradients into g; writes dx (T, B, I), dh0 and
//     dc0 (B, H) when not null. dy (T, B, H) = dL/d(outputs); dhT, dcT = dL/d(final state), may
//     be null (zero).
#ifndef XRNN_LIB_CELL_OPS_HPP
#define XRNN_LIB_CELL_OPS_HPP

#include "xrnn/cell_cache.hpp"
#include "xrnn/cell_traits.hpp"

namespace xrnn
{
    template <class T>
    struct CellOps
    {
        void (*forward)(CellCache<T>& cache, const LayerParams<T>& p, const T* x, const T* h0,
                        const T* c0, const LayerDims& dims, const Activation& activation,
                        const Activation& recurrent_activation, bool keep_pre, const T* x_proj);
        void (*backward)(const LayerGrads<T>& g, T* dx, T* dh0, T* dc0, const T* dy,
                         const T* dhT, const T* dcT, CellCache<T>& cache, const LayerParams<T>& p);
    };

    template <class T>
    const CellOps<T>& cell_ops(CellKind k);
}

// Each cell's source file ends with this: its ops for float and double, found by the table.
#define XRNN_CELL_OPS(name)                                                                   \
    template <class T>                                                                        \
    CellOps<T> name##_ops()                                                                   \
    {                                                                                         \
        return {&name##_forward<T>, &name##_backward<T>};                                     \
    }                                                                                         \
    template CellOps<float> name##_ops<float>();                                              \
    template CellOps<double> name##_ops<double>();

#endif
