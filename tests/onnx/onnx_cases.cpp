// tests/onnx/onnx_cases.cpp -- the ONNX export against ONNX Runtime (driven by tests/onnx/run.sh).
//
//   onnx_cases DIR   builds recurrent stacks, char-LMs and xrnn-seq models with random weights
//                    (fixed seeds), runs xrnn's own forward on random inputs with variable lengths,
//                    exports each model to DIR/<case>.onnx and writes its inputs and xrnn's outputs
//                    as raw little-endian files beside it, listed in DIR/cases.json; compare.mjs
//                    then runs every model in ONNX Runtime and compares. Also checks that what
//                    ONNX cannot express (swish, mish, gelu) is refused by name, leaving no file.
// Exits 1 on a failed refusal check or an export that throws.
#include "xrnn/onnx/onnx_export.hpp"
#include "xrnn/random.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>

namespace fs = std::filesystem;
using json = nlohmann::json;
using namespace xrnn;

namespace
{
    // ---- one case: files and its manifest entry
    struct Case
    {
        fs::path dir;
        json j;

        Case(const fs::path& d, const std::string& name) : dir(d)
        {
            j = {{"name", name}, {"model", name + ".onnx"}, {"inputs", json::array()}, {"outputs", json::array()}};
        }
        std::string model() const { return (dir / j["model"].get<std::string>()).string(); }

        template <class V>
        std::string write(const std::string& tensor, const V& v)
        {
            const std::string file = j["name"].get<std::string>() + "." + tensor + ".bin";
            std::ofstream f(dir / file, std::ios::binary);
            f.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(v[0])));
            if (!f)
                throw std::runtime_error("cannot write " + (dir / file).string());
            return file;
        }
        template <class V>
        void input(const std::string& name, const char* dtype, const std::vector<std::size_t>& shape, const V& v)
        {
            j["inputs"].push_back({{"name", name}, {"dtype", dtype}, {"shape", shape}, {"file", write(name, v)}});
        }
        void expect(const std::string& name, const std::vector<std::size_t>& shape, const std::vector<float>& v)
        {
            j["outputs"].push_back({{"name", name}, {"shape", shape}, {"file", write("expected_" + name, v)}});
        }
    };

    void randomize(ParamSet<float>& ps, Rng& rng, double scale)
    {
        float* v = ps.values();
        for (std::size_t i = 0; i < ps.size(); ++i)
            v[i] = static_cast<float>(scale * (2 * rng.uniform() - 1));
    }
    std::vector<float> normal(std::size_t n, Rng& rng, double scale = 1.0)
    {
        std::vector<float> v(n);
        for (auto& x : v)
            x = static_cast<float>(scale * rng.normal());
        return v;
    }
    // B lengths in 1..T, one of them T (ONNX's Y is as long as the longest) and one short
    std::vector<std::size_t> random_lengths(std::size_t T, std::size_t B, Rng& rng)
    {
        std::vector<std::size_t> len(B);
        for (auto& l : len)
            l = 1 + rng.below(T);
        len[0] = T;
        if (B > 2)
            len[B - 1] = 1 + rng.below(2);
        return len;
    }
    std::vector<std::int32_t> as_i32(const std::vector<std::size_t>& v)
    {
        return std::vector<std::int32_t>(v.begin(), v.end());
    }
    std::vector<float> softmax_rows(const std::vector<float>& logits, std::size_t C)
    {
        std::vector<float> p(logits.size());
        for (std::size_t r = 0; r < logits.size() / C; ++r)
        {
            double mx = -INFINITY, sum = 0;
            for (std::size_t k = 0; k < C; ++k)
                mx = std::max(mx, double(logits[r * C + k]));
            for (std::size_t k = 0; k < C; ++k)
                sum += std::exp(double(logits[r * C + k]) - mx);
            for (std::size_t k = 0; k < C; ++k)
                p[r * C + k] = static_cast<float>(std::exp(double(logits[r * C + k]) - mx) / sum);
        }
        return p;
    }

    RecurrentConfig stack(const char* cell, const char* act, const char* ract, std::size_t layers, bool bi,
                          std::size_t I, std::size_t H)
    {
        RecurrentConfig c;
        c.cell = cell_from_name(cell);
        c.activation = activation_from_name(act);
        c.recurrent_activation = activation_from_name(ract);
        c.num_layers = layers;
        c.bidirectional = bi;
        c.input_size = I;
        c.hidden_size = H;
        return c;
    }

    // ---- recurrent stacks alone: y, hn, cn from random x, h0, c0 and lengths
    struct StackCase
    {
        const char* cell;
        const char* act;
        const char* ract;
        std::size_t layers;
        bool bidirectional;
        bool large = false; // T 40, B 6, I 16, H 32 instead of T 7, B 4, I 5, H 6
    };
    // every cell with its defaults and two or three other activation pairs; together they put each
    // of the nine exportable activations in the candidate place and most in the gate place
    const StackCase kStackCases[] = {
        {"rnn", "tanh", "sigmoid", 1, false},
        {"rnn", "tanh", "sigmoid", 2, true},
        {"rnn", "relu", "sigmoid", 2, false},
        {"rnn", "leaky_relu:0.2", "sigmoid", 1, true},
        {"rnn", "elu:0.5", "sigmoid", 1, false},
        {"rnn", "softsign", "sigmoid", 1, true},
        {"rnn", "identity", "sigmoid", 1, false},
        {"rnn", "hard_sigmoid", "sigmoid", 1, true},
        {"rnn", "softplus", "sigmoid", 1, false},
        {"gru", "tanh", "sigmoid", 1, false},
        {"gru", "tanh", "sigmoid", 2, true},
        {"gru", "relu", "hard_sigmoid", 1, false},
        {"gru", "relu", "hard_sigmoid", 2, true},
        {"gru", "softsign", "sigmoid", 1, true},
        {"gru", "elu:0.5", "softsign", 1, false},
        {"gru", "leaky_relu:0.1", "hard_sigmoid", 1, true},
        {"lstm", "tanh", "sigmoid", 1, false},
        {"lstm", "tanh", "sigmoid", 2, true},
        {"lstm", "relu", "hard_sigmoid", 1, false},
        {"lstm", "softsign", "hard_sigmoid", 2, true},
        {"lstm", "elu:1.5", "sigmoid", 1, true},
        {"lstm", "leaky_relu:0.3", "softplus", 1, false},
        {"lstm", "identity", "tanh", 1, true},
        {"lstm_peephole", "tanh", "sigmoid", 1, false},
        {"lstm_peephole", "tanh", "sigmoid", 2, true},
        {"lstm_peephole", "softsign", "hard_sigmoid", 1, true},
        // longer sequences and wider layers, where float rounding has more steps to build up
        {"rnn", "tanh", "sigmoid", 2, true, true},
        {"gru", "tanh", "sigmoid", 2, true, true},
        {"lstm", "tanh", "sigmoid", 2, true, true},
    };

    std::string stack_name(const StackCase& k)
    {
        std::string n = std::string(k.cell) + "_" + k.act + "_" + k.ract + "_l" + std::to_string(k.layers)
                        + (k.bidirectional ? "_bi" : "_uni") + (k.large ? "_large" : "");
        for (auto& ch : n)
            if (ch == ':' || ch == '.')
                ch = '_';
        return n;
    }

    json stack_case(const fs::path& dir, const StackCase& k, std::uint64_t seed)
    {
        Case c(dir, stack_name(k));
        Rng rng(seed);
        const std::size_t T = k.large ? 40 : 7, B = k.large ? 6 : 4, I = k.large ? 16 : 5, H = k.large ? 32 : 6;
        Recurrent<float> rnn(stack(k.cell, k.act, k.ract, k.layers, k.bidirectional, I, H), InitConfig{seed});
        randomize(rnn.params(), rng, 0.6);
        rnn.set_training(false);
        const std::size_t U = rnn.units();
        const bool has_c = rnn.traits().cell_state;
        const std::vector<std::size_t> len = random_lengths(T, B, rng);
        const std::vector<float> x = normal(T * B * I, rng), h0 = normal(U * B * H, rng, 0.5),
                                 c0 = normal(U * B * H, rng, 0.5);
        Tensor3<float> xt = Tensor3<float>::from_shape({T, B, I}), y;
        std::copy(x.begin(), x.end(), xt.begin());
        RecurrentState<float> s0, sT;
        s0.h = Tensor3<float>::from_shape({U, B, H});
        std::copy(h0.begin(), h0.end(), s0.h.begin());
        if (has_c)
        {
            s0.c = Tensor3<float>::from_shape({U, B, H});
            std::copy(c0.begin(), c0.end(), s0.c.begin());
        }
        rnn.forward(xt, s0, y, sT, len);

        onnx::export_recurrent(rnn, c.model());
        c.input("x", "float32", {T, B, I}, x);
        c.input("lengths", "int32", {B}, as_i32(len));
        c.input("h0", "float32", {U, B, H}, h0);
        if (has_c)
            c.input("c0", "float32", {U, B, H}, c0);
        c.expect("y", {T, B, rnn.output_size()}, std::vector<float>(y.begin(), y.end()));
        c.expect("hn", {U, B, H}, std::vector<float>(sT.h.begin(), sT.h.end()));
        if (has_c)
            c.expect("cn", {U, B, H}, std::vector<float>(sT.c.begin(), sT.c.end()));
        c.j["group"] = k.cell;
        return c.j;
    }

    // ---- char-LMs: the logits of every stream fed token by token from h0/c0 (the sampling path,
    // with and without the input table), the final state, and the mean cross-entropy of the whole
    // batch (the training/eval path), which compare.mjs recomputes from ONNX's probabilities
    struct CharCase
    {
        const char* cell;
        const char* act;
        const char* ract;
        std::size_t layers;
        bool state_io;
    };
    const CharCase kCharCases[] = {
        {"lstm", "tanh", "sigmoid", 2, true},
        {"gru", "tanh", "sigmoid", 1, false},
        {"rnn", "relu", "sigmoid", 2, true},
        {"lstm_peephole", "softsign", "hard_sigmoid", 1, true},
    };

    json char_case(const fs::path& dir, const CharCase& k, std::uint64_t seed)
    {
        Case c(dir, std::string("charlm_") + k.cell + "_l" + std::to_string(k.layers) + (k.state_io ? "_state" : ""));
        Rng rng(seed);
        const std::size_t T = 8, B = 3, E = 5, H = 7;
        LoadedCharModel lm;
        lm.vocab = Vocabulary::from_text("the quick brown fox");
        const std::size_t V = lm.vocab.size();
        CharModelConfig cfg;
        cfg.vocab_size = V;
        cfg.embed_size = E;
        cfg.rnn = stack(k.cell, k.act, k.ract, k.layers, false, E, H);
        lm.model = std::make_unique<CharModel<float>>(cfg, InitConfig{seed});
        CharModel<float>& m = *lm.model;
        randomize(m.rnn().params(), rng, 0.6);
        randomize(m.own_params(), rng, 0.8);
        m.set_training(false);
        const std::size_t L = k.layers;
        const bool has_c = m.rnn().traits().cell_state;

        std::vector<std::int64_t> tokens(T * B);
        std::vector<std::int32_t> x32(T * B), y32(T * B);
        for (std::size_t i = 0; i < T * B; ++i)
        {
            x32[i] = static_cast<std::int32_t>(rng.below(V));
            y32[i] = static_cast<std::int32_t>(rng.below(V));
            tokens[i] = x32[i];
        }
        std::vector<float> h0(L * B * H, 0.0f), c0(L * B * H, 0.0f);
        if (k.state_io)
        {
            h0 = normal(L * B * H, rng, 0.5);
            c0 = normal(L * B * H, rng, 0.5);
        }
        auto state = [&](std::size_t b0, std::size_t nb) { // rows b0..b0+nb-1 of h0/c0
            RecurrentState<float> s;
            s.h = Tensor3<float>::from_shape({L, nb, H});
            if (has_c)
                s.c = Tensor3<float>::from_shape({L, nb, H});
            for (std::size_t l = 0; l < L; ++l)
                for (std::size_t b = 0; b < nb; ++b)
                    for (std::size_t j = 0; j < H; ++j)
                    {
                        s.h(l, b, j) = h0[(l * B + b0 + b) * H + j];
                        if (has_c)
                            s.c(l, b, j) = c0[(l * B + b0 + b) * H + j];
                    }
            return s;
        };

        std::vector<float> logits(T * B * V), hn(L * B * H), cn(L * B * H);
        const Tensor2<float> table = m.input_table();
        for (std::size_t b = 0; b < B; ++b)
        {
            m.reset_state();
            m.rnn().set_carried_state(state(b, 1));
            for (std::size_t t = 0; t < T; ++t)
            {
                const float* l = m.step_logits(x32[t * B + b], b % 2 ? &table : nullptr);
                std::copy(l, l + V, logits.begin() + std::ptrdiff_t((t * B + b) * V));
            }
            const RecurrentState<float>& s = m.rnn().carried_state();
            for (std::size_t l = 0; l < L; ++l)
                for (std::size_t j = 0; j < H; ++j)
                {
                    hn[(l * B + b) * H + j] = s.h(l, 0, j);
                    if (has_c)
                        cn[(l * B + b) * H + j] = s.c(l, 0, j);
                }
        }
        m.reset_state();
        m.rnn().set_carried_state(state(0, B));
        const double loss = m.forward(x32.data(), y32.data(), T, B, false);
        m.reset_state();

        onnx::export_char_model(lm, c.model(), k.state_io);
        c.input("tokens", "int64", {T, B}, tokens);
        if (k.state_io)
        {
            c.input("h0", "float32", {L, B, H}, h0);
            if (has_c)
                c.input("c0", "float32", {L, B, H}, c0);
        }
        c.expect("logits", {T, B, V}, logits);
        c.expect("probabilities", {T, B, V}, softmax_rows(logits, V));
        if (k.state_io)
        {
            c.expect("hn", {L, B, H}, hn);
            if (has_c)
                c.expect("cn", {L, B, H}, cn);
        }
        c.j["xent"] = {{"probabilities", "probabilities"}, {"targets", c.write("targets", y32)}, {"expected", loss}};
        c.j["group"] = "charlm";
        return c.j;
    }

    // ---- xrnn-seq models: SeqModel::forward on the standardized data, as xrnn-seq predict runs it
    struct SeqCase
    {
        const char* cell;
        const char* act;
        const char* ract;
        std::size_t layers;
        bool bidirectional;
        seq::Task task;
        seq::InputLayer input;
        PoolKind pool;
        bool standardize;
    };
    using seq::InputLayer;
    using seq::Task;
    const SeqCase kSeqCases[] = {
        {"lstm", "tanh", "sigmoid", 2, true, Task::classify, InputLayer::none, PoolKind::last, true},
        {"gru", "tanh", "sigmoid", 1, false, Task::classify, InputLayer::linear, PoolKind::last, false},
        {"rnn", "relu", "sigmoid", 2, true, Task::classify, InputLayer::embedding, PoolKind::max, false},
        {"gru", "softsign", "hard_sigmoid", 1, true, Task::regress, InputLayer::linear, PoolKind::mean, true},
        {"lstm", "tanh", "sigmoid", 1, false, Task::regress, InputLayer::embedding, PoolKind::last, false},
        {"lstm_peephole", "tanh", "sigmoid", 1, true, Task::classify, InputLayer::none, PoolKind::mean, true},
        {"lstm", "elu", "sigmoid", 1, true, Task::classify, InputLayer::linear, PoolKind::max, true},
        {"lstm", "tanh", "sigmoid", 2, true, Task::tag, InputLayer::linear, PoolKind::last, true},
        {"rnn", "tanh", "sigmoid", 1, false, Task::tag, InputLayer::embedding, PoolKind::last, false},
        {"gru", "tanh", "sigmoid", 1, true, Task::ctc, InputLayer::none, PoolKind::last, true},
        {"lstm", "relu", "hard_sigmoid", 1, false, Task::ctc, InputLayer::embedding, PoolKind::last, false},
    };

    json seq_case(const fs::path& dir, const SeqCase& k, std::uint64_t seed)
    {
        const std::string name = std::string("seq_") + seq::task_name(k.task) + "_" + seq::input_layer_name(k.input)
                                 + "_" + (k.task == Task::classify || k.task == Task::regress ? pool_name(k.pool) + "_" : "")
                                 + k.cell + (k.bidirectional ? "_bi" : "_uni") + (k.standardize ? "_std" : "");
        Case c(dir, name);
        Rng rng(seed);
        const std::size_t T = 9, B = 5, H = 6, vocab = 11;
        seq::SeqModelConfig cfg;
        cfg.task = k.task;
        cfg.input = k.input;
        cfg.features = k.input == InputLayer::embedding ? 1 : 4;
        cfg.input_size = k.input == InputLayer::none ? 0 : 5;
        cfg.vocab = k.input == InputLayer::embedding ? vocab : 0;
        cfg.outputs = k.task == Task::regress ? 2 : 4;
        cfg.pool = k.pool;
        cfg.rnn = stack(k.cell, k.act, k.ract, k.layers, k.bidirectional, 0, H);
        seq::SavedModel sm;
        sm.model = std::make_unique<seq::SeqModel<float>>(cfg, InitConfig{seed});
        randomize(sm.model->rnn().params(), rng, 0.6);
        randomize(sm.model->own_params(), rng, 0.8);
        std::vector<std::string> classes;
        for (std::size_t i = 0; i < (k.task == Task::ctc ? cfg.outputs - 1 : cfg.outputs); ++i)
            classes.push_back("c" + std::to_string(i));
        if (k.task != Task::regress)
            sm.classes = seq::ClassTable(classes);
        const std::size_t F = cfg.features;

        const std::vector<std::size_t> len = random_lengths(T, B, rng);
        std::vector<float> x(T * B * F);
        for (std::size_t t = 0; t < T; ++t)
            for (std::size_t b = 0; b < B; ++b)
                for (std::size_t f = 0; f < F; ++f)
                {
                    float& v = x[(t * B + b) * F + f];
                    if (k.input == InputLayer::embedding) // padding holds ids no model has
                        v = t < len[b] ? float(rng.below(vocab)) : (t % 2 ? -5.0f : 1e6f);
                    else // features far from standard, so the standardizer matters
                        v = static_cast<float>(3.0 + 2.0 * f + (1.0 + f) * rng.normal());
                }
        std::vector<float> xs = x; // what the model reads: standardized as xrnn-seq predict does
        if (k.standardize)
        {
            seq::Dataset d;
            d.features = F;
            for (std::size_t b = 0; b < B; ++b)
            {
                seq::Sequence s;
                s.steps = len[b];
                for (std::size_t t = 0; t < len[b]; ++t)
                    for (std::size_t f = 0; f < F; ++f)
                        s.x.push_back(x[(t * B + b) * F + f]);
                d.items.push_back(std::move(s));
            }
            sm.standardizer = seq::Standardizer::fit(d);
            sm.standardizer.apply(d);
            for (std::size_t b = 0; b < B; ++b)
                for (std::size_t t = 0; t < len[b]; ++t)
                    for (std::size_t f = 0; f < F; ++f)
                        xs[(t * B + b) * F + f] = d.items[b].x[t * F + f];
        }
        Tensor3<float> xt = Tensor3<float>::from_shape({T, B, F});
        std::copy(xs.begin(), xs.end(), xt.begin());
        sm.model->set_training(false);
        sm.model->forward(xt, len, nullptr);
        const std::vector<float> out = sm.model->outputs();

        onnx::export_seq_model(sm, c.model());
        c.input("x", "float32", {T, B, F}, x);
        c.input("lengths", "int32", {B}, as_i32(len));
        const std::size_t C = cfg.outputs;
        const std::vector<std::size_t> shape =
            sm.model->per_step() ? std::vector<std::size_t>{T, B, C} : std::vector<std::size_t>{B, C};
        if (k.task == Task::regress)
            c.expect("predictions", shape, out);
        else
        {
            c.expect("logits", shape, out);
            c.expect("probabilities", shape, softmax_rows(out, C));
        }
        c.j["group"] = "seq";
        return c.j;
    }

    // ---- refusals: swish, mish, gelu anywhere in a stack give one clear error and no file
    int refusals(const fs::path& dir)
    {
        int failed = 0, checked = 0;
        for (const char* bad : {"swish", "mish", "gelu"})
            for (const char* cell : {"rnn", "gru", "lstm", "lstm_peephole"})
                for (int gate = 0; gate < 2; ++gate)
                {
                    if (gate && std::string(cell) == "rnn") // the RNN has no gate
                        continue;
                    const char* act = gate ? "tanh" : bad;
                    const char* ract = gate ? bad : "sigmoid";
                    seq::SeqModelConfig cfg;
                    cfg.features = 3;
                    cfg.outputs = 2;
                    cfg.rnn = stack(cell, act, ract, 1, false, 0, 4);
                    seq::SavedModel sm;
                    sm.model = std::make_unique<seq::SeqModel<float>>(cfg, InitConfig{1});
                    const fs::path path = dir / "refused.onnx";
                    std::string what;
                    try
                    {
                        onnx::export_seq_model(sm, path.string());
                    }
                    catch (const std::invalid_argument& e)
                    {
                        what = e.what();
                    }
                    const std::string role = gate ? "recurrent_activation" : "activation (candidate)";
                    const bool ok = what.find("'" + std::string(bad) + "'") != std::string::npos
                                    && what.find("no ONNX RNN/GRU/LSTM equivalent") != std::string::npos
                                    && what.find(role) != std::string::npos && what.find(cell) != std::string::npos
                                    && !fs::exists(path);
                    ++checked;
                    if (!ok)
                    {
                        ++failed;
                        std::cout << "FAIL refusal " << cell << " " << (gate ? "gate " : "candidate ") << bad
                                  << ": got '" << what << "'" << (fs::exists(path) ? ", and a file was written" : "")
                                  << "\n";
                    }
                    else if (checked == 1)
                        std::cout << "refusal, e.g.: " << what << "\n";
                }
        std::cout << "refusals: " << checked - failed << " of " << checked << " exports of swish/mish/gelu refused by name\n";
        return failed;
    }
}

int main(int argc, char** argv)
{
    if (argc != 2)
    {
        std::cerr << "usage: onnx_cases DIR\n";
        return 2;
    }
    const fs::path dir = argv[1];
    try
    {
        fs::create_directories(dir);
        json cases = json::array();
        std::uint64_t seed = 100;
        for (const StackCase& k : kStackCases)
            cases.push_back(stack_case(dir, k, ++seed));
        for (const CharCase& k : kCharCases)
            cases.push_back(char_case(dir, k, ++seed));
        for (const SeqCase& k : kSeqCases)
            cases.push_back(seq_case(dir, k, ++seed));
        std::ofstream(dir / "cases.json") << json{{"cases", cases}}.dump(1) << "\n";
        std::cout << "exported " << cases.size() << " models to " << dir.string() << "\n";
        return refusals(dir) ? 1 : 0;
    }
    catch (const std::exception& e)
    {
        std::cout << "FAIL: " << e.what() << "\n";
        return 1;
    }
}
