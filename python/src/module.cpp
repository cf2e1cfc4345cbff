// python/src/module.cpp -- the extension module xrnn._xrnn; python/xrnn/__init__.py re-exports
// it as `import xrnn`. One file per concept: recurrent.cpp (Recurrent), monitor.cpp
// (GradMonitor), gradflow.cpp (probe / train sweeps), charlm.cpp (char-LM checkpoints).
#include "recurrent.hpp"

#include <xrnn/activation.hpp>
#include <xrnn/blas.hpp>
#include <xrnn/cell_traits.hpp>
#include <xrnn/checkpoint.hpp>
#include <xrnn/init.hpp>

#include <pybind11/stl.h>

namespace xrnn_py
{
    void bind_monitor(py::module_& m);
    void bind_gradflow(py::module_& m);
    void bind_charlm(py::module_& m);
}

PYBIND11_MODULE(_xrnn, m)
{
    namespace py = pybind11;
    m.doc() = "xrnn: RNN / GRU / LSTM with backpropagation through time (C++, xtensor + OpenBLAS)";
    py::register_exception<xrnn::CheckpointError>(m, "CheckpointError", PyExc_RuntimeError);
    m.def("cells", &xrnn::cell_names, "the cell kinds Recurrent takes");
    m.def("activations", &xrnn::activation_names, "the activation names (Keras'), e.g. tanh, relu, softsign");
    m.def("inits", &xrnn::recurrent_init_names, "the recurrent initialisations");
    m.def(
        "set_num_threads", [](int n) { xrnn::blas::set_threads(n); }, py::arg("n"),
        "threads xrnn's products and sweeps use (process-wide)");
    m.def("get_num_threads", &xrnn::blas::threads);
    xrnn_py::bind_recurrent(m);
    xrnn_py::bind_monitor(m);
    xrnn_py::bind_gradflow(m);
    xrnn_py::bind_charlm(m);
}
