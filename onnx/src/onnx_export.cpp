// onnx/src/onnx_export.cpp -- see onnx_export.hpp.
//
// The graph is built node by node with onnx::ModelProto's generated classes; tensors are
// initializers (float_data / int64_data, so protobuf handles the byte order). Dimension names
// T (steps) and B (batch) stay symbolic, so one file serves any batch and length.
// Reference: https://onnx.ai/onnx/operators/ (RNN, GRU, LSTM at opset 14; the rest at 17).
#include "xrnn/onnx/onnx_export.hpp"

#include "xrnn/check.hpp"

#include <onnx/onnx_pb.h>

#include <nlohmann/json.hpp>

#include <cerrno>
#include <cctype>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>
#include <stdexcept>

#include <unistd.h>

namespace xrnn::onnx
{
    namespace pb = ::onnx; // the generated protobuf classes (this namespace is xrnn::onnx)
    using json = nlohmann::json;

    OnnxActivation onnx_activation(const Activation& a)
    {
        OnnxActivation o;
        switch (a.kind)
        {
        case ActivationKind::identity:
            o = {"Affine", true, true, 1.0f, 0.0f};
            break;
        case ActivationKind::sigmoid: o.name = "Sigmoid"; break;
        case ActivationKind::tanh: o.name = "Tanh"; break;
        case ActivationKind::relu: o.name = "Relu"; break;
        case ActivationKind::leaky_relu:
            o = {"LeakyRelu", true, false, static_cast<float>(a.alpha), 0.0f};
            break;
        case ActivationKind::elu:
            o = {"Elu", true, false, static_cast<float>(a.alpha), 0.0f};
            break;
        case ActivationKind::softsign: o.name = "Softsign"; break;
        case ActivationKind::softplus: o.name = "Softplus"; break;
        case ActivationKind::hard_sigmoid: // xrnn: clamp(x/6 + 1/2, 0, 1)
            o = {"HardSigmoid", true, true, static_cast<float>(1.0 / 6.0), 0.5f};
            break;
        case ActivationKind::swish:
        case ActivationKind::mish:
        case ActivationKind::gelu:
            detail::fail("ONNX export: activation '" + activation_name(a)
                         + "' has no ONNX RNN/GRU/LSTM equivalent; ONNX's recurrent operators support identity, "
                           "sigmoid, tanh, relu, leaky_relu, elu, softsign, hard_sigmoid and softplus");
        }
        return o;
    }

    namespace
    {
        // A dimension: a number, or a symbolic name ("T", "B").
        struct Dim
        {
            Dim(std::int64_t v) : value(v) {} // NOLINT: implicit, so {2, "B", 3} reads as a shape
            Dim(const char* p) : param(p) {}  // NOLINT
            std::int64_t value = -1;
            const char* param = nullptr;
        };

        void set_attr(pb::NodeProto* n, const std::string& name, std::int64_t v)
        {
            auto* a = n->add_attribute();
            a->set_name(name);
            a->set_type(pb::AttributeProto::INT);
            a->set_i(v);
        }
        void set_attr(pb::NodeProto* n, const std::string& name, const std::string& v)
        {
            auto* a = n->add_attribute();
            a->set_name(name);
            a->set_type(pb::AttributeProto::STRING);
            a->set_s(v);
        }
        void set_attr(pb::NodeProto* n, const std::string& name, const std::vector<std::string>& v)
        {
            auto* a = n->add_attribute();
            a->set_name(name);
            a->set_type(pb::AttributeProto::STRINGS);
            for (const auto& s : v)
                a->add_strings(s);
        }
        void set_attr(pb::NodeProto* n, const std::string& name, const std::vector<float>& v)
        {
            auto* a = n->add_attribute();
            a->set_name(name);
            a->set_type(pb::AttributeProto::FLOATS);
            for (float f : v)
                a->add_floats(f);
        }
        void set_attr(pb::NodeProto* n, const std::string& name, const std::vector<std::int64_t>& v)
        {
            auto* a = n->add_attribute();
            a->set_name(name);
            a->set_type(pb::AttributeProto::INTS);
            for (auto i : v)
                a->add_ints(i);
        }

        // Nodes, initializers, inputs and outputs of one graph, with unique names.
        class Graph
        {
        public:
            explicit Graph(pb::GraphProto* g) : g_(g) {}

            std::string fresh(const std::string& base) { return base + "_" + std::to_string(count_++); }

            std::string floats(const std::string& name, const std::vector<std::int64_t>& dims, const float* v)
            {
                auto* t = g_->add_initializer();
                t->set_name(name);
                t->set_data_type(pb::TensorProto::FLOAT);
                std::int64_t n = 1;
                for (auto d : dims)
                {
                    t->add_dims(d);
                    n *= d;
                }
                t->mutable_float_data()->Add(v, v + n);
                return name;
            }
            std::string floats(const std::string& name, const std::vector<std::int64_t>& dims,
                               const std::vector<float>& v)
            {
                return floats(name, dims, v.data());
            }
            // int64 constants; scalar: a 0-d tensor (Range's operands, Where's fill value)
            std::string ints(const std::string& name, const std::vector<std::int64_t>& v, bool scalar = false)
            {
                auto* t = g_->add_initializer();
                t->set_name(name);
                t->set_data_type(pb::TensorProto::INT64);
                if (!scalar)
                    t->add_dims(static_cast<std::int64_t>(v.size()));
                for (auto i : v)
                    t->add_int64_data(i);
                return name;
            }
            std::string float_scalar(const std::string& name, float v)
            {
                auto* t = g_->add_initializer();
                t->set_name(name);
                t->set_data_type(pb::TensorProto::FLOAT);
                t->add_float_data(v);
                return name;
            }

            pb::NodeProto* node(const std::string& op, const std::vector<std::string>& in,
                                const std::vector<std::string>& out)
            {
                auto* n = g_->add_node();
                n->set_op_type(op);
                n->set_name(fresh(op));
                for (const auto& s : in)
                    n->add_input(s);
                for (const auto& s : out)
                    n->add_output(s);
                return n;
            }
            // a node with one output named after its operator; returns the output's name
            std::string op(const std::string& op_type, const std::vector<std::string>& in,
                           pb::NodeProto** made = nullptr)
            {
                const std::string out = fresh(lower(op_type));
                pb::NodeProto* n = node(op_type, in, {out});
                if (made)
                    *made = n;
                return out;
            }

            void input(const std::string& name, int type, const std::vector<Dim>& dims, const std::string& doc)
            {
                value_info(g_->add_input(), name, type, dims, doc);
            }
            void output(const std::string& name, int type, const std::vector<Dim>& dims, const std::string& doc)
            {
                value_info(g_->add_output(), name, type, dims, doc);
            }

        private:
            static std::string lower(std::string s)
            {
                for (auto& ch : s)
                    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                return s;
            }
            static void value_info(pb::ValueInfoProto* v, const std::string& name, int type,
                                   const std::vector<Dim>& dims, const std::string& doc)
            {
                v->set_name(name);
                v->set_doc_string(doc);
                auto* tt = v->mutable_type()->mutable_tensor_type();
                tt->set_elem_type(type);
                auto* shape = tt->mutable_shape();
                for (const Dim& d : dims)
                {
                    auto* sd = shape->add_dim();
                    if (d.param)
                        sd->set_dim_param(d.param);
                    else
                        sd->set_dim_value(d.value);
                }
            }

            pb::GraphProto* g_;
            std::size_t count_ = 0;
        };

        // ---- the recurrent stack

        // xrnn's gate blocks (PyTorch's order) in ONNX's order: ONNX block k = xrnn block perm[k]
        std::vector<std::size_t> gate_order(CellKind k)
        {
            switch (k)
            {
            case CellKind::rnn: return {0};
            case CellKind::gru: return {1, 0, 2}; // r z n -> z r h
            case CellKind::lstm:
            case CellKind::lstm_peephole: return {0, 3, 1, 2}; // i f g o -> i o f c
            }
            detail::fail("ONNX export: unknown cell kind " + std::to_string(static_cast<int>(k)));
        }

        // Appends the gate blocks of src (H rows x cols each, xrnn order) to dst in ONNX order.
        void append_blocks(std::vector<float>& dst, const float* src, const std::vector<std::size_t>& order,
                           std::size_t H, std::size_t cols)
        {
            for (std::size_t b : order)
                dst.insert(dst.end(), src + b * H * cols, src + (b + 1) * H * cols);
        }

        // The operator's activation list for one direction, in ONNX's (f, g, h) order.
        std::vector<Activation> direction_activations(const RecurrentConfig& c)
        {
            switch (c.cell)
            {
            case CellKind::rnn: return {c.activation};
            case CellKind::gru: return {c.recurrent_activation, c.activation};
            case CellKind::lstm:
            case CellKind::lstm_peephole: return {c.recurrent_activation, c.activation, c.activation};
            }
            return {};
        }

        OnnxActivation checked_activation(const Activation& a, const RecurrentConfig& c, bool gate)
        {
            try
            {
                return onnx_activation(a);
            }
            catch (const std::invalid_argument& e)
            {
                const std::string what = e.what();
                const std::string role = gate ? "recurrent_activation (gates)" : "activation (candidate)";
                detail::fail(what.substr(what.rfind("xrnn: ", 0) == 0 ? 6 : 0) + " (it is the " + cell_name(c.cell)
                             + " stack's " + role + ")");
            }
        }

        void check_stack(const RecurrentConfig& c)
        {
            if (c.cell != CellKind::rnn)
                checked_activation(c.recurrent_activation, c, true);
            checked_activation(c.activation, c, false);
        }

        struct StackOut
        {
            std::string y;                 // (T, B, D*H)
            std::vector<std::string> h, c; // per layer: (D, B, H), the final state (ONNX Y_h, Y_c)
        };

        // x (T, B, I) through every layer. lens: sequence_lens (B) int32 or ""; h0, c0:
        // (L*D, B, H) in xrnn's state order or "".
        StackOut add_stack(Graph& g, const Recurrent<float>& rnn, std::string x, const std::string& lens,
                           const std::string& h0, const std::string& c0)
        {
            const RecurrentConfig& c = rnn.config();
            const CellTraits& tr = rnn.traits();
            const std::size_t D = rnn.directions(), H = c.hidden_size, G = tr.gates;
            const std::vector<std::size_t> order = gate_order(c.cell);
            const bool peephole = c.cell == CellKind::lstm_peephole;
            const char* op = c.cell == CellKind::rnn ? "RNN" : c.cell == CellKind::gru ? "GRU" : "LSTM";

            std::vector<std::string> acts;
            std::vector<float> alphas, betas;
            for (std::size_t d = 0; d < D; ++d)
                for (std::size_t k = 0; k < direction_activations(c).size(); ++k)
                {
                    const bool gate = c.cell != CellKind::rnn && k == 0;
                    const OnnxActivation a = checked_activation(direction_activations(c)[k], c, gate);
                    acts.push_back(a.name);
                    // ONNX Runtime's RNN reads alpha[direction], its GRU/LSTM consume one value per
                    // activation that takes one (rnn_helpers.cc, ActivationFuncs)
                    if (c.cell == CellKind::rnn || a.has_alpha)
                        alphas.push_back(a.alpha);
                    if (c.cell == CellKind::rnn || a.has_beta)
                        betas.push_back(a.beta);
                }

            StackOut out;
            std::size_t I = c.input_size;
            for (std::size_t l = 0; l < c.num_layers; ++l)
            {
                const std::string sfx = "_l" + std::to_string(l);
                std::vector<float> W, R, Bv, P;
                for (std::size_t d = 0; d < D; ++d)
                {
                    const std::size_t u = l * D + d;
                    const ParamSet<float>& ps = rnn.params();
                    append_blocks(W, ps.value(rnn.tensor_index(u, 0)), order, H, I);
                    append_blocks(R, ps.value(rnn.tensor_index(u, 1)), order, H, H);
                    append_blocks(Bv, ps.value(rnn.tensor_index(u, 2)), order, H, 1);
                    append_blocks(Bv, ps.value(rnn.tensor_index(u, 3)), order, H, 1);
                    if (peephole) // xrnn i f o -> ONNX i o f
                        append_blocks(P, ps.value(rnn.tensor_index(u, 4)), {0, 2, 1}, H, 1);
                }
                const auto iD = static_cast<std::int64_t>(D), iH = static_cast<std::int64_t>(H),
                           iG = static_cast<std::int64_t>(G), iI = static_cast<std::int64_t>(I);
                std::vector<std::string> in{x, g.floats("rnn.W" + sfx, {iD, iG * iH, iI}, W),
                                            g.floats("rnn.R" + sfx, {iD, iG * iH, iH}, R),
                                            g.floats("rnn.B" + sfx, {iD, 2 * iG * iH}, Bv), lens};
                // this layer's initial state: rows [l*D, (l+1)*D) of h0 / c0
                auto slice = [&](const std::string& s) {
                    if (s.empty())
                        return std::string();
                    return g.op("Slice", {s, g.ints(g.fresh("start" + sfx), {static_cast<std::int64_t>(l * D)}),
                                          g.ints(g.fresh("end" + sfx), {static_cast<std::int64_t>((l + 1) * D)}),
                                          g.ints(g.fresh("axis0"), {0})});
                };
                in.push_back(slice(h0));
                if (tr.cell_state)
                    in.push_back(slice(c0));
                if (peephole)
                    in.push_back(g.floats("rnn.P" + sfx, {iD, 3 * iH}, P));
                while (!in.empty() && in.back().empty()) // trailing optional inputs are left out
                    in.pop_back();

                const std::string y = "rnn.Y" + sfx, yh = "rnn.Y_h" + sfx, yc = "rnn.Y_c" + sfx;
                std::vector<std::string> outs{y, yh};
                if (tr.cell_state)
                    outs.push_back(yc);
                pb::NodeProto* n = g.node(op, in, outs);
                set_attr(n, "hidden_size", iH);
                set_attr(n, "direction", std::string(D == 2 ? "bidirectional" : "forward"));
                set_attr(n, "activations", acts);
                if (!alphas.empty())
                    set_attr(n, "activation_alpha", alphas);
                if (!betas.empty())
                    set_attr(n, "activation_beta", betas);
                if (c.cell == CellKind::gru)
                    set_attr(n, "linear_before_reset", std::int64_t(1));
                out.h.push_back(yh);
                if (tr.cell_state)
                    out.c.push_back(yc);

                // Y (T, D, B, H) -> (T, B, D*H), forward direction first
                if (D == 1)
                    x = g.op("Squeeze", {y, g.ints(g.fresh("axis1"), {1})});
                else
                {
                    pb::NodeProto* t = nullptr;
                    const std::string yt = g.op("Transpose", {y}, &t);
                    set_attr(t, "perm", std::vector<std::int64_t>{0, 2, 1, 3});
                    x = g.op("Reshape", {yt, g.ints(g.fresh("shape_tb"), {0, 0, -1})});
                }
                I = D * H;
            }
            out.y = x;
            return out;
        }

        // y (N..., K) W^T + b for a Linear's weight (C, K) and bias (C); any leading dims.
        std::string add_linear(Graph& g, const std::string& x, const std::string& name, const ParamSet<float>& ps,
                               const std::string& wname, const std::string& bname)
        {
            const ParamInfo& wi = ps.table()[ps.index(wname)];
            const std::size_t C = wi.shape[0], K = wi.shape[1];
            const float* w = ps.value(ps.index(wname));
            std::vector<float> wt(K * C); // (K, C): MatMul's right operand
            for (std::size_t i = 0; i < C; ++i)
                for (std::size_t j = 0; j < K; ++j)
                    wt[j * C + i] = w[i * K + j];
            const std::string W = g.floats(name + ".weight_t", {std::int64_t(K), std::int64_t(C)}, wt);
            const std::string B = g.floats(name + ".bias", {std::int64_t(C)}, ps.value(ps.index(bname)));
            return g.op("Add", {g.op("MatMul", {x, W}), B});
        }

        void add_softmax(Graph& g, const std::string& logits, const std::string& out)
        {
            set_attr(g.node("Softmax", {logits}, {out}), "axis", std::int64_t(-1));
        }

        // Steps before each length: b (T, B) bool and f (T, B, 1) float, from x (T, B, ...) and
        // lengths (B) int32
        struct Mask
        {
            std::string b, f;
        };
        Mask add_mask(Graph& g, const std::string& x, const std::string& lengths)
        {
            const std::string zero = g.ints(g.fresh("zero"), {0}, true);
            const std::string steps = g.op("Gather", {g.op("Shape", {x}), zero});
            const std::string t = g.op("Range", {zero, steps, g.ints(g.fresh("one"), {1}, true)});
            const std::string tcol = g.op("Unsqueeze", {t, g.ints(g.fresh("axis1"), {1})}); // (T, 1)
            pb::NodeProto* cast = nullptr;
            const std::string len64 = g.op("Cast", {lengths}, &cast);
            set_attr(cast, "to", std::int64_t(pb::TensorProto::INT64));
            const std::string lrow = g.op("Unsqueeze", {len64, g.ints(g.fresh("axis0"), {0})}); // (1, B)
            Mask m;
            m.b = g.op("Less", {tcol, lrow});
            pb::NodeProto* castf = nullptr;
            const std::string mf = g.op("Cast", {m.b}, &castf);
            set_attr(castf, "to", std::int64_t(pb::TensorProto::FLOAT));
            m.f = g.op("Unsqueeze", {mf, g.ints(g.fresh("axis2"), {2})});
            return m;
        }

        pb::ModelProto new_model(const std::string& doc)
        {
            pb::ModelProto m;
            m.set_ir_version(kIrVersion);
            m.set_producer_name("xrnn");
            m.set_producer_version("0.1.0");
            m.set_doc_string(doc);
            auto* os = m.add_opset_import();
            os->set_domain("");
            os->set_version(kOpset);
            return m;
        }

        void add_meta(pb::ModelProto& m, const std::string& key, const std::string& value)
        {
            auto* p = m.add_metadata_props();
            p->set_key(key);
            p->set_value(value);
        }

        // Serialized into path.tmp-<pid>, renamed to path when complete.
        void write_model(const pb::ModelProto& m, const std::string& path)
        {
            XRNN_CHECK(!path.empty(), "ONNX export: empty output path");
            const std::size_t bytes = m.ByteSizeLong();
            XRNN_CHECK(bytes < std::size_t(INT_MAX),
                       "ONNX export: the model needs " + std::to_string(bytes)
                           + " bytes, past protobuf's 2 GB limit (ONNX's external-data form is not written)");
            const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
            bool ok = false;
            {
                std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
                ok = f && m.SerializeToOstream(&f);
                f.close();
                ok = ok && !f.fail();
            }
            const int err = errno;
            if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0)
            {
                const int e = ok ? errno : err;
                std::remove(tmp.c_str());
                throw std::runtime_error("xrnn: cannot write " + path + ": " + std::strerror(e));
            }
        }

        const char* state_doc = "(num_layers * directions, B, hidden_size), PyTorch's order: layer 0 forward, "
                                "layer 0 reverse, layer 1 forward, ...";
    }

    // ---------------------------------------------------------------------------------------
    void export_recurrent(const Recurrent<float>& rnn, const std::string& path)
    {
        const RecurrentConfig& rc = rnn.config();
        check_stack(rc);
        const auto I = static_cast<std::int64_t>(rc.input_size), H = static_cast<std::int64_t>(rc.hidden_size),
                   U = static_cast<std::int64_t>(rnn.units()), R = static_cast<std::int64_t>(rnn.output_size());
        const bool has_c = rnn.traits().cell_state;
        pb::ModelProto m = new_model("xrnn recurrent stack: " + cell_name(rc.cell) + " x" + std::to_string(rc.num_layers)
                                     + (rc.bidirectional ? " bidirectional" : ""));
        Graph g(m.mutable_graph());
        m.mutable_graph()->set_name("xrnn_recurrent");
        g.input("x", pb::TensorProto::FLOAT, {"T", "B", I}, "(T, B, input_size) time-major");
        g.input("lengths", pb::TensorProto::INT32, {"B"}, "(B) steps of each sequence, 1..T");
        g.input("h0", pb::TensorProto::FLOAT, {U, "B", H}, std::string("initial hidden state ") + state_doc);
        if (has_c)
            g.input("c0", pb::TensorProto::FLOAT, {U, "B", H}, std::string("initial cell state ") + state_doc);
        const StackOut s = add_stack(g, rnn, "x", "lengths", "h0", has_c ? "c0" : "");
        const Mask mask = add_mask(g, "x", "lengths"); // xrnn's outputs past a length are zero
        g.node("Mul", {s.y, mask.f}, {"y"});
        g.output("y", pb::TensorProto::FLOAT, {"T", "B", R}, "(T, B, directions * hidden_size), zero past a length");
        set_attr(g.node("Concat", s.h, {"hn"}), "axis", std::int64_t(0));
        g.output("hn", pb::TensorProto::FLOAT, {U, "B", H}, std::string("final hidden state ") + state_doc);
        if (has_c)
        {
            set_attr(g.node("Concat", s.c, {"cn"}), "axis", std::int64_t(0));
            g.output("cn", pb::TensorProto::FLOAT, {U, "B", H}, std::string("final cell state ") + state_doc);
        }
        add_meta(m, "xrnn.kind", "recurrent");
        add_meta(m, "xrnn.cell", cell_name(rc.cell));
        add_meta(m, "xrnn.activation", activation_name(rc.activation));
        add_meta(m, "xrnn.recurrent_activation", activation_name(rc.recurrent_activation));
        write_model(m, path);
    }

    // ---------------------------------------------------------------------------------------
    void export_char_model(const LoadedCharModel& lm, const std::string& path, bool state_io)
    {
        XRNN_CHECK(lm.model != nullptr, "ONNX export: the char-LM has no model");
        const CharModel<float>& cm = *lm.model;
        const CharModelConfig& cfg = cm.config();
        const Recurrent<float>& rnn = cm.rnn();
        const RecurrentConfig& rc = rnn.config();
        check_stack(rc);
        XRNN_CHECK(!rc.bidirectional, "ONNX export: a char-LM is unidirectional (its head reads hidden_size values)");
        const auto V = static_cast<std::int64_t>(cfg.vocab_size), E = static_cast<std::int64_t>(cfg.embed_size),
                   H = static_cast<std::int64_t>(rc.hidden_size), L = static_cast<std::int64_t>(rc.num_layers);
        const bool has_c = rnn.traits().cell_state;

        pb::ModelProto m = new_model("xrnn char-level language model: embedding -> " + cell_name(rc.cell) + " x"
                                     + std::to_string(L) + " -> linear head -> softmax");
        Graph g(m.mutable_graph());
        m.mutable_graph()->set_name("xrnn_charlm");
        g.input("tokens", pb::TensorProto::INT64, {"T", "B"}, "(T, B) token ids 0..V-1, time-major (xrnn.vocab: their bytes)");
        std::string h0, c0;
        if (state_io)
        {
            h0 = "h0";
            g.input(h0, pb::TensorProto::FLOAT, {L, "B", H}, std::string("initial hidden state ") + state_doc);
            if (has_c)
            {
                c0 = "c0";
                g.input(c0, pb::TensorProto::FLOAT, {L, "B", H}, std::string("initial cell state ") + state_doc);
            }
        }
        // CharModel has no const own_params(); nothing here writes through it
        const ParamSet<float>& own = const_cast<CharModel<float>&>(cm).own_params();
        const std::string emb = g.op(
            "Gather", {g.floats("embedding.weight", {V, E}, own.value(own.index("embedding.weight"))), "tokens"});
        const StackOut s = add_stack(g, rnn, emb, "", h0, c0);
        const std::string logits_t = add_linear(g, s.y, "head", own, "head.weight", "head.bias");
        g.node("Identity", {logits_t}, {"logits"});
        add_softmax(g, "logits", "probabilities");
        g.output("logits", pb::TensorProto::FLOAT, {"T", "B", V}, "(T, B, V) next-token logits");
        g.output("probabilities", pb::TensorProto::FLOAT, {"T", "B", V}, "(T, B, V) softmax of the logits");
        if (state_io)
        {
            pb::NodeProto* n = g.node("Concat", s.h, {"hn"});
            set_attr(n, "axis", std::int64_t(0));
            g.output("hn", pb::TensorProto::FLOAT, {L, "B", H}, std::string("final hidden state ") + state_doc);
            if (has_c)
            {
                set_attr(g.node("Concat", s.c, {"cn"}), "axis", std::int64_t(0));
                g.output("cn", pb::TensorProto::FLOAT, {L, "B", H}, std::string("final cell state ") + state_doc);
            }
        }
        json vocab = json::array();
        for (auto b : lm.vocab.symbols())
            vocab.push_back(int(b));
        add_meta(m, "xrnn.kind", "charlm");
        add_meta(m, "xrnn.vocab", vocab.dump());
        add_meta(m, "xrnn.cell", cell_name(rc.cell));
        add_meta(m, "xrnn.activation", activation_name(rc.activation));
        add_meta(m, "xrnn.recurrent_activation", activation_name(rc.recurrent_activation));
        write_model(m, path);
    }

    // ---------------------------------------------------------------------------------------
    void export_seq_model(const seq::SavedModel& sm, const std::string& path)
    {
        XRNN_CHECK(sm.model != nullptr, "ONNX export: the xrnn-seq model has no model");
        const seq::SeqModel<float>& model = *sm.model;
        const seq::SeqModelConfig& c = model.config();
        const Recurrent<float>& rnn = model.rnn();
        const RecurrentConfig& rc = rnn.config();
        check_stack(rc);
        const ParamSet<float>& own = model.own_params();
        const auto F = static_cast<std::int64_t>(c.features), C = static_cast<std::int64_t>(c.outputs);
        const bool standardize = !sm.standardizer.mean.empty();
        XRNN_CHECK(!standardize
                       || (sm.standardizer.mean.size() == c.features && sm.standardizer.std.size() == c.features),
                   "ONNX export: the standardizer has " + std::to_string(sm.standardizer.mean.size()) + " means and "
                       + std::to_string(sm.standardizer.std.size()) + " deviations for a model reading "
                       + std::to_string(c.features) + " features");

        pb::ModelProto m = new_model(std::string("xrnn-seq model, task ") + seq::task_name(c.task) + ": "
                                     + (standardize ? "standardizer -> " : "") + seq::input_layer_name(c.input)
                                     + " input -> " + cell_name(rc.cell) + " x" + std::to_string(rc.num_layers)
                                     + (rc.bidirectional ? " bidirectional" : "") + " -> head");
        Graph g(m.mutable_graph());
        m.mutable_graph()->set_name("xrnn_seq");
        g.input("x", pb::TensorProto::FLOAT, {"T", "B", F},
                c.input == seq::InputLayer::embedding
                    ? "(T, B, 1) token ids 0..vocab-1 as floats, time-major; steps past a length are ignored"
                    : "(T, B, features) time-major, raw (the model standardizes); steps past a length are ignored");
        g.input("lengths", pb::TensorProto::INT32, {"B"}, "(B) steps of each sequence, 1..T");

        // mask (T, B) and (T, B, 1) as floats: step t < lengths[b]; built when something needs it
        Mask mask;
        auto need_mask = [&] {
            if (mask.b.empty())
                mask = add_mask(g, "x", "lengths");
        };

        // ---- standardizer and input layer
        std::string x = "x";
        if (standardize)
            x = g.op("Div", {g.op("Sub", {x, g.floats("standardizer.mean", {F}, sm.standardizer.mean)}),
                             g.floats("standardizer.std", {F}, sm.standardizer.std)});
        if (c.input == seq::InputLayer::linear)
            x = add_linear(g, x, "input", own, "input.weight", "input.bias");
        else if (c.input == seq::InputLayer::embedding)
        {
            need_mask();
            pb::NodeProto* cast = nullptr;
            const std::string ids = g.op("Cast", {g.op("Squeeze", {x, g.ints(g.fresh("axis2"), {2})})}, &cast);
            set_attr(cast, "to", std::int64_t(pb::TensorProto::INT64));
            // padding may hold anything, as in xrnn: id 0 there keeps Gather in range
            const std::string safe = g.op("Where", {mask.b, ids, g.ints("zero_id", {0}, true)});
            const std::size_t wi = own.index("embedding.weight");
            x = g.op("Gather", {g.floats("embedding.weight",
                                         {std::int64_t(own.table()[wi].shape[0]), std::int64_t(own.table()[wi].shape[1])},
                                         own.value(wi)),
                                safe});
        }

        // ---- stack
        const StackOut s = add_stack(g, rnn, x, "lengths", "", "");

        // ---- head
        const bool per_step = c.task == seq::Task::tag || c.task == seq::Task::ctc;
        std::string head_in;
        if (per_step)
        {
            need_mask(); // ONNX leaves Y past a length to the runtime; xrnn's is zero
            head_in = g.op("Mul", {s.y, mask.f});
        }
        else if (c.pool == PoolKind::last)
        {
            // the top layer's final state per direction (D, B, H) -> (B, D*H)
            pb::NodeProto* t = nullptr;
            const std::string ht = g.op("Transpose", {s.h.back()}, &t);
            set_attr(t, "perm", std::vector<std::int64_t>{1, 0, 2});
            head_in = g.op("Reshape", {ht, g.ints("shape_b", {0, -1})});
        }
        else if (c.pool == PoolKind::mean)
        {
            need_mask();
            pb::NodeProto* r = nullptr;
            const std::string sum = g.op("ReduceSum", {g.op("Mul", {s.y, mask.f}), g.ints("axis0_sum", {0})}, &r);
            set_attr(r, "keepdims", std::int64_t(0));
            pb::NodeProto* cast = nullptr;
            const std::string lf = g.op("Cast", {"lengths"}, &cast);
            set_attr(cast, "to", std::int64_t(pb::TensorProto::FLOAT));
            head_in = g.op("Div", {sum, g.op("Unsqueeze", {lf, g.ints(g.fresh("axis1"), {1})})});
        }
        else
        {
            need_mask();
            const std::string m3 = g.op("Unsqueeze", {mask.b, g.ints(g.fresh("axis2"), {2})});
            const std::string masked =
                g.op("Where", {m3, s.y, g.float_scalar("minus_inf", -std::numeric_limits<float>::infinity())});
            pb::NodeProto* r = nullptr;
            head_in = g.op("ReduceMax", {masked}, &r); // opset 17: axes is an attribute
            set_attr(r, "axes", std::vector<std::int64_t>{0});
            set_attr(r, "keepdims", std::int64_t(0));
        }
        const std::string out = add_linear(g, head_in, "head", own, "head.weight", "head.bias");
        const std::vector<Dim> out_dims = per_step ? std::vector<Dim>{"T", "B", C} : std::vector<Dim>{"B", C};
        if (c.task == seq::Task::regress)
        {
            g.node("Identity", {out}, {"predictions"});
            g.output("predictions", pb::TensorProto::FLOAT, out_dims, "(B, targets) predicted values");
        }
        else
        {
            g.node("Identity", {out}, {"logits"});
            add_softmax(g, "logits", "probabilities");
            const std::string what = c.task == seq::Task::ctc ? " (class 0 = the CTC blank)" : "";
            g.output("logits", pb::TensorProto::FLOAT, out_dims, "class logits" + what);
            g.output("probabilities", pb::TensorProto::FLOAT, out_dims, "softmax over the classes" + what);
        }
        add_meta(m, "xrnn.kind", "seq");
        add_meta(m, "xrnn.task", seq::task_name(c.task));
        add_meta(m, "xrnn.model", seq::model_config_json(c));
        add_meta(m, "xrnn.classes", json(sm.classes.names()).dump());
        write_model(m, path);
    }
}
