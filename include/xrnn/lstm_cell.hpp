// xrnn/lstm_cell.hpp -- one LSTM layer unrolled over T steps: forward and backward.
//
// PyTorch's LSTM (Hochreiter & Schmidhuber 1997, with the forget gate of Gers et al. 2000),
// gate order i, f, g, o, with Keras's activation choices:
//   i = ra(W_ii x + b_ii + W_hi h + b_hi)     ra = recurrent_activation (default sigmoid)
//   f = ra(W_if x + b_if + W_hf h + b_hf)
//   g = a (W_ig x + b_ig + W_hg h + b_hg)     a  = activation (default tanh)
//   o = ra(W_io x + b_io + W_ho h + b_ho)
//   c' = f * c + i * g
//   h' = o * a(c')
// Reference: https://pytorch.org/docs/stable/generated/torch.nn.LSTM.html
// Not here: stacking layers and carrying state across chunks (bptt.hpp).
#ifndef XRNN_LSTM_CELL_HPP
#define XRNN_LSTM_CELL_HPP

#include "xrnn/activation.hpp"
#include "xrnn/flow_trace.hpp"
#include "xrnn/layer.hpp"
#include "xrnn/packed_gemm.hpp"
#include "xrnn/tensor.hpp"

namespace xrnn
{
    // What lstm_forward keeps for lstm_backward.
    template <class T>
    struct LstmCache
    {
        LayerDims dims;
        Activation activation, recurrent_activation;
        const T* x = nullptr; // (T, B, I) the layer input; not owned, must outlive backward
        // (T, B, 4H) post-activation i, f, g, o; backward overwrites each step's gates with their
        // gradient (dL/d pre-activations) once it has read them, so BPTT keeps no second buffer
        Tensor3<T> gates;
        Tensor3<T> pre;       // (T, B, 4H) pre-activations; empty unless kept (see lstm_forward)
        Tensor3<T> c;         // (T+1, B, H) cell states, c[0] = c0
        Tensor3<T> h;         // (T+1, B, H) hidden states, h[0] = h0; h[1..T] are the outputs
        // scratch, kept to avoid reallocating every call
        Tensor2<T> row;    // (threads, 5H) one row's gates and activation(c) (recomputed, not stored)
        Tensor2<T> dh, dc; // (B, H)
        Tensor1<T> bias;   // (4H) b_ih + b_hh
        StepWeights<T> w_step; // W_hh as the per-step product needs it (packed_gemm.hpp)
        FlowTrace* trace = nullptr; // when set, backward records per-step adjoint norms into it
    };

    // Runs the layer over x (T, B, I) from state (h0, c0) (each (B, H); null = zeros).
    // Outputs are cache.h[1..T]; the final state is cache.h[T], cache.c[T].
    // keep_pre keeps the pre-activations even when no derivative needs them (kink checks,
    // diagnostics); they are kept anyway when an activation's derivative needs its input.
    // x_proj, when given, is x W_ih^T for all steps (T*B rows, without bias), computed by the
    // caller (sampling keeps a table of it per token); the input GEMM is then skipped. x must
    // still be given: backward reads it.
    template <class T>
    void lstm_forward(LstmCache<T>& cache, const LayerParams<T>& p, const T* x, const T* h0,
                      const T* c0, const LayerDims& dims, const Activation& activation,
                      const Activation& recurrent_activation, bool keep_pre = false,
                      const T* x_proj = nullptr);

    // Backpropagates through the whole unroll of the last lstm_forward, consuming its cache
    // (the gates become their gradients: run lstm_forward again before another backward).
    // Adds the parameter gradients into g; writes dx (T, B, I) (if not null), dh0 and dc0
    // (B, H) (if not null). dy (T, B, H) is dL/d(outputs); dhT, dcT (B, H) are dL/d(final
    // state) and may be null (zero).
    template <class T>
    void lstm_backward(const LayerGrads<T>& g, T* dx, T* dh0, T* dc0, const T* dy, const T* dhT,
                       const T* dcT, LstmCache<T>& cache, const LayerParams<T>& p);
}

#endif
