// xrnn/layer.hpp -- what every recurrent layer kind shares: its four weight tensors, their
// gradients and the sizes of one unrolled call.
//
// Weight layout is PyTorch's: G gate blocks of H rows each, stacked along the first axis
// (RNN G=1; GRU G=3 in order r, z, n; LSTM G=4 in order i, f, g, o).
#ifndef XRNN_LAYER_HPP
#define XRNN_LAYER_HPP

#include <cstddef>

namespace xrnn
{
    enum class CellKind
    {
        rnn,
        gru,
        lstm,
    };

    // Gate blocks per cell kind: 1, 3, 4.
    constexpr std::size_t gate_count(CellKind k)
    {
        return k == CellKind::rnn ? 1 : (k == CellKind::gru ? 3 : 4);
    }

    template <class T>
    struct LayerParams
    {
        const T* w_ih; // (G*H, I)
        const T* w_hh; // (G*H, H)
        const T* b_ih; // (G*H)
        const T* b_hh; // (G*H)
    };

    template <class T>
    struct LayerGrads // same shapes as LayerParams; backward adds into them
    {
        T* w_ih;
        T* w_hh;
        T* b_ih;
        T* b_hh;
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
