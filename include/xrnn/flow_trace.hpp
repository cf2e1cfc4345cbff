// xrnn/flow_trace.hpp -- what one layer's backward pass records about gradient flow over time
// when a trace is attached to its cache (Recurrent::set_flow_trace); grad_monitor.hpp turns
// these numbers into a report and a diagnosis.
//
// Index s = 0..T is the state index (h_0 .. h_T). Every entry is a batch mean of per-sequence
// 2-norms, summed in double so that float adjoints far below FLT_MIN^(1/2) do not underflow
// when squared. Nothing is computed when no trace is attached.
#ifndef XRNN_FLOW_TRACE_HPP
#define XRNN_FLOW_TRACE_HPP

#include <cmath>
#include <cstddef>
#include <vector>

namespace xrnn
{
    struct FlowTrace
    {
        // ||dL/dh_s||: the loss's direct gradient at s (dy, from the head or the layer above)
        // plus what came back through step s+1. h_total[0] = h_carry[0].
        std::vector<double> h_total;
        // ||the part of dL/dh_s that came back through step s+1|| (the recurrence alone)
        std::vector<double> h_carry;
        // LSTM only: ||dL/dc_s|| (through c_{s+1} and through h_s), and the part that came
        // back through c_{s+1} (the forget-gate path)
        std::vector<double> c_total;
        std::vector<double> c_carry;
        // The adjoint of step s's whole output state, (dL/dh_s, dL/dc_s from s+1) for LSTM
        // and dL/dh_s otherwise, and what step s+1's backward handed back to state s. Their
        // ratio state_carry[s-1] / state_total[s] is the step gain ||a J_s|| / ||a|| of
        // Pascanu et al. 2013 (the quantity inside their regulariser Omega).
        std::vector<double> state_total;
        std::vector<double> state_carry;

        // LSTM only: the mean forget gate over the unroll (read by backward before it overwrites
        // the gates with their gradients); -1 for other cells
        double forget_mean = -1;

        std::size_t steps() const { return h_total.empty() ? 0 : h_total.size() - 1; }

        void reset(std::size_t steps, bool has_cell)
        {
            for (auto* v : {&h_total, &h_carry, &state_total, &state_carry})
                v->assign(steps + 1, 0.0);
            for (auto* v : {&c_total, &c_carry})
                v->assign(has_cell ? steps + 1 : 0, 0.0);
            forget_mean = has_cell ? 0.0 : -1.0;
        }

        // LSTM: adds one row of forget gates (n values) of the `rows` rows of the unroll.
        template <class T>
        void add_gate_row(const T* f, std::size_t n, std::size_t rows)
        {
            double s = 0;
            for (std::size_t j = 0; j < n; ++j)
                s += static_cast<double>(f[j]);
            forget_mean += s / (static_cast<double>(n) * static_cast<double>(rows));
        }

        // Adds the batch means at state index s. dh (B, H) is the carried adjoint, dy (B, H)
        // the direct gradient at s (null = none), dc (B, H) the carried cell adjoint (null
        // for cells without one).
        template <class T>
        void add_state(std::size_t s, const T* dh, const T* dy, const T* dc, std::size_t batch,
                       std::size_t hidden)
        {
            const double inv_b = 1.0 / static_cast<double>(batch);
            for (std::size_t b = 0; b < batch; ++b)
            {
                double carry = 0, total = 0, cell = 0;
                for (std::size_t j = 0; j < hidden; ++j)
                {
                    const double h = static_cast<double>(dh[b * hidden + j]);
                    const double t = dy ? h + static_cast<double>(dy[b * hidden + j]) : h;
                    carry += h * h;
                    total += t * t;
                }
                if (dc)
                    for (std::size_t j = 0; j < hidden; ++j)
                    {
                        const double c = static_cast<double>(dc[b * hidden + j]);
                        cell += c * c;
                    }
                h_carry[s] += std::sqrt(carry) * inv_b;
                h_total[s] += std::sqrt(total) * inv_b;
                state_carry[s] += std::sqrt(carry + cell) * inv_b;
                state_total[s] += std::sqrt(total + cell) * inv_b;
                if (dc)
                    c_carry[s] += std::sqrt(cell) * inv_b;
            }
        }

        // LSTM: adds ||dc_carry + dc_from_h|| of one batch row at state index s.
        template <class T>
        void add_cell_total_row(std::size_t s, const T* dc_carry, const T* dc_from_h,
                                std::size_t batch, std::size_t hidden)
        {
            double sq = 0;
            for (std::size_t j = 0; j < hidden; ++j)
            {
                const double v = static_cast<double>(dc_carry[j]) + static_cast<double>(dc_from_h[j]);
                sq += v * v;
            }
            c_total[s] += std::sqrt(sq) / static_cast<double>(batch);
        }
    };
}

#endif
