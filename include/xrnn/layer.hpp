// xrnn/layer.hpp -- what every recurrent layer kind shares: its weight tensors, their
// gradients and the sizes of one unrolled call.
//
// Weight layout is PyTorch's: G gate blocks of H rows each, stacked along the first axis
// (cell_traits.hpp gives G and the gate order per kind: RNN 1; GRU 3, r z n; LSTM 4, i f g o).
#ifndef XRNN_LAYER_HPP
#define XRNN_LAYER_HPP

#include "xrnn/cell_traits.hpp"

#include <cstddef>

namespace xrnn
{
    template <class T>
    struct LayerParams
    {
        const T* w_ih;            // (G*H, I)
        const T* w_hh;            // (G*H, H)
        const T* b_ih;            // (G*H)
        const T* b_hh;            // (G*H)
        const T* extra = nullptr; // the cell's fifth tensor, if its traits list one (peephole: (3H))
    };

    template <class T>
    struct LayerGrads // same shapes as LayerParams; backward adds into them
    {
        T* w_ih;
        T* w_hh;
        T* b_ih;
        T* b_hh;
        T* extra = nullptr;
    };

    // Sizes of one unrolled call. Dense: every step has all B rows, step t's rows start at t*B.
    // Packed (PyTorch's PackedSequence): the batch is sorted by length, longest first, so the
    // rows still running at step t are a prefix 0..rows(t)-1 and the step's rows are stored
    // contiguously after those of the previous steps; padding is neither stored nor computed.
    // State buffers hold h[0] (all B rows) and then every step's outputs: h[t] starts at
    // state_row(t), and a sequence's final state sits at state_row(its length) + its row.
    struct LayerDims
    {
        std::size_t steps = 0;       // T
        std::size_t batch = 0;       // B
        std::size_t input_size = 0;  // I
        std::size_t hidden_size = 0; // H
        const std::size_t* step_rows = nullptr;  // packed: rows(t), non-increasing, rows(0) = B
        const std::size_t* step_start = nullptr; // packed: first row of step t, T+1 entries

        bool packed() const { return step_rows != nullptr; }
        std::size_t rows(std::size_t t) const { return step_rows ? step_rows[t] : batch; }
        std::size_t start(std::size_t t) const { return step_start ? step_start[t] : t * batch; }
        std::size_t total_rows() const { return start(steps); }
        std::size_t state_row(std::size_t t) const { return t == 0 ? 0 : batch + start(t - 1); }
    };
}

#endif
