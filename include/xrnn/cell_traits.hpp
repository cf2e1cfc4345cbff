// xrnn/cell_traits.hpp -- the table of recurrent cell kinds: what the stack, the monitor,
// checkpoints, the CLIs and the gradient checks need to know about a cell, in one place.
//
// Adding a cell kind: write lib/cells/<name>.cpp (its forward and backward over a whole
// sequence, on CellCache), add its value to CellKind below and one row to the table in
// lib/cells/cell_table.cpp. Everything else (parameter names and shapes, the valid names the
// CLIs accept, the monitor's per-gate norms, the gradient-check sweep) reads the table.
// Not here: the cells' equations (each cell's source file states them).
#ifndef XRNN_CELL_TRAITS_HPP
#define XRNN_CELL_TRAITS_HPP

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace xrnn
{
    enum class CellKind
    {
        rnn,
        gru,
        lstm,
        lstm_peephole,
    };

    // One parameter tensor of a layer, named "<name>_l<k>" (PyTorch's convention).
    struct CellTensor
    {
        enum class Cols
        {
            none,   // a vector
            input,  // the layer's input size (embedding or the layer below)
            hidden, // hidden_size
        };
        const char* name;   // "weight_ih", "bias_hh", "weight_peephole", ...
        std::size_t blocks; // rows = blocks * hidden_size; 0 = one block per gate
        Cols cols;
        // one letter per H-row block, for per-block gradient norms; null: the cell's gate
        // names when blocks == 0, else no split
        const char* block_names = nullptr;
    };

    struct CellTraits
    {
        CellKind kind;
        const char* name;                // "lstm": what users type and checkpoints store
        const char* description;         // one line, for --help and error messages
        std::size_t gates;               // H-row blocks of weight_ih / weight_hh (PyTorch's layout)
        const char* gate_names;          // one letter per block: "ifgo", "rzn", "" for one block
        bool cell_state;                 // has a cell state c besides h (the state's .c)
        bool gated;                      // uses recurrent_activation (the gate function)
        std::size_t candidate_block;     // the block through which the candidate activation runs
        int forget_block;                // the forget gate's block; -1 when there is none
        // Per layer, in order; the first four are always weight_ih, weight_hh, bias_ih, bias_hh.
        std::vector<CellTensor> tensors;
    };

    const CellTraits& cell_traits(CellKind k);
    const std::vector<CellKind>& cell_kinds(); // every kind, in table order
    std::vector<std::string> cell_names();     // their names, in table order
    CellKind cell_from_name(std::string_view name); // throws listing the valid names
    std::string cell_name(CellKind k);
    inline std::size_t gate_count(CellKind k) { return cell_traits(k).gates; }
}

#endif
