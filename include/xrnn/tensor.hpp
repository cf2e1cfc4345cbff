// xrnn/tensor.hpp -- tensor aliases; the only public header that includes xtensor.
//
// xtensor 0.24 uses flat include paths and 0.26 moved them into subfolders, so keeping
// every xtensor include here keeps the switch to one file.
#ifndef XRNN_TENSOR_HPP
#define XRNN_TENSOR_HPP

#include <cstddef>

#include <xtensor/xadapt.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>

namespace xrnn
{
    template <class T>
    using Tensor1 = xt::xtensor<T, 1>;
    template <class T>
    using Tensor2 = xt::xtensor<T, 2>;
    template <class T>
    using Tensor3 = xt::xtensor<T, 3>;

    // Resize only when the shape differs: xtensor's resize reallocates its buffer.
    template <class Tensor, class Shape>
    void ensure_shape(Tensor& t, const Shape& shape)
    {
        bool same = t.dimension() == shape.size();
        for (std::size_t i = 0; same && i < shape.size(); ++i)
            same = t.shape()[i] == shape[i];
        if (!same)
            t.resize(shape);
    }
}

#endif
