// xrnn/mse.hpp -- mean squared error, the regression loss, fused with its backward
// (reference: PyTorch's MSELoss, reduction='mean': the mean over every element, not per row).
#ifndef XRNN_MSE_HPP
#define XRNN_MSE_HPP

#include <cstddef>

namespace xrnn
{
    // Returns mean((pred - target)^2) over rows * cols; writes dpred (rows, cols) =
    // 2 (pred - target) / (rows * cols) when it is not null (dpred may alias pred). Accumulates
    // in double, as softmax_xent: a float sum over many rows would lose digits.
    template <class T>
    double mse_loss(T* dpred, const T* pred, const T* target, std::size_t rows, std::size_t cols)
    {
        const std::size_t n = rows * cols;
        const double scale = 2.0 / static_cast<double>(n);
        double total = 0;
        for (std::size_t i = 0; i < n; ++i)
        {
            const double e = static_cast<double>(pred[i]) - static_cast<double>(target[i]);
            total += e * e;
            if (dpred)
                dpred[i] = static_cast<T>(scale * e);
        }
        return total / static_cast<double>(n);
    }
}

#endif
