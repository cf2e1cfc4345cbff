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

    struct LayerDims
    {
        std::size_t steps = 0;       // T
        std::size_t batch = 0;       // B
        std::size_t input_size = 0;  // I
        std::size_t hidden_size = 0; // H
    };
}

#endif
