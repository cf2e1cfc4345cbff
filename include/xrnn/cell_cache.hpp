// xrnn/cell_cache.hpp -- what a cell's forward keeps for its backward, one per layer.
//
// One struct for every cell kind (each uses the fields its comment names), so the stack holds
// one vector of them and a new cell needs no new cache type. Shapes: T steps, B rows, H hidden
// units, G = gates * H; for packed calls (variable lengths, layer.hpp) the (T, B) of per-step
// buffers is (1, total rows) and the (T+1, B) of state buffers (1, B + total rows).
#ifndef XRNN_CELL_CACHE_HPP
#define XRNN_CELL_CACHE_HPP

#include "xrnn/activation.hpp"
#include "xrnn/detail/packed_gemm.hpp"
#include "xrnn/flow_trace.hpp"
#include "xrnn/layer.hpp"
#include "xrnn/tensor.hpp"

namespace xrnn
{
    template <class T>
    struct CellCache
    {
        LayerDims dims;
        Activation activation, recurrent_activation;
        const T* x = nullptr; // (T, B, I) the layer input; not owned, must outlive backward
        Tensor3<T> h;         // (T+1, B, H) hidden states, h[0] = h0; h[1..T] are the outputs
        Tensor3<T> c;         // (T+1, B, H) cell states, c[0] = c0 (cells with a cell state)
        // (T, B, G) post-activation gates (gated cells); backward overwrites each step's gates
        // with their gradient (dL/d pre-activations) once it has read them, so BPTT keeps no
        // second buffer
        Tensor3<T> gates;
        Tensor3<T> pre;       // (T, B, G) pre-activations; empty unless kept or needed
        // scratch and cell-specific buffers, kept to avoid reallocating every call
        Tensor3<T> hn;        // gru: (T, B, H) W_hn h[t] + b_hn, the term the reset gate scales
        Tensor2<T> hh;        // gru: (B, 3H) h W_hh^T + b_hh of the current step; backward: one row's gates
        Tensor3<T> dgh;       // gru: (T, B, 3H) dL/d(W_hh h + b_hh)
        Tensor3<T> dpre;      // rnn: (T, B, H) dL/d(pre-activations)
        Tensor2<T> row;       // lstm: (threads, 5H) one row's gates and activation(c)
        Tensor2<T> dh, dc;    // (B, H) the adjoints carried back one step
        Tensor1<T> bias;      // (G) b_ih + b_hh (rnn, lstm)
        Tensor3<T> hprev;     // packed calls: the rows of h[t] step t used, stacked (backward)
        detail::StepWeights<T> w_step; // W_hh as the per-step product needs it
        FlowTrace* trace = nullptr;    // when set, backward records per-step adjoint norms into it
    };
}

#endif
