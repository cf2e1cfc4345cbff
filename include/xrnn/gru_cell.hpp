// xrnn/gru_cell.hpp -- one GRU layer unrolled over T steps: forward and backward.
//
// PyTorch's GRU (Cho et al. 2014), gate order r, z, n, with the reset gate applied to
// (W_hn h + b_hn) as PyTorch (and cuDNN, Keras reset_after=True) do:
//   r  = ra(W_ir x + b_ir + W_hr h + b_hr)     ra = recurrent_activation (default sigmoid)
//   z  = ra(W_iz x + b_iz + W_hz h + b_hz)
//   n  = a (W_in x + b_in + r * (W_hn h + b_hn))   a = activation (default tanh)
//   h' = (1 - z) * n + z * h
// Reference: https://pytorch.org/docs/stable/generated/torch.nn.GRU.html
#ifndef XRNN_GRU_CELL_HPP
#define XRNN_GRU_CELL_HPP

#include "xrnn/activation.hpp"
#include "xrnn/flow_trace.hpp"
#include "xrnn/layer.hpp"
#include "xrnn/packed_gemm.hpp"
#include "xrnn/tensor.hpp"

namespace xrnn
{
    template <class T>
    struct GruCache
    {
        LayerDims dims;
        Activation activation, recurrent_activation;
        const T* x = nullptr; // (T, B, I) the layer input; not owned, must outlive backward
        Tensor3<T> gates;     // (T, B, 3H) post-activation r, z, n; backward overwrites them with
                              // dL/d(input-side pre-activations) as it goes (see LstmCache)
        Tensor3<T> pre;       // (T, B, 3H) pre-activations; empty unless kept
        Tensor3<T> hn;        // (T, B, H) W_hn h[t] + b_hn, the term the reset gate scales
        Tensor3<T> h;         // (T+1, B, H) hidden states, h[0] = h0; h[1..T] are the outputs
        Tensor2<T> hh;        // (B, 3H) scratch: h W_hh^T + b_hh of the current step; backward: one row's gates
        Tensor3<T> dgh;       // (T, B, 3H) dL/d(W_hh h + b_hh): r, z as dgx; n part times r
        Tensor2<T> dh;        // (B, H)
        StepWeights<T> w_step; // W_hh as the per-step product needs it (packed_gemm.hpp)
        FlowTrace* trace = nullptr; // when set, backward records per-step adjoint norms into it
    };

    template <class T>
    void gru_forward(GruCache<T>& cache, const LayerParams<T>& p, const T* x, const T* h0,
                     const LayerDims& dims, const Activation& activation,
                     const Activation& recurrent_activation, bool keep_pre = false,
                     const T* x_proj = nullptr); // x_proj: see lstm_forward

    // See lstm_backward; same conventions without the cell state.
    template <class T>
    void gru_backward(const LayerGrads<T>& g, T* dx, T* dh0, const T* dy, const T* dhT,
                      GruCache<T>& cache, const LayerParams<T>& p);
}

#endif
