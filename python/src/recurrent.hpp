// python/src/recurrent.hpp -- xrnn.Recurrent: the C++ Recurrent<float> or Recurrent<double>
// behind one Python class, chosen by dtype. Shared by recurrent.cpp (the class) and
// monitor.cpp (GradMonitor.report reads the model's traces and gradients).
#ifndef XRNN_PYTHON_RECURRENT_HPP
#define XRNN_PYTHON_RECURRENT_HPP

#include <xrnn/bptt.hpp>
#include <xrnn/clip.hpp>

#include <pybind11/pybind11.h>

#include <cstdint>
#include <memory>
#include <mutex>

namespace xrnn_py
{
    namespace py = pybind11;

    struct PyRecurrent
    {
        std::unique_ptr<xrnn::Recurrent<float>> f;  // exactly one of f, d is set
        std::unique_ptr<xrnn::Recurrent<double>> d;
        // One call at a time: forward/backward run with the GIL released, so two Python
        // threads could otherwise enter the same model (its caches) together.
        std::mutex mu;
        // Data address of the x buffer the last forward handed to Recurrent::forward (View3):
        // equal to the NumPy array's own address when nothing was copied on the way in.
        std::uintptr_t last_input_address = 0;
        std::size_t last_batch = 0; // of the last forward; 0 = none yet

        // fn(model) on whichever of the two is set
        template <class Fn>
        decltype(auto) visit(Fn&& fn)
        {
            return f ? fn(*f) : fn(*d);
        }
        const xrnn::RecurrentConfig& config() const { return f ? f->config() : d->config(); }
        std::size_t units() const { return f ? f->units() : d->units(); }
    };

    void bind_recurrent(py::module_& m);
}

#endif
