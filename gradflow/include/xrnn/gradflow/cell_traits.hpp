// xrnn/gradflow/cell_traits.hpp -- what the study needs to know about a cell kind. It is the
// one place in the wing that calls the core's cell API (CellKind, cell_name / cell_from_name,
// gate_count and the gate order of W_hh), so that a change there is met here and nowhere else.
// Not a cell registry: every function forwards to the core or states one fact of its layout.
#ifndef XRNN_GRADFLOW_CELL_TRAITS_HPP
#define XRNN_GRADFLOW_CELL_TRAITS_HPP

#include "xrnn/bptt.hpp"

#include <cstddef>
#include <string>
#include <string_view>

namespace xrnn::gradflow
{
    using xrnn::CellKind;

    inline CellKind parse_cell(std::string_view name) { return xrnn::cell_from_name(name); } // throws on a bad name
    inline std::string cell_label(CellKind k) { return xrnn::cell_name(k); }

    // The sweep multiplies out only what a cell has: gate activations for the gated cells,
    // the forget-gate bias for the LSTM.
    inline bool has_gates(CellKind k) { return k != CellKind::rnn; }
    inline bool has_forget_gate(CellKind k) { return k == CellKind::lstm; }

    // W_hh (G*H, H) is G row blocks of (H, H); the candidate (the block the activation acts on,
    // the one Pascanu's sigma_max * gamma is about) is GRU's n and LSTM's g, both block 2.
    inline std::size_t recurrent_blocks(CellKind k) { return xrnn::gate_count(k); }
    inline std::size_t candidate_block(CellKind k) { return k == CellKind::rnn ? 0 : 2; }
}

#endif
