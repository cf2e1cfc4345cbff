// tests/reference_cells.hpp -- a deliberately naive forward pass of one layer, written straight
// from the equations in the cells' sources (lib/cells/) with scalar loops and no BLAS. It is the independent
// reference for which activation goes where (a gradient check cannot see a swapped gate).
#pragma once

#include "xrnn/activation.hpp"
#include "xrnn/layer.hpp"

#include <vector>

namespace ref
{
    using xrnn::Activation;
    using V = std::vector<double>;

    // row r of a (rows, cols) matrix times vector v
    inline double dot_row(const double* w, std::size_t r, std::size_t cols, const double* v)
    {
        double s = 0;
        for (std::size_t c = 0; c < cols; ++c)
            s += w[r * cols + c] * v[c];
        return s;
    }

    // One layer over x (T, B, I); h, c (B, H) are updated in place; returns outputs (T, B, H).
    inline V layer_forward(xrnn::CellKind cell, const xrnn::LayerParams<double>& p, const V& x,
                           std::size_t T, std::size_t B, std::size_t I, std::size_t H, V& h, V& c,
                           const Activation& act, const Activation& ract)
    {
        auto f = [](const Activation& a, double v) { return xrnn::activation_value(a, v); };
        V y(T * B * H);
        for (std::size_t t = 0; t < T; ++t)
            for (std::size_t b = 0; b < B; ++b)
            {
                const double* xv = &x[(t * B + b) * I];
                double* hv = &h[b * H];
                V hnew(H), cnew(H);
                for (std::size_t j = 0; j < H; ++j)
                {
                    // pre-activation of gate block k, unit j: W_ih x + b_ih + W_hh h + b_hh
                    auto xin = [&](std::size_t k) { return dot_row(p.w_ih, k * H + j, I, xv) + p.b_ih[k * H + j]; };
                    auto hin = [&](std::size_t k) { return dot_row(p.w_hh, k * H + j, H, hv) + p.b_hh[k * H + j]; };
                    if (cell == xrnn::CellKind::rnn)
                        hnew[j] = f(act, xin(0) + hin(0));
                    else if (cell == xrnn::CellKind::gru)
                    {
                        const double r = f(ract, xin(0) + hin(0));
                        const double z = f(ract, xin(1) + hin(1));
                        const double n = f(act, xin(2) + r * hin(2));
                        hnew[j] = (1 - z) * n + z * hv[j];
                    }
                    else if (cell == xrnn::CellKind::lstm)
                    {
                        const double i = f(ract, xin(0) + hin(0));
                        const double fg = f(ract, xin(1) + hin(1));
                        const double g = f(act, xin(2) + hin(2));
                        const double o = f(ract, xin(3) + hin(3));
                        cnew[j] = fg * c[b * H + j] + i * g;
                        hnew[j] = o * f(act, cnew[j]);
                    }
                    else // lstm_peephole: p = (p_i, p_f, p_o), i and f read c, o reads c'
                    {
                        const double* pp = p.extra;
                        const double cj = c[b * H + j];
                        const double i = f(ract, xin(0) + hin(0) + pp[j] * cj);
                        const double fg = f(ract, xin(1) + hin(1) + pp[H + j] * cj);
                        const double g = f(act, xin(2) + hin(2));
                        cnew[j] = fg * cj + i * g;
                        const double o = f(ract, xin(3) + hin(3) + pp[2 * H + j] * cnew[j]);
                        hnew[j] = o * f(act, cnew[j]);
                    }
                }
                for (std::size_t j = 0; j < H; ++j)
                {
                    hv[j] = hnew[j];
                    if (xrnn::cell_traits(cell).cell_state)
                        c[b * H + j] = cnew[j];
                    y[(t * B + b) * H + j] = hnew[j];
                }
            }
        return y;
    }
}
