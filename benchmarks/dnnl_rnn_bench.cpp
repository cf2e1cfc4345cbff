// benchmarks/dnnl_rnn_bench.cpp -- dnnl-rnn-bench: the recurrent-layer training step of xrnn
// against oneDNN's RNN primitives (issue 13), with a check that both compute the same numbers.
//
// One step, both sides, from the same weights and inputs: a stack of L layers (input I,
// hidden H) over a fixed random x (T, B, I), zero initial state, forward through time, then
// backward through time with a fixed random dy (T, B, D*H) and dL/dsT (random dhT, dcT), giving
// every gradient: weights, biases, dx and d state_0 (h, and c for the LSTM). No loss and no
// optimizer: the layer step alone.
//   xrnn:   params().zero_grad(); Recurrent<float>::forward(x, {}, y, sT);
//           backward(dy, dsT, dx, ds0).
//   oneDNN: per primitive, reorder the (changed every training step) user weights, ldigo, into
//           the forward primitive's layout; forward_training; reorder them into the backward
//           primitive's layout; zero the diff weights (oneDNN 2.6 accumulates into them);
//           backward (data and weights in one primitive). vanilla_rnn (tanh), lstm, lbr_gru.
//           A unidirectional stack (I = H) is one primitive of L layers; a bidirectional one is
//           one bidirectional_concat primitive per layer (layer 0 reads I != 2H channels).
// Weights come from xrnn's initialisation (seed 0) in PyTorch's layout and are converted:
// weight_ih_l{k} (G*H, In) -> weights_layer (In, G, H), the same for weight_hh; the bias is
// b_ih + b_hh, except that lbr_gru has a fourth bias gate that takes b_hn alone. Gate order:
// LSTM i, f, g, o in both; GRU PyTorch r, z, n against oneDNN u (= z), r, o (= n).
//
// Before timing, every output (y, hT, cT) and gradient of the two sides is compared:
// max|xrnn - oneDNN| / max|oneDNN| per tensor, printed, and the config fails above --tol.
// Timing: warm-up, then per repeat xrnn, oneDNN, xrnn with non-default activations
// (hard_sigmoid gates with a relu, then a softsign candidate; oneDNN has no such cells), each
// for >= --seconds after one untimed step; medians over --repeats. tokens/s = B * T per step.
// Threads: xrnn::blas::set_threads (xrnn's own pool and OpenBLAS); oneDNN as built by Debian
// runs on OpenMP (libgomp), set with omp_set_num_threads from --threads.
// Not here: PyTorch (benchmarks/compare_torch.sh), variable lengths (xrnn-seq-bench).
#include <xrnn/blas.hpp>
#include <xrnn/bptt.hpp>
#include <xrnn/random.hpp>

#include <CLI/CLI.hpp>
#include <oneapi/dnnl/dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

extern "C" char* openblas_get_corename(); // OpenBLAS's own; <cblas.h> clashes with xtensor-blas

namespace
{
    using tag = dnnl::memory::format_tag;
    using dt = dnnl::memory::data_type;
    using dnnl::memory;

    struct BenchConfig
    {
        std::string cell; // rnn, gru, lstm
        std::size_t H, L, B, T, I;
        bool bidirectional;
        std::string label() const
        {
            char s[96];
            std::snprintf(s, sizeof s, "%s%s %zu %zu %zu %zu%s", bidirectional ? "bi-" : "", cell.c_str(), H, L, B,
                          T, I == H ? "" : (" (I " + std::to_string(I) + ")").c_str());
            return s;
        }
    };

    // ---- layout conversion between PyTorch's (G*H, In) weights and oneDNN's ldigo / ldgo

    // perm[g'] = the PyTorch gate stored in oneDNN's gate slot g'
    std::vector<std::size_t> gate_perm(const std::string& cell, std::size_t G)
    {
        if (cell == "gru")
            return {1, 0, 2}; // oneDNN u, r, o <- PyTorch z, r, n
        std::vector<std::size_t> p(G);
        for (std::size_t g = 0; g < G; ++g)
            p[g] = g;
        return p;
    }

    // w (G*H, In) PyTorch -> out (In, G, H) of one (layer, direction) of ldigo
    void to_igo(const float* w, float* out, std::size_t In, std::size_t G, std::size_t H,
                const std::vector<std::size_t>& perm)
    {
        for (std::size_t i = 0; i < In; ++i)
            for (std::size_t g = 0; g < G; ++g)
                for (std::size_t o = 0; o < H; ++o)
                    out[(i * G + g) * H + o] = w[(perm[g] * H + o) * In + i];
    }

    void from_igo(const float* in, float* w, std::size_t In, std::size_t G, std::size_t H,
                  const std::vector<std::size_t>& perm)
    {
        for (std::size_t i = 0; i < In; ++i)
            for (std::size_t g = 0; g < G; ++g)
                for (std::size_t o = 0; o < H; ++o)
                    w[(perm[g] * H + o) * In + i] = in[(i * G + g) * H + o];
    }

    float* ptr(const memory& m) { return static_cast<float*>(m.get_data_handle()); }
    memory::desc md(const memory::dims& d, tag t) { return memory::desc(d, dt::f32, t); }

    // ---- oneDNN: one RNN primitive pair over layers [l0, l0 + L) of the stack

    struct Segment
    {
        std::size_t l0, L, D, In, H, G, GB;
        memory w_layer, w_iter, bias, dw_layer, dw_iter, dbias; // user: ldigo, ldgo
        memory src_layer, src_iter, src_iter_c, dst_layer, dst_iter, dst_iter_c, workspace;
        memory diff_src_layer, diff_src_iter, diff_src_iter_c, diff_dst_layer, diff_dst_iter, diff_dst_iter_c;
        memory fw_layer, fw_iter, bw_layer, bw_iter, bdw_layer, bdw_iter; // the primitives' layouts
        bool re_fl = false, re_fi = false, re_bl = false, re_bi = false, re_dl = false, re_di = false;
        dnnl::primitive fwd, bwd;
        std::string fwd_impl, bwd_impl;
    };

    memory relayout(const memory& user, const memory::desc& want, const dnnl::engine& eng, bool& needed)
    {
        needed = !(user.get_desc() == want);
        return needed ? memory(want, eng) : user;
    }

    class DnnlStack
    {
    public:
        DnnlStack(const BenchConfig& c, dnnl::engine& eng, dnnl::stream& s, const float* x, const float* dy,
                  const float* dhT, const float* dcT)
            : c_(c), eng_(eng), s_(s)
        {
            const bool lstm = c.cell == "lstm", gru = c.cell == "gru";
            G_ = lstm ? 4 : gru ? 3 : 1;
            const std::size_t GB = gru ? 4 : G_; // lbr_gru's extra bias gate
            const std::size_t D = c.bidirectional ? 2 : 1;
            const auto dir = D == 2 ? dnnl::rnn_direction::bidirectional_concat
                                    : dnnl::rnn_direction::unidirectional_left2right;
            // a unidirectional stack with I = H is one primitive; otherwise one per layer
            const std::size_t per = (D == 1 && c.I == c.H) ? c.L : 1;
            const memory::dim T = c.T, B = c.B, H = c.H;
            for (std::size_t l0 = 0; l0 < c.L; l0 += per)
            {
                Segment sg;
                sg.l0 = l0;
                sg.L = per;
                sg.D = D;
                sg.In = l0 == 0 ? c.I : D * c.H;
                sg.H = c.H;
                sg.G = G_;
                sg.GB = GB;
                const memory::dim L = per, Dd = D, In = sg.In, G = G_, Gb = GB;
                const auto src_md = md({T, B, In}, tag::tnc), dst_md = md({T, B, Dd * H}, tag::tnc);
                const auto iter_md = md({L, Dd, B, H}, tag::ldnc);
                const auto wl_md = md({L, Dd, In, G, H}, tag::ldigo), wi_md = md({L, Dd, H, G, H}, tag::ldigo);
                const auto b_md = md({L, Dd, Gb, H}, tag::ldgo);
                const auto wl_any = md({L, Dd, In, G, H}, tag::any), wi_any = md({L, Dd, H, G, H}, tag::any);
                sg.w_layer = memory(wl_md, eng);
                sg.w_iter = memory(wi_md, eng);
                sg.bias = memory(b_md, eng);
                sg.dw_layer = memory(wl_md, eng);
                sg.dw_iter = memory(wi_md, eng);
                sg.dbias = memory(b_md, eng);
                // layer input: x, or the previous segment's output (the same buffer)
                sg.src_layer = l0 == 0 ? memory(src_md, eng, const_cast<float*>(x))
                                       : memory(src_md, eng, segs_.back().dst_layer.get_data_handle());
                sg.dst_layer = memory(dst_md, eng);
                sg.src_iter = memory(iter_md, eng);
                sg.dst_iter = memory(iter_md, eng);
                sg.diff_src_layer = memory(src_md, eng);
                sg.diff_src_iter = memory(iter_md, eng);
                // dL/dsT rows of these layers: xrnn's (L*D, B, H) is oneDNN's ldnc
                sg.diff_dst_iter = memory(iter_md, eng, const_cast<float*>(dhT + l0 * D * c.B * c.H));
                std::memset(ptr(sg.src_iter), 0, sizeof(float) * per * D * c.B * c.H);
                if (lstm)
                {
                    sg.src_iter_c = memory(iter_md, eng);
                    sg.dst_iter_c = memory(iter_md, eng);
                    sg.diff_src_iter_c = memory(iter_md, eng);
                    sg.diff_dst_iter_c = memory(iter_md, eng, const_cast<float*>(dcT + l0 * D * c.B * c.H));
                    std::memset(ptr(sg.src_iter_c), 0, sizeof(float) * per * D * c.B * c.H);
                }
                const auto fp = dnnl::prop_kind::forward_training;
                const auto bp = dnnl::prop_kind::backward;
                if (lstm)
                {
                    dnnl::lstm_forward::desc fd(fp, dir, src_md, iter_md, iter_md, wl_any, wi_any, b_md, dst_md,
                                                iter_md, iter_md);
                    dnnl::lstm_forward::primitive_desc fpd(fd, eng);
                    dnnl::lstm_backward::desc bd(bp, dir, src_md, iter_md, iter_md, wl_any, wi_any, b_md, dst_md,
                                                 iter_md, iter_md, src_md, iter_md, iter_md, wl_any, wi_any, b_md,
                                                 dst_md, iter_md, iter_md);
                    dnnl::lstm_backward::primitive_desc bpd(bd, eng, fpd);
                    finish(sg, fpd, bpd);
                }
                else if (gru)
                {
                    dnnl::lbr_gru_forward::desc fd(fp, dir, src_md, iter_md, wl_any, wi_any, b_md, dst_md, iter_md);
                    dnnl::lbr_gru_forward::primitive_desc fpd(fd, eng);
                    dnnl::lbr_gru_backward::desc bd(bp, dir, src_md, iter_md, wl_any, wi_any, b_md, dst_md, iter_md,
                                                    src_md, iter_md, wl_any, wi_any, b_md, dst_md, iter_md);
                    dnnl::lbr_gru_backward::primitive_desc bpd(bd, eng, fpd);
                    finish(sg, fpd, bpd);
                }
                else
                {
                    const auto act = dnnl::algorithm::eltwise_tanh;
                    dnnl::vanilla_rnn_forward::desc fd(fp, act, dir, src_md, iter_md, wl_any, wi_any, b_md, dst_md,
                                                       iter_md);
                    dnnl::vanilla_rnn_forward::primitive_desc fpd(fd, eng);
                    dnnl::vanilla_rnn_backward::desc bd(bp, act, dir, src_md, iter_md, wl_any, wi_any, b_md, dst_md,
                                                        iter_md, src_md, iter_md, wl_any, wi_any, b_md, dst_md,
                                                        iter_md);
                    dnnl::vanilla_rnn_backward::primitive_desc bpd(bd, eng, fpd);
                    finish(sg, fpd, bpd);
                }
                segs_.push_back(std::move(sg));
            }
            // the top segment's output gradient is dy; below, the upper segment's input gradient
            for (std::size_t k = segs_.size(); k-- > 0;)
            {
                auto& sg = segs_[k];
                const auto d = md({T, B, memory::dim(sg.D * c.H)}, tag::tnc);
                sg.diff_dst_layer = k + 1 == segs_.size() ? memory(d, eng, const_cast<float*>(dy))
                                                          : memory(d, eng, segs_[k + 1].diff_src_layer.get_data_handle());
            }
        }

        // PyTorch-layout parameters of the xrnn stack -> oneDNN's user weights
        void set_weights(const xrnn::ParamSet<float>& p)
        {
            const auto perm = gate_perm(c_.cell, G_);
            for (auto& sg : segs_)
            {
                for (std::size_t l = sg.l0; l < sg.l0 + sg.L; ++l)
                    for (std::size_t d = 0; d < sg.D; ++d)
                    {
                        const std::string sfx = "_l" + std::to_string(l) + (d ? "_reverse" : "");
                        const std::size_t u = (l - sg.l0) * sg.D + d, H = sg.H;
                        to_igo(p.value(p.index("weight_ih" + sfx)), ptr(sg.w_layer) + u * sg.In * sg.G * H, sg.In,
                               sg.G, H, perm);
                        to_igo(p.value(p.index("weight_hh" + sfx)), ptr(sg.w_iter) + u * H * sg.G * H, H, sg.G, H,
                               perm);
                        const float* bih = p.value(p.index("bias_ih" + sfx));
                        const float* bhh = p.value(p.index("bias_hh" + sfx));
                        float* b = ptr(sg.bias) + u * sg.GB * H;
                        for (std::size_t g = 0; g < sg.G; ++g)
                            for (std::size_t o = 0; o < H; ++o)
                            {
                                const std::size_t src = perm[g] * H + o;
                                const bool lbr_n = sg.GB > sg.G && g == 2; // b_in here, b_hn in gate 3
                                b[g * H + o] = bih[src] + (lbr_n ? 0.0f : bhh[src]);
                                if (lbr_n)
                                    b[3 * H + o] = bhh[src];
                            }
                    }
            }
        }

        // oneDNN's parameter gradients in PyTorch's layout, into a ParamSet's grads
        void get_grads(xrnn::ParamSet<float>& p) const
        {
            const auto perm = gate_perm(c_.cell, G_);
            for (const auto& sg : segs_)
                for (std::size_t l = sg.l0; l < sg.l0 + sg.L; ++l)
                    for (std::size_t d = 0; d < sg.D; ++d)
                    {
                        const std::string sfx = "_l" + std::to_string(l) + (d ? "_reverse" : "");
                        const std::size_t u = (l - sg.l0) * sg.D + d, H = sg.H;
                        from_igo(ptr(sg.dw_layer) + u * sg.In * sg.G * H, p.grad(p.index("weight_ih" + sfx)), sg.In,
                                 sg.G, H, perm);
                        from_igo(ptr(sg.dw_iter) + u * H * sg.G * H, p.grad(p.index("weight_hh" + sfx)), H, sg.G, H,
                                 perm);
                        float* bih = p.grad(p.index("bias_ih" + sfx));
                        float* bhh = p.grad(p.index("bias_hh" + sfx));
                        const float* b = ptr(sg.dbias) + u * sg.GB * H;
                        for (std::size_t g = 0; g < sg.G; ++g)
                            for (std::size_t o = 0; o < H; ++o)
                            {
                                const std::size_t dst = perm[g] * H + o;
                                const bool lbr_n = sg.GB > sg.G && g == 2;
                                bih[dst] = b[g * H + o];
                                bhh[dst] = lbr_n ? b[3 * H + o] : b[g * H + o];
                            }
                    }
        }

        void step()
        {
            for (auto& sg : segs_)
            {
                const auto& r = reorders_[&sg - segs_.data()];
                if (sg.re_fl)
                    r[4].execute(s_, sg.w_layer, sg.fw_layer);
                if (sg.re_fi)
                    r[5].execute(s_, sg.w_iter, sg.fw_iter);
                sg.fwd.execute(s_, fwd_args(sg));
            }
            for (std::size_t k = segs_.size(); k-- > 0;)
            {
                auto& sg = segs_[k];
                if (sg.re_bl)
                    reorders_[k][0].execute(s_, sg.w_layer, sg.bw_layer);
                if (sg.re_bi)
                    reorders_[k][1].execute(s_, sg.w_iter, sg.bw_iter);
                zero(sg.bdw_layer);
                zero(sg.bdw_iter);
                zero(sg.dbias);
                sg.bwd.execute(s_, bwd_args(sg));
                if (sg.re_dl)
                    reorders_[k][2].execute(s_, sg.bdw_layer, sg.dw_layer);
                if (sg.re_di)
                    reorders_[k][3].execute(s_, sg.bdw_iter, sg.dw_iter);
            }
            s_.wait();
        }

        const std::vector<Segment>& segments() const { return segs_; }
        const float* y() const { return ptr(segs_.back().dst_layer); }
        const float* dx() const { return ptr(segs_.front().diff_src_layer); }
        // (L*D, B, H) gathered from the segments' ldnc memories
        std::vector<float> gather(memory Segment::*m) const
        {
            std::vector<float> out;
            for (const auto& sg : segs_)
            {
                const float* p = ptr(sg.*m);
                out.insert(out.end(), p, p + sg.L * sg.D * c_.B * c_.H);
            }
            return out;
        }

    private:
        template <class F, class Bk>
        void finish(Segment& sg, const F& fpd, const Bk& bpd)
        {
            sg.fwd = dnnl::primitive(fpd);
            sg.bwd = dnnl::primitive(bpd);
            sg.fwd_impl = fpd.impl_info_str();
            sg.bwd_impl = bpd.impl_info_str();
            sg.workspace = memory(fpd.workspace_desc(), eng_);
            sg.fw_layer = relayout(sg.w_layer, fpd.weights_layer_desc(), eng_, sg.re_fl);
            sg.fw_iter = relayout(sg.w_iter, fpd.weights_iter_desc(), eng_, sg.re_fi);
            sg.bw_layer = relayout(sg.w_layer, bpd.weights_layer_desc(), eng_, sg.re_bl);
            sg.bw_iter = relayout(sg.w_iter, bpd.weights_iter_desc(), eng_, sg.re_bi);
            sg.bdw_layer = relayout(sg.dw_layer, bpd.diff_weights_layer_desc(), eng_, sg.re_dl);
            sg.bdw_iter = relayout(sg.dw_iter, bpd.diff_weights_iter_desc(), eng_, sg.re_di);
            XRNN_CHECK(bpd.diff_bias_desc() == sg.dbias.get_desc(), "oneDNN chose another diff_bias layout");
            std::vector<dnnl::reorder> r(6);
            if (sg.re_fl)
                r[4] = dnnl::reorder(sg.w_layer, sg.fw_layer);
            if (sg.re_fi)
                r[5] = dnnl::reorder(sg.w_iter, sg.fw_iter);
            if (sg.re_bl)
                r[0] = dnnl::reorder(sg.w_layer, sg.bw_layer);
            if (sg.re_bi)
                r[1] = dnnl::reorder(sg.w_iter, sg.bw_iter);
            if (sg.re_dl)
                r[2] = dnnl::reorder(sg.bdw_layer, sg.dw_layer);
            if (sg.re_di)
                r[3] = dnnl::reorder(sg.bdw_iter, sg.dw_iter);
            reorders_.push_back(std::move(r));
        }
        static void zero(const memory& m) { std::memset(m.get_data_handle(), 0, m.get_desc().get_size()); }
        std::unordered_map<int, memory> fwd_args(const Segment& sg) const
        {
            std::unordered_map<int, memory> a{{DNNL_ARG_SRC_LAYER, sg.src_layer},     {DNNL_ARG_SRC_ITER, sg.src_iter},
                                              {DNNL_ARG_WEIGHTS_LAYER, sg.fw_layer}, {DNNL_ARG_WEIGHTS_ITER, sg.fw_iter},
                                              {DNNL_ARG_BIAS, sg.bias},              {DNNL_ARG_DST_LAYER, sg.dst_layer},
                                              {DNNL_ARG_DST_ITER, sg.dst_iter},      {DNNL_ARG_WORKSPACE, sg.workspace}};
            if (sg.src_iter_c)
            {
                a[DNNL_ARG_SRC_ITER_C] = sg.src_iter_c;
                a[DNNL_ARG_DST_ITER_C] = sg.dst_iter_c;
            }
            return a;
        }
        std::unordered_map<int, memory> bwd_args(const Segment& sg) const
        {
            std::unordered_map<int, memory> a{{DNNL_ARG_SRC_LAYER, sg.src_layer},
                                              {DNNL_ARG_SRC_ITER, sg.src_iter},
                                              {DNNL_ARG_WEIGHTS_LAYER, sg.bw_layer},
                                              {DNNL_ARG_WEIGHTS_ITER, sg.bw_iter},
                                              {DNNL_ARG_BIAS, sg.bias},
                                              {DNNL_ARG_DST_LAYER, sg.dst_layer},
                                              {DNNL_ARG_DST_ITER, sg.dst_iter},
                                              {DNNL_ARG_WORKSPACE, sg.workspace},
                                              {DNNL_ARG_DIFF_SRC_LAYER, sg.diff_src_layer},
                                              {DNNL_ARG_DIFF_SRC_ITER, sg.diff_src_iter},
                                              {DNNL_ARG_DIFF_WEIGHTS_LAYER, sg.bdw_layer},
                                              {DNNL_ARG_DIFF_WEIGHTS_ITER, sg.bdw_iter},
                                              {DNNL_ARG_DIFF_BIAS, sg.dbias},
                                              {DNNL_ARG_DIFF_DST_LAYER, sg.diff_dst_layer},
                                              {DNNL_ARG_DIFF_DST_ITER, sg.diff_dst_iter}};
            if (sg.src_iter_c)
            {
                a[DNNL_ARG_SRC_ITER_C] = sg.src_iter_c;
                a[DNNL_ARG_DST_ITER_C] = sg.dst_iter_c;
                a[DNNL_ARG_DIFF_SRC_ITER_C] = sg.diff_src_iter_c;
                a[DNNL_ARG_DIFF_DST_ITER_C] = sg.diff_dst_iter_c;
            }
            return a;
        }

        BenchConfig c_;
        dnnl::engine& eng_;
        dnnl::stream& s_;
        std::size_t G_ = 1;
        std::vector<Segment> segs_;
        std::vector<std::vector<dnnl::reorder>> reorders_; // per segment: w_layer, w_iter -> bwd; diff back; w_layer, w_iter -> fwd
    };

    // ---- xrnn side

    struct XrnnStep
    {
        xrnn::Recurrent<float> rnn;
        xrnn::Tensor3<float> y, dx;
        xrnn::RecurrentState<float> sT, ds0;
        XrnnStep(const BenchConfig& c, const std::string& act, const std::string& rec_act)
            : rnn(make(c, act, rec_act), xrnn::InitConfig{0})
        {
        }
        static xrnn::RecurrentConfig make(const BenchConfig& c, const std::string& act, const std::string& rec_act)
        {
            xrnn::RecurrentConfig rc;
            rc.cell = xrnn::cell_from_name(c.cell);
            rc.input_size = c.I;
            rc.hidden_size = c.H;
            rc.num_layers = c.L;
            rc.bidirectional = c.bidirectional;
            rc.activation = xrnn::activation_from_name(act);
            rc.recurrent_activation = xrnn::activation_from_name(rec_act);
            return rc;
        }
        void step(const xrnn::Tensor3<float>& x, const xrnn::Tensor3<float>& dy, const xrnn::RecurrentState<float>& dsT)
        {
            rnn.params().zero_grad();
            rnn.forward(x, {}, y, sT);
            rnn.backward(dy, dsT, dx, ds0);
        }
    };

    // max|a - ref| / max|ref|
    double rel_err(const float* a, const float* ref, std::size_t n)
    {
        double d = 0, m = 0;
        for (std::size_t i = 0; i < n; ++i)
        {
            d = std::max(d, std::fabs(double(a[i]) - double(ref[i])));
            m = std::max(m, std::fabs(double(ref[i])));
        }
        return m > 0 ? d / m : d;
    }

    // steps per second of f over >= seconds, after one untimed call (wakes the side's threads)
    double rate(const std::function<void()>& f, double seconds)
    {
        using clock = std::chrono::steady_clock;
        f();
        const auto t0 = clock::now();
        std::size_t n = 0;
        double dt = 0;
        do
        {
            f();
            ++n;
            dt = std::chrono::duration<double>(clock::now() - t0).count();
        } while (dt < seconds);
        return double(n) / dt;
    }

    double median(std::vector<double> v)
    {
        std::sort(v.begin(), v.end());
        const std::size_t n = v.size();
        return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
    }

    std::string cpu_model()
    {
        std::ifstream f("/proc/cpuinfo");
        std::string line;
        while (std::getline(f, line))
            if (line.rfind("model name", 0) == 0)
                return line.substr(line.find(':') + 2);
        return "?";
    }

    struct Row
    {
        std::string label;
        double check = 0;
        bool ok = false;
        std::vector<double> x, d, n1, n2; // tokens/s per repeat: xrnn, oneDNN, xrnn hs/relu, xrnn hs/softsign
    };
}

int main(int argc, char** argv)
{
    int threads = 2, repeats = 3;
    double seconds = 2.0, tol = 1e-4;
    std::string only;
    bool check_only = false;
    std::string profile;
    CLI::App app{"dnnl-rnn-bench: recurrent-layer training step, xrnn vs oneDNN (issue 13)"};
    app.add_option("--threads", threads, "xrnn (blas::set_threads) and oneDNN (omp_set_num_threads)")->capture_default_str();
    app.add_option("--seconds", seconds, "per measurement")->capture_default_str();
    app.add_option("--repeats", repeats, "alternated repeats; medians")->capture_default_str();
    app.add_option("--tol", tol, "max|xrnn - oneDNN| / max|oneDNN| allowed per tensor")->capture_default_str();
    app.add_option("--only", only, "run the configs whose label contains this string");
    app.add_flag("--check-only", check_only, "compare the numbers, do not time");
    app.add_option("--profile", profile, "after the check, run only this side for --seconds (for perf record)")
        ->check(CLI::IsMember({"xrnn", "onednn"}));
    CLI11_PARSE(app, argc, argv);

    xrnn::blas::set_threads(threads);
    omp_set_num_threads(threads);
    const char* coretype = std::getenv("OPENBLAS_CORETYPE");
    const auto v = dnnl::version();
    std::printf("cpu: %s, %d threads per side\n", cpu_model().c_str(), threads);
    std::printf("OpenBLAS core: %s, OPENBLAS_CORETYPE=%s\n", openblas_get_corename(), coretype ? coretype : "unset");
    const int isa = int(dnnl::get_effective_cpu_isa());
    const char* isa_name = isa == 0x3e7 ? "avx512_core_amx" : isa == 0xe7 ? "avx512_core_bf16" : isa == 0x27 ? "avx512_core" : isa == 0x7 ? "avx2" : "see dnnl_types.h";
    std::printf("oneDNN %d.%d.%d, OpenMP max threads %d, effective ISA %s (%#x)\n", v->major, v->minor, v->patch,
                omp_get_max_threads(), isa_name, isa);

    const std::vector<BenchConfig> configs = {
        {"lstm", 512, 2, 32, 64, 512, false},   {"lstm", 128, 2, 50, 50, 128, false},
        {"gru", 256, 2, 32, 64, 256, false},    {"rnn", 256, 1, 32, 64, 256, false},
        {"lstm", 1024, 1, 64, 25, 1024, false}, {"gru", 256, 2, 32, 100, 40, true},
        {"lstm", 256, 2, 32, 100, 40, true},
    };
    dnnl::engine eng(dnnl::engine::kind::cpu, 0);
    dnnl::stream strm(eng);
    std::vector<Row> rows;
    bool all_ok = true;
    for (const auto& c : configs)
    {
        if (!only.empty() && c.label().find(only) == std::string::npos)
            continue;
        const std::size_t D = c.bidirectional ? 2 : 1;
        xrnn::Rng rng(1);
        xrnn::Tensor3<float> x({c.T, c.B, c.I}), dy({c.T, c.B, D * c.H});
        xrnn::RecurrentState<float> dsT;
        dsT.h = xrnn::Tensor3<float>({c.L * D, c.B, c.H});
        if (c.cell == "lstm")
            dsT.c = xrnn::Tensor3<float>({c.L * D, c.B, c.H});
        for (auto* t : {&x, &dy, &dsT.h, &dsT.c})
            for (auto& e : *t)
                e = static_cast<float>(rng.normal());

        XrnnStep xs(c, "tanh", "sigmoid");
        DnnlStack dn(c, eng, strm, x.data(), dy.data(), dsT.h.data(), c.cell == "lstm" ? dsT.c.data() : nullptr);
        dn.set_weights(xs.rnn.params());

        // ---- check: one step each, every output and gradient
        xs.step(x, dy, dsT);
        dn.step();
        Row row;
        row.label = c.label();
        std::string detail;
        auto cmp = [&](const std::string& name, const float* a, const float* ref, std::size_t n) {
            const double e = rel_err(a, ref, n);
            row.check = std::max(row.check, e);
            char s[96];
            std::snprintf(s, sizeof s, " %s %.1e", name.c_str(), e);
            detail += s;
        };
        const std::size_t state = c.L * D * c.B * c.H;
        cmp("y", xs.y.data(), dn.y(), xs.y.size());
        cmp("hT", xs.sT.h.data(), dn.gather(&Segment::dst_iter).data(), state);
        if (c.cell == "lstm")
            cmp("cT", xs.sT.c.data(), dn.gather(&Segment::dst_iter_c).data(), state);
        cmp("dx", xs.dx.data(), dn.dx(), xs.dx.size());
        cmp("dh0", xs.ds0.h.data(), dn.gather(&Segment::diff_src_iter).data(), state);
        if (c.cell == "lstm")
            cmp("dc0", xs.ds0.c.data(), dn.gather(&Segment::diff_src_iter_c).data(), state);
        xrnn::ParamSet<float> ref = xs.rnn.params(); // same table; grads overwritten with oneDNN's
        dn.get_grads(ref);
        double worst_grad = 0;
        std::string worst_name;
        for (std::size_t i = 0; i < ref.count(); ++i)
        {
            const double e = rel_err(xs.rnn.params().grad(i), ref.grad(i), ref.table()[i].size);
            if (e >= worst_grad)
            {
                worst_grad = e;
                worst_name = ref.table()[i].name;
            }
            row.check = std::max(row.check, e);
        }
        char s[160];
        std::snprintf(s, sizeof s, " | params: max %.1e (d%s)", worst_grad, worst_name.c_str());
        detail += s;
        row.ok = row.check <= tol;
        all_ok = all_ok && row.ok;
        std::printf("\n%s: check %s, max rel err %.1e:%s\n", row.label.c_str(), row.ok ? "ok" : "FAILED", row.check,
                    detail.c_str());
        for (std::size_t i = 0; i < ref.count(); ++i)
            std::printf("  d%s %.1e", ref.table()[i].name.c_str(),
                        rel_err(xs.rnn.params().grad(i), ref.grad(i), ref.table()[i].size));
        std::printf("\n  oneDNN implementation: forward %s, backward %s\n", dn.segments()[0].fwd_impl.c_str(),
                    dn.segments()[0].bwd_impl.c_str());
        if (check_only)
        {
            rows.push_back(row);
            continue;
        }
        if (!profile.empty())
        {
            const double r = profile == "xrnn" ? rate([&] { xs.step(x, dy, dsT); }, seconds)
                                               : rate([&] { dn.step(); }, seconds);
            std::printf("  profile %s: %.0f tok/s\n", profile.c_str(), double(c.B * c.T) * r);
            check_only = true; // no table
            rows.push_back(row);
            continue;
        }

        // ---- timing, alternated
        XrnnStep n1(c, "relu", "hard_sigmoid"); // the rnn cell has no gates: relu / softsign alone
        XrnnStep n2(c, "softsign", "hard_sigmoid");
        const double tok = double(c.B * c.T);
        for (int i = 0; i < 2; ++i) // warm-up
        {
            xs.step(x, dy, dsT);
            dn.step();
            n1.step(x, dy, dsT);
            n2.step(x, dy, dsT);
        }
        for (int r = 0; r < repeats; ++r)
        {
            row.x.push_back(tok * rate([&] { xs.step(x, dy, dsT); }, seconds));
            row.d.push_back(tok * rate([&] { dn.step(); }, seconds));
            row.n1.push_back(tok * rate([&] { n1.step(x, dy, dsT); }, seconds));
            row.n2.push_back(tok * rate([&] { n2.step(x, dy, dsT); }, seconds));
            std::printf("  repeat %d: xrnn %.0f  oneDNN %.0f  xrnn hs/relu %.0f  xrnn hs/softsign %.0f tok/s\n", r + 1,
                        row.x.back(), row.d.back(), row.n1.back(), row.n2.back());
            std::fflush(stdout);
        }
        rows.push_back(row);
    }

    if (!check_only)
    {
        std::printf("\n| config (cell H L B T) | xrnn tok/s | oneDNN tok/s | xrnn / oneDNN | xrnn hs/relu tok/s | "
                    "/ oneDNN | xrnn hs/softsign tok/s | / oneDNN | check (max rel err) |\n");
        std::printf("|---|---|---|---|---|---|---|---|---|\n");
        for (const auto& r : rows)
        {
            const double x = median(r.x), d = median(r.d), a = median(r.n1), b = median(r.n2);
            std::printf("| %s | %.0f | %.0f | %.2fx | %.0f | %.2fx | %.0f | %.2fx | %.1e%s |\n", r.label.c_str(), x, d,
                        x / d, a, a / d, b, b / d, r.check, r.ok ? "" : " FAILED");
        }
        std::printf("\nruns (tok/s, in order): xrnn / oneDNN / hs-relu / hs-softsign\n");
        for (const auto& r : rows)
        {
            std::printf("%s:", r.label.c_str());
            for (const auto* v : {&r.x, &r.d, &r.n1, &r.n2})
            {
                for (double e : *v)
                    std::printf(" %.0f", e);
                std::printf(" /");
            }
            std::printf("\n");
        }
    }
    return all_ok ? 0 : 1;
}
