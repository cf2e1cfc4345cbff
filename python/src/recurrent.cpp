// python/src/recurrent.cpp -- xrnn.Recurrent: PyTorch's nn.RNN / nn.GRU / nn.LSTM interface
// (batch_first=False, parameters by state_dict name) on the C++ Recurrent, on NumPy arrays.
//
// forward/backward run with the GIL released: everything they need from Python (array
// pointers, shapes, lengths) is read before the release, their outputs are C++ tensors that
// become ndarrays after it. Backward accumulates into the gradients (zero_grad() clears them),
// as the core and PyTorch do.
#include "recurrent.hpp"

#include "arrays.hpp"

#include <xrnn/cell_traits.hpp>
#include <xrnn/init.hpp>

#include <pybind11/stl.h>

#include <limits>
#include <string>
#include <vector>

namespace xrnn_py
{
    namespace
    {
        std::size_t whole(long long v, const char* name, long long lo)
        {
            if (v < lo)
                throw py::value_error(std::string(name) + " must be a whole number >= " + std::to_string(lo) + ", got "
                                      + std::to_string(v));
            return static_cast<std::size_t>(v);
        }

        std::uint64_t seed_arg(const py::handle& obj)
        {
            const auto fail = [&] {
                return py::value_error("seed must be a whole number from 0 to 2**64 - 1, got "
                                       + std::string(py::repr(obj)));
            };
            if (!PyLong_Check(obj.ptr()))
                throw fail();
            const unsigned long long v = PyLong_AsUnsignedLongLong(obj.ptr());
            if (PyErr_Occurred())
            {
                PyErr_Clear();
                throw fail();
            }
            return v;
        }

        // np.float32 / np.float64 / 'float32' / np.dtype(...) -> true for double
        bool dtype_arg(const py::object& obj)
        {
            const py::dtype dt = py::dtype::from_args(obj);
            if (dt.equal(py::dtype::of<float>()))
                return false;
            if (dt.equal(py::dtype::of<double>()))
                return true;
            throw py::type_error("dtype must be np.float32 or np.float64, got " + dtype_str(dt));
        }

        // None, a sequence of ints or an integer ndarray -> one length per sequence
        std::vector<std::size_t> lengths_arg(const py::handle& obj, std::size_t steps)
        {
            std::vector<std::size_t> out;
            if (obj.is_none())
                return out;
            if (py::isinstance<py::str>(obj) || !py::hasattr(obj, "__iter__"))
                throw py::type_error("lengths must be None or a sequence of whole numbers (one per sequence), got "
                                     + std::string(py::str(py::type::of(obj).attr("__name__"))));
            std::size_t i = 0;
            for (const py::handle item : obj)
            {
                PyObject* index = PyNumber_Index(item.ptr()); // int, np.int64, ...; not float
                if (!index)
                {
                    PyErr_Clear();
                    throw py::type_error("lengths[" + std::to_string(i) + "] must be a whole number, got "
                                         + std::string(py::repr(item)));
                }
                const long long v = PyLong_AsLongLong(index);
                Py_DECREF(index);
                if (PyErr_Occurred() || v < 1 || static_cast<unsigned long long>(v) > steps)
                {
                    PyErr_Clear();
                    throw py::value_error("lengths[" + std::to_string(i) + "] = " + std::string(py::repr(item))
                                          + " is outside 1.." + std::to_string(steps) + " (the input's seq_len)");
                }
                out.push_back(static_cast<std::size_t>(v));
                ++i;
            }
            return out;
        }

        template <class T>
        py::object forward_t(PyRecurrent& self, xrnn::Recurrent<T>& net, const py::handle& x, const py::handle& h0,
                             const py::handle& c0, const py::handle& lengths)
        {
            const auto& cfg = net.config();
            const auto xv = view_in<T>(x, "x", {{{"seq_len", 0}, {"batch", 0}, {"input_size", cfg.input_size}}});
            const std::size_t B = xv.shape[1], U = net.units(), H = cfg.hidden_size;
            const std::array<Axis, 3> state{{{net.directions() == 2 ? "2*num_layers" : "num_layers", U}, {"batch", B},
                                             {"hidden_size", H}}};
            const auto hv = view_in_optional<T>(h0, "h0", state);
            if (!c0.is_none() && !net.traits().cell_state)
                throw py::value_error("c0 is given but " + std::string(net.traits().name)
                                      + " cells have no cell state (only lstm and lstm_peephole take c0)");
            const auto cv = view_in_optional<T>(c0, "c0", state);
            const auto lens = lengths_arg(lengths, xv.shape[0]);
            if (!lens.empty() && lens.size() != B)
                throw py::value_error("lengths has " + std::to_string(lens.size()) + " entries but x has batch "
                                      + std::to_string(B) + " (one length per sequence)");
            xrnn::Tensor3<T> y;
            xrnn::RecurrentState<T> sT;
            {
                py::gil_scoped_release release;
                std::lock_guard<std::mutex> lock(self.mu);
                self.last_input_address = reinterpret_cast<std::uintptr_t>(xv.data);
                self.last_batch = 0; // until this forward has succeeded
                net.forward(xv, hv, cv, y, sT, lens);
                self.last_batch = B;
            }
            py::object c = net.traits().cell_state ? py::object(array_out(std::move(sT.c))) : py::none();
            return py::make_tuple(array_out(std::move(y)), py::make_tuple(array_out(std::move(sT.h)), c));
        }

        template <class T>
        py::object backward_t(PyRecurrent& self, xrnn::Recurrent<T>& net, const py::handle& dy, const py::handle& dh,
                              const py::handle& dc)
        {
            if (self.last_batch == 0)
                throw py::value_error("backward() differentiates the last forward(), once (it consumes the forward's "
                                      "cache); run forward() first");
            const auto& cfg = net.config();
            const std::size_t B = self.last_batch, U = net.units(), H = cfg.hidden_size;
            const auto dyv = view_in<T>(dy, "dy", {{{"seq_len", 0}, {"batch", B}, {"output_size", net.output_size()}}});
            const std::array<Axis, 3> state{{{net.directions() == 2 ? "2*num_layers" : "num_layers", U}, {"batch", B},
                                             {"hidden_size", H}}};
            const auto dhv = view_in_optional<T>(dh, "dh", state);
            if (!dc.is_none() && !net.traits().cell_state)
                throw py::value_error("dc is given but " + std::string(net.traits().name) + " cells have no cell state");
            const auto dcv = view_in_optional<T>(dc, "dc", state);
            xrnn::Tensor3<T> dx;
            xrnn::RecurrentState<T> ds0;
            {
                py::gil_scoped_release release;
                std::lock_guard<std::mutex> lock(self.mu);
                net.backward(dyv, dhv, dcv, dx, ds0); // checks dy's seq_len against the forward's
                self.last_batch = 0; // the cache is spent
            }
            py::object dc0 = net.traits().cell_state ? py::object(array_out(std::move(ds0.c))) : py::none();
            return py::make_tuple(array_out(std::move(dx)), array_out(std::move(ds0.h)), dc0);
        }

        // name -> view of the values (grads = false) or of the gradients, in state_dict order
        py::dict views(const py::object& obj, bool grads)
        {
            auto& self = obj.cast<PyRecurrent&>();
            py::dict out;
            self.visit([&](auto& net) {
                auto& ps = net.params();
                for (std::size_t i = 0; i < ps.count(); ++i)
                {
                    const auto& info = ps.table()[i];
                    out[py::str(info.name)] = view_out(grads ? ps.grad(i) : ps.value(i), info.shape, obj);
                }
                return 0;
            });
            return out;
        }

        template <class T>
        void load_state_dict_t(xrnn::Recurrent<T>& net, const py::dict& state, bool strict)
        {
            auto& ps = net.params();
            std::vector<std::string> unexpected, missing;
            for (const auto& kv : state)
            {
                const std::string key = py::str(kv.first);
                bool known = false;
                for (const auto& info : ps.table())
                    known = known || info.name == key;
                if (!known)
                    unexpected.push_back(key);
            }
            for (const auto& info : ps.table())
                if (!state.contains(info.name))
                    missing.push_back(info.name);
            auto join = [](const std::vector<std::string>& v) {
                std::string s;
                for (const auto& k : v)
                    s += (s.empty() ? "" : ", ") + k;
                return s;
            };
            if (strict && (!unexpected.empty() || !missing.empty()))
                throw py::key_error("load_state_dict: " + (missing.empty() ? "" : "missing " + join(missing))
                                    + (missing.empty() || unexpected.empty() ? "" : "; ")
                                    + (unexpected.empty() ? "" : "unexpected " + join(unexpected)));
            // check every shape before writing any, so a failed load leaves the model as it was
            std::vector<std::pair<std::size_t, py::array_t<T, py::array::c_style | py::array::forcecast>>> src;
            for (std::size_t i = 0; i < ps.count(); ++i)
            {
                const auto& info = ps.table()[i];
                if (!state.contains(info.name))
                    continue;
                auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(state[py::str(info.name)]);
                if (!a)
                    throw py::type_error("load_state_dict: '" + info.name + "' is not a numeric array");
                const std::vector<std::size_t> shape(a.shape(), a.shape() + a.ndim());
                if (shape != info.shape)
                    throw py::value_error("load_state_dict: '" + info.name + "' has shape " + shape_str(a)
                                          + "; the model's is " + xrnn::detail::shape_str(info.shape));
                src.emplace_back(i, std::move(a));
            }
            for (const auto& [i, a] : src)
                std::copy(a.data(), a.data() + a.size(), ps.value(i));
        }

        py::list flow_traces(PyRecurrent& self)
        {
            py::list out;
            self.visit([&](auto& net) {
                const std::size_t D = net.directions();
                for (std::size_t u = 0; u < net.flow_traces().size(); ++u)
                {
                    const xrnn::FlowTrace& t = net.flow_traces()[u];
                    py::dict d;
                    d["layer"] = u / D;
                    d["direction"] = u % D;
                    d["steps"] = t.steps();
                    d["h_total"] = array_copy(t.h_total);
                    d["h_carry"] = array_copy(t.h_carry);
                    d["c_total"] = t.c_total.empty() ? py::object(py::none()) : py::object(array_copy(t.c_total));
                    d["c_carry"] = t.c_carry.empty() ? py::object(py::none()) : py::object(array_copy(t.c_carry));
                    d["state_total"] = array_copy(t.state_total);
                    d["state_carry"] = array_copy(t.state_carry);
                    d["forget_mean"] = t.forget_mean >= 0 ? py::object(py::float_(t.forget_mean)) : py::object(py::none());
                    out.append(d);
                }
                return 0;
            });
            return out;
        }
    }

    void bind_recurrent(py::module_& m)
    {
        py::class_<xrnn::ClipResult>(m, "ClipResult",
                                     "What clip_grad_norm_ did: the global gradient norm before and after, and "
                                     "whether it scaled the gradients. float(r) is the norm before, as PyTorch's "
                                     "clip_grad_norm_ returns.")
            .def_readonly("norm_before", &xrnn::ClipResult::norm_before)
            .def_readonly("norm_after", &xrnn::ClipResult::norm_after)
            .def_readonly("clipped", &xrnn::ClipResult::clipped)
            .def("__float__", [](const xrnn::ClipResult& r) { return r.norm_before; })
            .def("__repr__", [](const xrnn::ClipResult& r) {
                return "ClipResult(norm_before=" + std::to_string(r.norm_before) + ", norm_after="
                     + std::to_string(r.norm_after) + ", clipped=" + (r.clipped ? "True" : "False") + ")";
            });

        py::class_<PyRecurrent>(m, "Recurrent", R"doc(
A stack of recurrent layers unrolled over time (PyTorch's nn.RNN / nn.GRU / nn.LSTM with
batch_first=False), on NumPy arrays of the model's dtype.

  rnn = xrnn.Recurrent('lstm', input_size=5, hidden_size=6, num_layers=2, dtype=np.float64)
  y, (h, c) = rnn.forward(x)            # x (seq_len, batch, input_size), C order
  dx, dh0, dc0 = rnn.backward(dy)       # accumulates into rnn.named_grads()

cell: rnn, gru, lstm, lstm_peephole. activation is the candidate (and LSTM cell-output)
function, recurrent_activation the gates' (Keras' names). init: uniform (PyTorch's default),
orthogonal or identity, with gain scaling W_hh's blocks; forget_bias sets the LSTM's total
forget-gate bias. c and dc0 are None for cells without a cell state.
)doc")
            .def(py::init([](const std::string& cell, long long input_size, long long hidden_size, long long num_layers,
                             const std::string& activation, const std::string& recurrent_activation, bool bidirectional,
                             double dropout, double weight_drop, const py::object& dtype, const py::object& seed,
                             const std::string& init, double gain, const py::object& forget_bias) {
                     xrnn::RecurrentConfig c;
                     c.cell = xrnn::cell_from_name(cell);
                     c.input_size = whole(input_size, "input_size", 1);
                     c.hidden_size = whole(hidden_size, "hidden_size", 1);
                     c.num_layers = whole(num_layers, "num_layers", 1);
                     c.activation = xrnn::activation_from_name(activation);
                     c.recurrent_activation = xrnn::activation_from_name(recurrent_activation);
                     c.bidirectional = bidirectional;
                     c.dropout = dropout;
                     c.weight_drop = weight_drop;
                     xrnn::InitConfig ic(seed_arg(seed));
                     ic.recurrent = xrnn::recurrent_init_from_name(init);
                     ic.recurrent_gain = gain;
                     if (!forget_bias.is_none())
                         ic.forget_bias = forget_bias.cast<double>();
                     auto p = std::make_unique<PyRecurrent>();
                     if (dtype_arg(dtype))
                         p->d = std::make_unique<xrnn::Recurrent<double>>(c, ic);
                     else
                         p->f = std::make_unique<xrnn::Recurrent<float>>(c, ic);
                     return p;
                 }),
                 py::arg("cell") = "lstm", py::kw_only(), py::arg("input_size"), py::arg("hidden_size"),
                 py::arg("num_layers") = 1, py::arg("activation") = "tanh", py::arg("recurrent_activation") = "sigmoid",
                 py::arg("bidirectional") = false, py::arg("dropout") = 0.0, py::arg("weight_drop") = 0.0,
                 py::arg("dtype") = py::module_::import("numpy").attr("float32"), py::arg("seed") = 0,
                 py::arg("init") = "uniform", py::arg("gain") = 1.0, py::arg("forget_bias") = py::none())
            .def(
                "forward",
                [](PyRecurrent& self, const py::object& x, const py::object& h0, const py::object& c0,
                   const py::object& lengths) {
                    return self.visit([&](auto& net) { return forward_t(self, net, x, h0, c0, lengths); });
                },
                py::arg("x"), py::arg("h0") = py::none(), py::arg("c0") = py::none(), py::arg("lengths") = py::none(),
                R"doc(x (seq_len, batch, input_size) -> (y, (h, c)): y (seq_len, batch, D*hidden_size), h and c
(D*num_layers, batch, hidden_size), c None without a cell state. h0, c0: initial state (None =
zeros). lengths: one per sequence, each 1..seq_len (PyTorch's pack_padded_sequence with
enforce_sorted=False); y is zero past a length. x is read in place (no copy on the way in).)doc")
            .def("__call__",
                 [](PyRecurrent& self, const py::object& x, const py::object& h0, const py::object& c0,
                    const py::object& lengths) {
                     return self.visit([&](auto& net) { return forward_t(self, net, x, h0, c0, lengths); });
                 },
                 py::arg("x"), py::arg("h0") = py::none(), py::arg("c0") = py::none(), py::arg("lengths") = py::none())
            .def(
                "backward",
                [](PyRecurrent& self, const py::object& dy, const py::object& dh, const py::object& dc) {
                    return self.visit([&](auto& net) { return backward_t(self, net, dy, dh, dc); });
                },
                py::arg("dy"), py::arg("dh") = py::none(), py::arg("dc") = py::none(),
                R"doc(Gradients of the last forward: dy = dL/dy, dh, dc = dL/d(final h, c) (None = zeros) ->
(dx, dh0, dc0). Adds the parameter gradients into named_grads(); each forward can be
differentiated once.)doc")
            .def("zero_grad",
                 [](PyRecurrent& self) {
                     py::gil_scoped_release release;
                     std::lock_guard<std::mutex> lock(self.mu);
                     self.visit([](auto& net) { net.params().zero_grad(); });
                 })
            .def(
                "state_dict", [](const py::object& self) { return views(self, false); },
                "name -> parameter, as writable NumPy views of the model's own memory (PyTorch's names)")
            .def(
                "named_grads", [](const py::object& self) { return views(self, true); },
                "name -> gradient, as writable NumPy views of the model's gradient buffer")
            .def(
                "named_parameters",
                [](const py::object& self) {
                    py::list out;
                    for (const auto& kv : views(self, false))
                        out.append(py::make_tuple(kv.first, kv.second));
                    return out;
                },
                "[(name, view)] in state_dict order")
            .def(
                "parameters",
                [](const py::object& self) {
                    py::list out;
                    for (const auto& kv : views(self, false))
                        out.append(kv.second);
                    return out;
                },
                "[view] in state_dict order")
            .def(
                "load_state_dict",
                [](PyRecurrent& self, const py::dict& state, bool strict) {
                    self.visit([&](auto& net) { load_state_dict_t(net, state, strict); });
                },
                py::arg("state_dict"), py::arg("strict") = true,
                "Copies arrays (any float dtype, converted) into the parameters by name; shapes must match")
            .def(
                "train",
                [](const py::object& self, bool mode) {
                    self.cast<PyRecurrent&>().visit([&](auto& net) { net.set_training(mode); });
                    return self;
                },
                py::arg("mode") = true, "dropout and weight_drop apply in training mode only")
            .def("eval",
                 [](const py::object& self) {
                     self.cast<PyRecurrent&>().visit([](auto& net) { net.set_training(false); });
                     return self;
                 })
            .def_property_readonly("training", [](PyRecurrent& self) { return self.visit([](auto& net) { return net.training(); }); })
            .def("set_flow_trace",
                 [](PyRecurrent& self, bool on) { self.visit([&](auto& net) { net.set_flow_trace(on); }); },
                 py::arg("on") = true,
                 "When on, every backward records per-layer, per-step adjoint norms (flow_traces())")
            .def("flow_traces", &flow_traces, R"doc(The gradient-flow trace of the last traced backward: one dict per
(layer, direction) with arrays over the state index s = 0..T: h_total = ||dL/dh_s|| (batch
mean), h_carry = the part that came back through step s+1, c_total / c_carry (LSTM, else
None), state_total / state_carry (their ratio is the step gain), forget_mean (LSTM).)doc")
            .def(
                "clip_grad_norm_",
                [](PyRecurrent& self, double max_norm) {
                    py::gil_scoped_release release;
                    std::lock_guard<std::mutex> lock(self.mu);
                    return self.visit([&](auto& net) {
                        using T = std::remove_reference_t<decltype(*net.params().values())>;
                        return xrnn::clip_by_global_norm<T>({net.params().span()}, max_norm);
                    });
                },
                py::arg("max_norm"),
                "Scales the gradients so their global norm is at most max_norm (0: measure only)")
            .def_property_readonly("cell", [](PyRecurrent& self) { return xrnn::cell_name(self.config().cell); })
            .def_property_readonly("input_size", [](PyRecurrent& self) { return self.config().input_size; })
            .def_property_readonly("hidden_size", [](PyRecurrent& self) { return self.config().hidden_size; })
            .def_property_readonly("num_layers", [](PyRecurrent& self) { return self.config().num_layers; })
            .def_property_readonly("bidirectional", [](PyRecurrent& self) { return self.config().bidirectional; })
            .def_property_readonly("activation", [](PyRecurrent& self) { return xrnn::activation_name(self.config().activation); })
            .def_property_readonly("recurrent_activation",
                                   [](PyRecurrent& self) { return xrnn::activation_name(self.config().recurrent_activation); })
            .def_property_readonly("dtype", [](PyRecurrent& self) { return self.f ? py::dtype::of<float>() : py::dtype::of<double>(); })
            .def_property_readonly("output_size", [](PyRecurrent& self) { return self.visit([](auto& net) { return net.output_size(); }); })
            .def_property_readonly("last_input_address", [](PyRecurrent& self) { return self.last_input_address; },
                                   "debug: data address of the x buffer the last forward handed to the C++ "
                                   "Recurrent::forward; equals x.ctypes.data when x was not copied")
            .def("__repr__", [](PyRecurrent& self) {
                const auto& c = self.config();
                return "Recurrent(" + xrnn::cell_name(c.cell) + ", input_size=" + std::to_string(c.input_size)
                     + ", hidden_size=" + std::to_string(c.hidden_size) + ", num_layers=" + std::to_string(c.num_layers)
                     + ", activation=" + xrnn::activation_name(c.activation)
                     + (xrnn::cell_traits(c.cell).gated ? ", recurrent_activation=" + xrnn::activation_name(c.recurrent_activation) : "")
                     + (c.bidirectional ? ", bidirectional=True" : "") + ", dtype=" + (self.f ? "float32" : "float64") + ")";
            });
    }
}
