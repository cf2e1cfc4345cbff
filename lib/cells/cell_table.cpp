// lib/cells/cell_table.cpp -- the table of cell kinds (cell_traits.hpp): one row per kind, with
// its traits and its forward / backward (each kind's own file, lib/cells/<name>.cpp).
#include "cell_ops.hpp"

#include "xrnn/check.hpp"

#include <type_traits>

namespace xrnn
{
    // each cell's file defines <name>_ops (XRNN_CELL_OPS)
    template <class T> CellOps<T> rnn_ops();
    template <class T> CellOps<T> gru_ops();
    template <class T> CellOps<T> lstm_ops();
    template <class T> CellOps<T> lstm_peephole_ops();

    namespace
    {
        using Cols = CellTensor::Cols;
        // what every cell has, PyTorch's names and shapes: (G*H, I), (G*H, H), (G*H), (G*H)
        const CellTensor w_ih{"weight_ih", 0, Cols::input}, w_hh{"weight_hh", 0, Cols::hidden},
            b_ih{"bias_ih", 0, Cols::none}, b_hh{"bias_hh", 0, Cols::none};

        struct Entry
        {
            CellTraits traits;
            CellOps<float> f32;
            CellOps<double> f64;
        };

        // GCC 12 reports -Wmaybe-uninitialized inside std::vector for this brace-initialised
        // table of aggregates holding vectors (a known false positive at -O3)
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif
        // kind, name, description, gates, gate names, cell state, gated, candidate block,
        // forget block, per-layer tensors; then the ops
        const std::vector<Entry>& table()
        {
            static const std::vector<Entry> t{
                {{CellKind::rnn, "rnn", "Elman RNN, h' = a(W_ih x + W_hh h + b) (torch.nn.RNN)", 1, "",
                  false, false, 0, -1, {w_ih, w_hh, b_ih, b_hh}},
                 rnn_ops<float>(), rnn_ops<double>()},
                {{CellKind::gru, "gru", "GRU, gates r z n, reset applied after W_hn h (torch.nn.GRU)", 3, "rzn",
                  false, true, 2, -1, {w_ih, w_hh, b_ih, b_hh}},
                 gru_ops<float>(), gru_ops<double>()},
                {{CellKind::lstm, "lstm", "LSTM, gates i f g o (torch.nn.LSTM)", 4, "ifgo",
                  true, true, 2, 1, {w_ih, w_hh, b_ih, b_hh}},
                 lstm_ops<float>(), lstm_ops<double>()},
                {{CellKind::lstm_peephole, "lstm_peephole",
                  "LSTM with peephole connections from c to i, f, o (Gers & Schmidhuber 2000; ONNX LSTM's P)",
                  4, "ifgo", true, true, 2, 1,
                  {w_ih, w_hh, b_ih, b_hh, {"weight_peephole", 3, Cols::none, "ifo"}}},
                 lstm_peephole_ops<float>(), lstm_peephole_ops<double>()},
            };
            return t;
        }
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

        const Entry& entry(CellKind k)
        {
            for (const auto& e : table())
                if (e.traits.kind == k)
                    return e;
            detail::fail("unknown cell kind " + std::to_string(static_cast<int>(k)));
        }
    }

    const CellTraits& cell_traits(CellKind k) { return entry(k).traits; }

    template <class T>
    const CellOps<T>& cell_ops(CellKind k)
    {
        if constexpr (std::is_same_v<T, float>)
            return entry(k).f32;
        else
            return entry(k).f64;
    }
    template const CellOps<float>& cell_ops<float>(CellKind);
    template const CellOps<double>& cell_ops<double>(CellKind);

    const std::vector<CellKind>& cell_kinds()
    {
        static const std::vector<CellKind> kinds = [] {
            std::vector<CellKind> v;
            for (const auto& e : table())
                v.push_back(e.traits.kind);
            return v;
        }();
        return kinds;
    }

    std::vector<std::string> cell_names()
    {
        std::vector<std::string> v;
        for (const auto& e : table())
            v.push_back(e.traits.name);
        return v;
    }

    CellKind cell_from_name(std::string_view name)
    {
        std::string valid;
        for (const auto& e : table())
        {
            if (name == e.traits.name)
                return e.traits.kind;
            valid += (valid.empty() ? "" : ", ") + std::string(e.traits.name);
        }
        detail::fail("unknown cell '" + std::string(name) + "'; valid cells: " + valid);
    }

    std::string cell_name(CellKind k) { return cell_traits(k).name; }
}
