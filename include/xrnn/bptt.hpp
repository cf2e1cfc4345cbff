// xrnn/bptt.hpp -- a stack of recurrent layers unrolled over time, with backpropagation
// through time: full (one call over the whole sequence) and truncated (state carried across
// consecutive chunks, gradient cut at chunk boundaries).
//
// Names and shapes follow PyTorch's nn.RNN / nn.GRU / nn.LSTM (batch_first=False):
//   x (T, B, input_size) -> y (T, B, D * hidden_size), state h, c (num_layers * D, B, hidden_size)
// with D = 2 directions when bidirectional (forward first, as PyTorch), and the parameters are
// weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k} (+ the same with _reverse).
// Variable lengths follow pack_padded_sequence(enforce_sorted=False) -> module ->
// pad_packed_sequence: give each sequence's length and the stack runs only its valid steps
// (sorted internally, longest first, so step t computes only the rows still running);
// outputs past a length are zero, the final state is the one after the last valid step, and
// padded inputs neither influence anything nor receive gradient.
// Activations follow Keras: `activation` is the candidate (and LSTM cell-output) function,
// `recurrent_activation` the gate function.
// Not here: embeddings, heads, losses, optimizers (their own headers).
#ifndef XRNN_BPTT_HPP
#define XRNN_BPTT_HPP

#include "xrnn/activation.hpp"
#include "xrnn/cell_cache.hpp"
#include "xrnn/cell_traits.hpp"
#include "xrnn/init.hpp"
#include "xrnn/layer.hpp"
#include "xrnn/params.hpp"
#include "xrnn/random.hpp"
#include "xrnn/tensor.hpp"

#include <array>
#include <string>
#include <string_view>
#include <vector>

namespace xrnn
{
    struct RecurrentConfig
    {
        CellKind cell = CellKind::lstm; // any kind of cell_traits.hpp
        std::size_t input_size = 0;
        std::size_t hidden_size = 0;
        std::size_t num_layers = 1;
        Activation activation = ActivationKind::tanh;              // candidate, LSTM cell output
        Activation recurrent_activation = ActivationKind::sigmoid; // gates (unused by rnn)
        double dropout = 0.0; // PyTorch's `dropout`: on each layer's output except the last, in training
        // DropConnect on every layer's weight_hh in training (Wan et al. 2013; AWD-LSTM's
        // WeightDrop, Merity et al. 2018): each forward draws one mask per layer, shared by all
        // steps and rows, and its backward uses it, so the recurrence itself is regularised.
        double weight_drop = 0.0;
        // PyTorch's `bidirectional`: every layer runs a second, reverse-time direction (each
        // sequence reversed within its own length) and feeds both to the next layer; the two
        // directions run side by side on two threads.
        bool bidirectional = false;
    };

    // Hidden state of the whole stack: h, c (num_layers * directions, B, hidden_size), in
    // PyTorch's order (layer 0 forward, layer 0 reverse, layer 1 forward, ...); c is empty
    // except for cells with a cell state (LSTM). An empty state means zeros.
    template <class T>
    struct RecurrentState
    {
        Tensor3<T> h;
        Tensor3<T> c;
    };

    // A caller's contiguous row-major (d0, d1, d2) buffer, not owned: forward and backward read
    // NumPy arrays (python/, the `xrnn` module) through it, so no Tensor3 copy is made on the way
    // in. Size 0 is an empty tensor (for a state: zeros). view3(t) sees a Tensor3.
    template <class T>
    struct View3
    {
        const T* data = nullptr;
        std::array<std::size_t, 3> shape{0, 0, 0};
        std::size_t size() const { return shape[0] * shape[1] * shape[2]; }
    };
    template <class T>
    View3<T> view3(const Tensor3<T>& t)
    {
        return {t.size() ? t.data() : nullptr, {t.shape()[0], t.shape()[1], t.shape()[2]}};
    }

    template <class T>
    class Recurrent
    {
    public:
        explicit Recurrent(const RecurrentConfig& config, const InitConfig& init = {});

        const RecurrentConfig& config() const { return config_; }
        ParamSet<T>& params() { return params_; }
        const ParamSet<T>& params() const { return params_; }
        void initialize(const InitConfig& init);

        std::size_t directions() const { return config_.bidirectional ? 2 : 1; }
        std::size_t output_size() const { return directions() * config_.hidden_size; }
        // (layer, direction) pairs, layer-major: unit l * directions() + d
        std::size_t units() const { return config_.num_layers * directions(); }

        // ---- full BPTT
        // y, sT are resized. s0 may be empty (zeros). lengths (one per batch entry, each in
        // 1..T, any order) may be empty: all T. The cache of this call stays until the next
        // forward; backward must follow the forward it differentiates.
        void forward(const Tensor3<T>& x, const RecurrentState<T>& s0, Tensor3<T>& y,
                     RecurrentState<T>& sT, const std::vector<std::size_t>& lengths = {});
        // Adds parameter gradients into params().grads(); writes dx (T, B, input_size) and ds0.
        // dsT (gradient w.r.t. the final state) may be empty (zeros). With lengths, dy past a
        // sequence's length is ignored and dx there is zero.
        void backward(const Tensor3<T>& dy, const RecurrentState<T>& dsT, Tensor3<T>& dx,
                      RecurrentState<T>& ds0);
        // The same two calls on caller buffers (View3): x (T, B, input_size); h0, c0 and dhT,
        // dcT (units(), B, hidden_size) or size 0 for zeros; dy (T, B, output_size()).
        void forward(View3<T> x, View3<T> h0, View3<T> c0, Tensor3<T>& y, RecurrentState<T>& sT,
                     const std::vector<std::size_t>& lengths = {});
        void backward(View3<T> dy, View3<T> dhT, View3<T> dcT, Tensor3<T>& dx, RecurrentState<T>& ds0);

        // ---- truncated BPTT: consecutive chunks of one long stream
        // Starts from the state the previous chunk ended in (zeros after reset_state()); with
        // lengths, each sequence carries the state after its own last valid step.
        void forward_stateful(const Tensor3<T>& x, Tensor3<T>& y, const std::vector<std::size_t>& lengths = {});
        void forward_stateful(const Tensor3<T>& x); // outputs stay in output_data()
        // The same, with layer 0's input projections x W_ih^T (seq_len * batch, gates * H) given
        // by the caller (see lib/cells/cell_ops.hpp's x_proj; CharModel's sampling table).
        void forward_stateful_projected(const Tensor3<T>& x, const T* x_proj);
        // Gradient stops at the chunk's first step (dL/d state_0 is dropped); dx may be null.
        void backward_stateful(const Tensor3<T>& dy, Tensor3<T>* dx = nullptr);
        void reset_state();
        const RecurrentState<T>& carried_state() const { return carried_; }
        void set_carried_state(const RecurrentState<T>& s); // for checkpoints; shapes are checked

        // Dropout between layers is applied only in training mode (default: on).
        void set_training(bool training) { training_ = training; }
        bool training() const { return training_; }
        Rng& dropout_rng() { return dropout_rng_; }

        // Keep pre-activations in the caches even when no derivative needs them.
        void set_keep_preactivations(bool keep) { keep_pre_ = keep; }

        // Gradient-flow trace: when on, every backward fills one FlowTrace per layer with the
        // per-step adjoint norms (grad_monitor.hpp), one per unit; off costs nothing.
        void set_flow_trace(bool on) { trace_on_ = on; }
        bool flow_trace() const { return trace_on_; }
        const std::vector<FlowTrace>& flow_traces() const { return traces_; }

        const CellTraits& traits() const { return *traits_; }
        // Caches of the last forward, one per unit, for diagnostics (cell_cache.hpp).
        const std::vector<CellCache<T>>& caches() const { return caches_; }
        // Index in params() of unit u's tensor k (u = layer * directions() + direction), in the
        // order of traits().tensors.
        std::size_t tensor_index(std::size_t unit, std::size_t k) const { return tensor_ids_[unit][k]; }
        // Outputs of the last forward, (T, B, hidden_size) contiguous: unidirectional
        // full-length calls only (the others write y).
        const T* output_data() const;
        // Lengths of the last forward (empty: all steps).
        const std::vector<std::size_t>& lengths() const { return lengths_; }

    private:
        LayerParams<T> layer_params(std::size_t u) const;
        LayerGrads<T> layer_grads(std::size_t u);
        void set_lengths(const std::vector<std::size_t>& lengths, std::size_t steps, std::size_t batch);
        LayerDims dims(std::size_t layer) const;
        std::size_t rows() const { return packed_ ? step_start_.back() : steps_ * batch_; }
        void run_forward(const T* x, const T* h0, const T* c0, const T* x_proj);
        void run_backward(const T* dy, const T* dhT, const T* dcT, T* dx, T* dh0, T* dc0);
        void forward_impl(View3<T> x, View3<T> h0, View3<T> c0, const std::vector<std::size_t>& lengths,
                          const T* x_proj);
        void backward_impl(View3<T> dy, View3<T> dhT, View3<T> dcT, Tensor3<T>* dx, RecurrentState<T>* ds0);
        const T* top_output() const;
        void write_output(Tensor3<T>& y) const;
        void write_final_state(RecurrentState<T>& s) const;
        void draw_weight_masks();
        void check_state(View3<T> h, View3<T> c, std::size_t batch, const char* what) const;

        RecurrentConfig config_;
        const CellTraits* traits_;
        ParamSet<T> params_;
        std::vector<std::vector<std::size_t>> tensor_ids_; // per unit, per traits_->tensors entry
        std::vector<CellCache<T>> caches_;                 // per unit
        // Rows of the last forward: (T, B) dense, or packed (layer.hpp's LayerDims) when it had
        // lengths or is bidirectional. Every buffer below holds rows() rows in that order.
        bool packed_ = false;
        std::vector<std::size_t> lengths_;    // as given, batch order
        std::vector<std::size_t> order_;      // packed row i = batch entry order_[i] (longest first)
        std::vector<std::size_t> step_rows_, step_start_; // LayerDims::step_rows / step_start
        std::vector<std::size_t> rev_;        // row of (t, i) in reverse time: (len_i - 1 - t, i)
        Tensor3<T> input_;            // (rows, I) copy of the last input, so callers may free theirs
        Tensor3<T> state0_[2];        // packed: initial h, c in row order
        std::vector<Tensor3<T>> xrev_, cat_; // bidirectional, per layer: reverse-time input; both outputs
        Tensor3<T> dbuf_[2];          // (rows, D*H) gradients flowing down between layers
        Tensor3<T> dyd_[2], dxd_[2];  // bidirectional: dy and dx of each direction
        Tensor3<T> dy_, dx_, ds_[4];  // packed: dy, dx, dsT and ds0 in row order
        std::vector<Tensor3<T>> dropped_, mask_; // (rows, D*H) per layer below the top: dropped outputs, masks
        // weight_drop, per layer (G*H*H): the masked weight_hh the cells run on, its mask, and
        // the gradient w.r.t. the masked weights before the mask is applied
        std::vector<std::vector<T>> w_dropped_, w_mask_, dw_dropped_;
        bool weight_drop_active_ = false; // whether the last forward ran on masked weights
        Rng dropout_rng_;
        bool training_ = true;
        bool dropout_active_ = false; // whether the last forward applied dropout
        RecurrentState<T> carried_;   // truncated BPTT state
        std::size_t steps_ = 0, batch_ = 0; // of the last forward; 0 = none
        bool keep_pre_ = false;
        bool trace_on_ = false;
        std::vector<FlowTrace> traces_; // per layer, of the last traced backward
    };
}

#endif
