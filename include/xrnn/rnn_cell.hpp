// xrnn/rnn_cell.hpp -- one vanilla (Elman) RNN layer unrolled over T steps: forward and backward.
//
//   h' = a(W_ih x + b_ih + W_hh h + b_hh)     a = activation (PyTorch: tanh or relu; here any)
// Reference: https://pytorch.org/docs/stable/generated/torch.nn.RNN.html
#ifndef XRNN_RNN_CELL_HPP
#define XRNN_RNN_CELL_HPP

#include "xrnn/activation.hpp"
#include "xrnn/flow_trace.hpp"
#include "xrnn/layer.hpp"
#include "xrnn/packed_gemm.hpp"
#include "xrnn/tensor.hpp"

namespace xrnn
{
    template <class T>
    struct RnnCache
    {
        LayerDims dims;
        Activation activation;
        const T* x = nullptr; // (T, B, I) the layer input; not owned, must outlive backward
        Tensor3<T> h;         // (T+1, B, H) hidden states, h[0] = h0; h[1..T] are the outputs
        Tensor3<T> pre;       // (T, B, H) pre-activations; empty unless kept
        Tensor3<T> dpre;      // (T, B, H) dL/d(pre-activations)
        Tensor2<T> dh;        // (B, H)
        Tensor1<T> bias;      // (H) b_ih + b_hh
        StepWeights<T> w_step; // W_hh as the per-step product needs it (packed_gemm.hpp)
        FlowTrace* trace = nullptr; // when set, backward records per-step adjoint norms into it
    };

    template <class T>
    void rnn_forward(RnnCache<T>& cache, const LayerParams<T>& p, const T* x, const T* h0,
                     const LayerDims& dims, const Activation& activation, bool keep_pre = false,
                     const T* x_proj = nullptr); // x_proj: see lstm_forward

    // See lstm_backward; same conventions without the cell state.
    template <class T>
    void rnn_backward(const LayerGrads<T>& g, T* dx, T* dh0, const T* dy, const T* dhT,
                      RnnCache<T>& cache, const LayerParams<T>& p);
}

#endif
