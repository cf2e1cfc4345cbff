// python/src/charlm.cpp -- xrnn.load_char_model: a trained char-LM checkpoint (the charlm wing)
// to sample from and to score text with, as `xrnn-charlm sample` and `xrnn-charlm eval` do.
//
// Text crosses as bytes (the model's symbols are bytes): str arguments are encoded as UTF-8,
// sample() decodes its bytes as UTF-8 with 'surrogateescape' (so no byte is lost or replaced;
// sample_bytes() gives them as they are).
#include "interrupt.hpp"

#include <xrnn/charlm/char_checkpoint.hpp>
#include <xrnn/charlm/char_train.hpp>
#include <xrnn/charlm/sampler.hpp>
#include <xrnn/charlm/train_config.hpp>

#include <nlohmann/json.hpp>

#include <cmath>
#include <mutex>
#include <string>

namespace xrnn_py
{
    namespace
    {
        struct PyCharLM
        {
            xrnn::LoadedCharModel m;
            std::mutex mu; // one call at a time (sampling and scoring run the model's state)
        };

        std::string bytes_arg(const py::handle& v, const char* name)
        {
            if (py::isinstance<py::bytes>(v))
                return py::bytes(py::reinterpret_borrow<py::bytes>(v));
            if (py::isinstance<py::str>(v))
                return py::reinterpret_borrow<py::str>(v).attr("encode")("utf-8", "surrogateescape").cast<std::string>();
            throw py::type_error(std::string(name) + " must be str or bytes, got "
                                 + std::string(py::str(py::type::of(v).attr("__name__"))));
        }

        std::string sample(PyCharLM& lm, const py::handle& prime, long long length, double temperature,
                           const py::handle& seed)
        {
            xrnn::SampleConfig c;
            c.prime = bytes_arg(prime, "prime");
            if (length < 0)
                throw py::value_error("length must be a whole number from 0 to 1000000000, got " + std::to_string(length));
            c.length = static_cast<std::size_t>(length);
            c.temperature = temperature;
            if (!PyLong_Check(seed.ptr()))
                throw py::type_error("seed must be a whole number, got " + std::string(py::repr(seed)));
            c.seed = PyLong_AsUnsignedLongLong(seed.ptr());
            if (PyErr_Occurred())
            {
                PyErr_Clear();
                throw py::value_error("seed must be a whole number from 0 to 2**64 - 1, got " + std::string(py::repr(seed)));
            }
            xrnn::check_sample_config(c); // the CLI's ranges, before the GIL goes
            std::string out;
            out.reserve(c.prime.size() + c.length);
            py::gil_scoped_release release;
            std::lock_guard<std::mutex> lock(lm.mu);
            xrnn::sample_text(*lm.m.model, lm.m.vocab, c, [&](char ch) { out.push_back(ch); });
            return out;
        }
    }

    void bind_charlm(py::module_& m)
    {
        py::class_<PyCharLM>(m, "CharLM", R"doc(
A character-level language model loaded from an xrnn-charlm checkpoint (load_char_model).

  lm = xrnn.load_char_model('runs/shakespeare/best.ckpt')
  lm.sample(prime='ROMEO:', length=200, temperature=0.8, seed=1)   # str, the prime first
  lm.evaluate(text)   # {'loss': nats/char, 'bpc': bits/char, 'chars': scored characters}
)doc")
            .def(
                "sample",
                [](PyCharLM& lm, const py::object& prime, long long length, double temperature, const py::object& seed) {
                    const std::string s = sample(lm, prime, length, temperature, seed);
                    return py::reinterpret_steal<py::str>(
                        PyUnicode_DecodeUTF8(s.data(), static_cast<py::ssize_t>(s.size()), "surrogateescape"));
                },
                py::arg("prime") = "", py::arg("length") = 500, py::arg("temperature") = 1.0, py::arg("seed") = 1,
                R"doc(The prime (echoed) followed by `length` sampled bytes, as xrnn-charlm sample; temperature 0
is argmax. The same seed gives the same text.)doc")
            .def(
                "sample_bytes",
                [](PyCharLM& lm, const py::object& prime, long long length, double temperature, const py::object& seed) {
                    return py::bytes(sample(lm, prime, length, temperature, seed));
                },
                py::arg("prime") = "", py::arg("length") = 500, py::arg("temperature") = 1.0, py::arg("seed") = 1)
            .def(
                "evaluate",
                [](PyCharLM& lm, const py::object& text) {
                    const std::string bytes = bytes_arg(text, "text");
                    if (bytes.size() < 2)
                        throw py::value_error("text has " + std::to_string(bytes.size())
                                              + " bytes; need at least 2 to evaluate");
                    const auto tokens = lm.m.vocab.encode(bytes); // names the first byte not in the vocabulary
                    double nats = 0;
                    {
                        py::gil_scoped_release release;
                        std::lock_guard<std::mutex> lock(lm.mu);
                        // as xrnn-charlm eval (commands.cpp score_file): 64 streams of the run's seq_len
                        nats = xrnn::evaluate_tokens(*lm.m.model, tokens, 64, lm.m.config.seq_len);
                    }
                    py::dict d;
                    d["loss"] = nats;
                    d["bpc"] = nats / std::log(2.0);
                    d["chars"] = tokens.size() - 1;
                    return d;
                },
                py::arg("text"), "Mean loss of the model on text (str or bytes), as xrnn-charlm eval")
            .def_property_readonly("vocab",
                                   [](PyCharLM& lm) {
                                       const auto& s = lm.m.vocab.symbols();
                                       return py::bytes(std::string(s.begin(), s.end()));
                                   },
                                   "the model's symbols (bytes), in token-id order")
            .def_property_readonly("config",
                                   [](PyCharLM& lm) {
                                       return py::module_::import("json").attr("loads")(xrnn::config_to_json(lm.m.config).dump());
                                   },
                                   "the run's TrainConfig as a dict (the checkpoint's metadata)")
            .def_property_readonly("step", [](PyCharLM& lm) { return lm.m.step; })
            .def_property_readonly("averaged", [](PyCharLM& lm) { return lm.m.averaged; },
                                   "the weights are the run's moving average (--ema)");

        m.def(
            "load_char_model",
            [](const std::string& path, bool raw_weights) {
                auto lm = std::make_unique<PyCharLM>();
                {
                    py::gil_scoped_release release;
                    lm->m = xrnn::load_char_model(path, raw_weights);
                }
                return lm;
            },
            py::arg("path"), py::arg("raw_weights") = false,
            R"doc(A char-LM checkpoint (xrnn-charlm's best.ckpt / last.ckpt, or an imported model): its
weight average when it has one (what validation measured), or the trained weights with
raw_weights=True.)doc");
    }
}
