// python/src/gradflow.cpp -- the probe and training sweeps of xrnn-gradflow (the gradflow wing),
// with gradflow::Options from a dict. They write their CSV / JSONL files into opts['out'] as the
// CLI does; python/xrnn/gradflow.py builds the dict from keyword arguments and reads the files
// back into rows.
#include "interrupt.hpp"

#include <xrnn/blas.hpp>
#include <xrnn/gradflow/probe.hpp>
#include <xrnn/gradflow/sweep.hpp>
#include <xrnn/gradflow/train.hpp>

#include <pybind11/stl.h>

#include <set>
#include <string>
#include <vector>

namespace xrnn_py
{
    namespace
    {
        namespace gf = xrnn::gradflow;

        std::uint64_t whole(const py::handle& v, const std::string& key)
        {
            PyObject* index = PyNumber_Index(v.ptr());
            const unsigned long long x = index ? PyLong_AsUnsignedLongLong(index) : 0;
            Py_XDECREF(index);
            if (!index || PyErr_Occurred())
            {
                PyErr_Clear();
                throw py::value_error(key + " must be a whole number >= 0, got " + std::string(py::repr(v)));
            }
            return x;
        }

        template <class T>
        std::vector<T> list_of(const py::handle& v, const std::string& key)
        {
            std::vector<T> out;
            for (const py::handle item : v)
            {
                if constexpr (std::is_same_v<T, std::string>)
                    out.push_back(py::str(item));
                else if constexpr (std::is_floating_point_v<T>)
                    out.push_back(item.cast<T>());
                else
                    out.push_back(static_cast<T>(whole(item, key)));
            }
            if (out.empty())
                throw py::value_error(key + " must name at least one value");
            return out;
        }

        gf::Options options(const py::dict& d)
        {
            gf::Options o;
            std::set<std::string> used;
            auto has = [&](const char* k) {
                used.insert(k);
                return d.contains(k);
            };
            if (has("task")) o.task = py::str(d["task"]);
            if (has("cell")) o.cells = list_of<std::string>(d["cell"], "cell");
            if (has("activation")) o.activations = list_of<std::string>(d["activation"], "activation");
            if (has("recurrent_activation")) o.recurrent_activations = list_of<std::string>(d["recurrent_activation"], "recurrent_activation");
            if (has("init")) o.inits = list_of<std::string>(d["init"], "init");
            if (has("gain")) o.gains = list_of<double>(d["gain"], "gain");
            if (has("sigma_gamma")) o.sigma_gammas = list_of<double>(d["sigma_gamma"], "sigma_gamma");
            if (has("forget_bias")) o.forget_biases = list_of<double>(d["forget_bias"], "forget_bias");
            if (has("seq_len")) o.seq_lens = list_of<std::size_t>(d["seq_len"], "seq_len");
            if (has("seed")) o.seeds = list_of<std::uint64_t>(d["seed"], "seed");
            if (has("hidden_size")) o.hidden_size = whole(d["hidden_size"], "hidden_size");
            if (has("num_layers")) o.num_layers = whole(d["num_layers"], "num_layers");
            if (has("batch_size")) o.batch_size = whole(d["batch_size"], "batch_size");
            if (has("threads")) o.threads = static_cast<int>(whole(d["threads"], "threads"));
            if (has("out")) o.out = py::str(d["out"]);
            if (has("epsilon")) o.epsilon = d["epsilon"].cast<double>();
            if (has("steps")) o.steps = whole(d["steps"], "steps");
            if (has("eval_every")) o.eval_every = whole(d["eval_every"], "eval_every");
            if (has("monitor_every")) o.monitor_every = whole(d["monitor_every"], "monitor_every");
            if (has("test_size")) o.test_size = whole(d["test_size"], "test_size");
            if (has("lr")) o.lr = d["lr"].cast<double>();
            if (has("clip_norm")) o.clip_norm = d["clip_norm"].cast<double>();
            if (has("stop_when_solved")) o.stop_when_solved = d["stop_when_solved"].cast<bool>();
            if (has("max_memory")) o.max_memory = whole(d["max_memory"], "max_memory");
            for (const auto& kv : d)
                if (!used.count(py::str(kv.first)))
                    throw py::value_error("unknown gradflow option '" + std::string(py::str(kv.first)) + "'");
            gf::check_options(o); // names, lengths and ranges, before any work
            return o;
        }

        void run(bool train, const py::dict& d)
        {
            const gf::Options o = options(d);
            const int before = xrnn::blas::threads();
            xrnn::blas::set_threads(o.threads);
            try
            {
                run_interruptible([&](const std::atomic<bool>& stop) { train ? gf::train(o, stop) : gf::probe(o, stop); });
            }
            catch (...)
            {
                xrnn::blas::set_threads(before);
                throw;
            }
            xrnn::blas::set_threads(before);
        }
    }

    void bind_gradflow(py::module_& m)
    {
        m.def(
            "_gradflow_probe", [](const py::dict& d) { run(false, d); }, py::arg("options"),
            "xrnn::gradflow::probe with Options from a dict (xrnn.gradflow.probe builds it)");
        m.def(
            "_gradflow_train", [](const py::dict& d) { run(true, d); }, py::arg("options"),
            "xrnn::gradflow::train with Options from a dict (xrnn.gradflow.train builds it)");
    }
}
