// tests/interop/state_dict_cases.cpp -- both directions of the PyTorch state_dict bridge, with
// torch as the outside oracle (driven by tests/interop/torch_roundtrip.sh):
//   state_dict_cases export DIR  builds char-LM and xrnn-seq models with random weights, writes each
//                                as an export folder DIR/<case> and, beside it, DIR/<case>.check/ with
//                                inputs and xrnn's outputs; examples/torch_interop.py check runs the
//                                torch model on the inputs and compares.
//   state_dict_cases import DIR  imports every folder DIR/<case> that examples/torch_interop.py
//                                make-cases wrote from torch modules, runs xrnn on DIR/<case>.check's
//                                inputs and compares with torch's outputs there.
// Prints the largest difference per case; exits 1 when one exceeds the tolerance.
#include "xrnn/interop/state_dict.hpp"
#include "xrnn/random.hpp"
#include "xrnn/seq/npy.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

namespace fs = std::filesystem;
using namespace xrnn;

namespace
{
    constexpr double kTol = 2e-4; // |a - b| <= kTol * (1 + |b|): float32 on both sides

    void randomize(const std::vector<ParamSpan<float>>& spans, Rng& rng, double scale)
    {
        for (const auto& s : spans)
            for (std::size_t i = 0; i < s.size; ++i)
                s.values[i] = static_cast<float>(scale * (2 * rng.uniform() - 1));
    }

    void write(const fs::path& p, const std::vector<std::size_t>& shape, const std::vector<float>& v)
    {
        seq::write_npy(p.string(), shape, v.data());
    }

    std::vector<float> read(const fs::path& p, std::vector<std::size_t>* shape = nullptr)
    {
        const seq::NpyArray a = seq::read_npy(p.string());
        if (shape)
            *shape = a.shape;
        return std::vector<float>(a.values.begin(), a.values.end());
    }

    double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b)
    {
        if (a.size() != b.size())
            return INFINITY;
        double m = 0;
        for (std::size_t i = 0; i < a.size(); ++i)
            m = std::max(m, std::fabs(double(a[i]) - double(b[i])) / (1 + std::fabs(double(b[i]))));
        return m;
    }

    // ---- char-LM: the logits of one stream fed token by token (the sampling path) and the mean
    // cross-entropy of a batch of streams (the training/eval path), both from zero state
    struct CharOut
    {
        std::vector<float> logits, loss;
    };
    CharOut run_char(CharModel<float>& m, const std::vector<float>& x, std::size_t T, std::size_t B)
    {
        const std::size_t V = m.config().vocab_size;
        CharOut o;
        m.set_training(false);
        m.reset_state();
        for (std::size_t t = 0; t < T; ++t) // stream 0
        {
            const float* l = m.step_logits(static_cast<std::int32_t>(x[t * B]));
            o.logits.insert(o.logits.end(), l, l + V);
        }
        m.reset_state();
        std::vector<std::int32_t> in((T - 1) * B), target((T - 1) * B);
        for (std::size_t i = 0; i < (T - 1) * B; ++i)
        {
            in[i] = static_cast<std::int32_t>(x[i]);
            target[i] = static_cast<std::int32_t>(x[i + B]);
        }
        o.loss = {static_cast<float>(m.forward(in.data(), target.data(), T - 1, B, false))};
        m.reset_state();
        return o;
    }

    std::vector<float> run_seq(seq::SavedModel& s, std::vector<float> x, std::size_t T, std::size_t B,
                               const std::vector<std::size_t>& lengths)
    {
        const std::size_t F = s.model->config().features;
        if (!s.standardizer.mean.empty()) // as the data pipeline does before the model
            for (std::size_t i = 0; i < x.size(); ++i)
                x[i] = (x[i] - s.standardizer.mean[i % F]) / s.standardizer.std[i % F];
        Tensor3<float> xt = Tensor3<float>::from_shape({T, B, F});
        std::copy(x.begin(), x.end(), xt.begin());
        s.model->set_training(false);
        s.model->forward(xt, lengths, nullptr);
        return s.model->outputs();
    }

    struct CharCase
    {
        const char* name;
        const char* cell;
        const char* act;
        const char* ract;
        std::size_t layers;
    };
    const CharCase kCharCases[] = {
        {"char_rnn_tanh", "rnn", "tanh", "sigmoid", 1},
        {"char_rnn_relu", "rnn", "relu", "sigmoid", 2},
        {"char_gru", "gru", "tanh", "sigmoid", 2},
        {"char_lstm", "lstm", "tanh", "sigmoid", 2},
        {"char_gru_softsign_hardsig", "gru", "softsign", "hard_sigmoid", 1},
        {"char_lstm_elu_hardsig", "lstm", "elu:0.5", "hard_sigmoid", 1},
        {"char_rnn_leaky", "rnn", "leaky_relu:0.2", "sigmoid", 1},
        {"char_lstm_peephole", "lstm_peephole", "tanh", "sigmoid", 1},
        {"char_lstm_gelu_swish", "lstm", "gelu", "swish", 1},
    };

    struct SeqCase
    {
        const char* name;
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
    const SeqCase kSeqCases[] = {
        {"seq_lstm_bi_classify_last", "lstm", "tanh", "sigmoid", 2, true, seq::Task::classify, seq::InputLayer::none, PoolKind::last, true},
        {"seq_gru_bi_tag_linear", "gru", "tanh", "sigmoid", 1, true, seq::Task::tag, seq::InputLayer::linear, PoolKind::last, false},
        {"seq_rnn_regress_mean", "rnn", "tanh", "sigmoid", 2, false, seq::Task::regress, seq::InputLayer::none, PoolKind::mean, true},
        {"seq_lstm_ctc_embedding", "lstm", "tanh", "sigmoid", 1, false, seq::Task::ctc, seq::InputLayer::embedding, PoolKind::last, false},
        {"seq_gru_max_softsign", "gru", "softsign", "hard_sigmoid", 1, true, seq::Task::classify, seq::InputLayer::linear, PoolKind::max, true},
        {"seq_peephole_bi_mean", "lstm_peephole", "tanh", "sigmoid", 1, true, seq::Task::classify, seq::InputLayer::none, PoolKind::mean, false},
    };

    int export_cases(const fs::path& dir)
    {
        fs::create_directories(dir);
        Rng rng(7);
        const std::size_t T = 9, B = 3;
        for (const CharCase& k : kCharCases)
        {
            LoadedCharModel m;
            m.config.cell = k.cell;
            m.config.activation = k.act;
            m.config.recurrent_activation = k.ract;
            m.config.num_layers = k.layers;
            m.config.hidden_size = 12;
            m.config.embed_size = 7;
            std::vector<std::uint8_t> bytes;
            for (int c = 'a'; c < 'a' + 11; ++c)
                bytes.push_back(static_cast<std::uint8_t>(c));
            m.vocab = Vocabulary::from_symbols(bytes);
            m.model = std::make_unique<CharModel<float>>(model_config(m.config, bytes.size()), init_config(m.config));
            randomize(m.model->spans(), rng, 0.6);
            std::vector<float> x(T * B);
            for (auto& v : x)
                v = static_cast<float>(rng.below(bytes.size()));
            const CharOut o = run_char(*m.model, x, T, B);
            interop::write_state_dict((dir / k.name).string(), interop::char_state_dict(m));
            const fs::path check = dir / (std::string(k.name) + ".check");
            fs::create_directories(check);
            write(check / "x.npy", {T, B}, x);
            write(check / "logits.npy", {T, bytes.size()}, o.logits);
            write(check / "loss.npy", {1}, o.loss);
        }
        for (const SeqCase& k : kSeqCases)
        {
            seq::SeqModelConfig c;
            c.task = k.task;
            c.input = k.input;
            c.features = k.input == seq::InputLayer::embedding ? 1 : 5;
            c.input_size = k.input == seq::InputLayer::none ? 0 : 6;
            c.vocab = k.input == seq::InputLayer::embedding ? 8 : 0;
            c.outputs = k.task == seq::Task::regress ? 2 : 4;
            c.pool = k.pool;
            c.rnn.cell = cell_from_name(k.cell);
            c.rnn.activation = activation_from_name(k.act);
            c.rnn.recurrent_activation = activation_from_name(k.ract);
            c.rnn.hidden_size = 10;
            c.rnn.num_layers = k.layers;
            c.rnn.bidirectional = k.bidirectional;
            seq::SavedModel s;
            s.model = std::make_unique<seq::SeqModel<float>>(c, InitConfig{3});
            randomize(s.model->spans(), rng, 0.6);
            std::vector<std::string> names;
            const std::size_t K = k.task == seq::Task::ctc ? c.outputs - 1 : (k.task == seq::Task::regress ? 0 : c.outputs);
            for (std::size_t i = 0; i < K; ++i)
                names.push_back("c" + std::to_string(i));
            s.classes = seq::ClassTable(names);
            if (k.standardize)
                for (std::size_t f = 0; f < c.features; ++f)
                {
                    s.standardizer.mean.push_back(static_cast<float>(rng.uniform() - 0.5));
                    s.standardizer.std.push_back(static_cast<float>(0.5 + rng.uniform()));
                }
            s.meta_json = "{}";
            const std::vector<std::size_t> lengths{T, 4, 7}; // any order
            std::vector<float> x(T * B * c.features);
            for (auto& v : x)
                v = k.input == seq::InputLayer::embedding ? static_cast<float>(rng.below(c.vocab))
                                                          : static_cast<float>(rng.normal());
            const std::vector<float> y = run_seq(s, x, T, B, lengths);
            interop::write_state_dict((dir / k.name).string(), interop::seq_state_dict(s));
            const fs::path check = dir / (std::string(k.name) + ".check");
            fs::create_directories(check);
            write(check / "x.npy", {T, B, c.features}, x);
            write(check / "lengths.npy", {B}, std::vector<float>(lengths.begin(), lengths.end()));
            write(check / "outputs.npy", {y.size() / c.outputs, c.outputs}, y);
        }
        std::printf("wrote %zu char-LM and %zu xrnn-seq export folders to %s\n", std::size(kCharCases),
                    std::size(kSeqCases), dir.string().c_str());
        return 0;
    }

    int import_cases(const fs::path& dir)
    {
        int failed = 0, count = 0;
        std::vector<fs::path> cases;
        for (const auto& e : fs::directory_iterator(dir))
            if (e.is_directory() && e.path().extension() != ".check")
                cases.push_back(e.path());
        std::sort(cases.begin(), cases.end());
        for (const fs::path& p : cases)
        {
            const fs::path check = p.string() + ".check";
            const interop::StateDict sd = interop::read_state_dict(p.string());
            double diff = 0;
            std::vector<std::size_t> shape;
            const std::vector<float> x = read(check / "x.npy", &shape);
            if (sd.config.value("kind", "") == "charlm")
            {
                LoadedCharModel m = interop::char_model_from(sd, p.string());
                const CharOut o = run_char(*m.model, x, shape[0], shape[1]);
                diff = std::max(max_rel_diff(o.logits, read(check / "logits.npy")),
                                max_rel_diff(o.loss, read(check / "loss.npy")));
            }
            else
            {
                seq::SavedModel s = interop::seq_model_from(sd, p.string());
                const std::vector<float> len = read(check / "lengths.npy");
                const std::vector<std::size_t> lengths(len.begin(), len.end());
                diff = max_rel_diff(run_seq(s, x, shape[0], shape[1], lengths), read(check / "outputs.npy"));
            }
            const bool ok = diff <= kTol;
            failed += !ok;
            ++count;
            std::printf("%-34s torch -> xrnn  max |diff|/(1+|torch|) %.2e  %s\n", p.filename().string().c_str(), diff,
                        ok ? "ok" : "FAIL");
        }
        if (count == 0)
        {
            std::printf("no cases in %s\n", dir.string().c_str());
            return 1;
        }
        return failed ? 1 : 0;
    }
}

int main(int argc, char** argv)
{
    if (argc != 3 || (std::string(argv[1]) != "export" && std::string(argv[1]) != "import"))
    {
        std::fprintf(stderr, "usage: state_dict_cases export|import DIR\n");
        return 2;
    }
    try
    {
        return std::string(argv[1]) == "export" ? export_cases(argv[2]) : import_cases(argv[2]);
    }
    catch (const std::exception& e)
    {
        std::fprintf(stderr, "state_dict_cases: %s\n", e.what());
        return 1;
    }
}
