// benchmarks/xrnn_bench.cpp -- xrnn-bench: one full char-LM training step, exactly as
// shared/bench/peer_torch.py times PyTorch: embedding(V, E) -> stacked cell -> linear ->
// softmax CE, backward through time, global-norm clip 5.0, Adam (lr 2e-3) update.
// Random tokens, the same batch every step (as the peer). Warm-up 3 steps, then >= 3 s.
// --sgemm-peak also times a large square sgemm with the same threads (the machine's measured
// sgemm rate) and prints the step's GEMM rate as a fraction of it.
#include <xrnn/blas.hpp>
#include <xrnn/charlm/char_model.hpp>
#include <xrnn/clip.hpp>
#include <xrnn/grad_monitor.hpp>
#include <xrnn/optimizer.hpp>
#include <xrnn/charlm/sampler.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

namespace
{
    // FLOPs of the step's matrix products, counted from the shapes (2 per multiply-add):
    // per layer, forward (input + recurrent projections), backward dx / dh and the two weight
    // gradients are three products of T*B rows against G*H x (I + H); the head adds three of
    // T*B x H x V. Element-wise work (activations, Adam) is not counted.
    double gemm_flops(std::size_t G, std::size_t H, std::size_t L, std::size_t B, std::size_t T, std::size_t V,
                      std::size_t E)
    {
        double f = 0;
        for (std::size_t l = 0; l < L; ++l)
            f += 3.0 * 2.0 * double(T * B) * double(G * H) * double((l == 0 ? E : H) + H);
        return f + 3.0 * 2.0 * double(T * B) * double(H) * double(V);
    }

    // A "VmRSS:" / "VmHWM:" line of /proc/self/status, in bytes (0 if unavailable).
    double proc_status_bytes(const std::string& key)
    {
        std::ifstream f("/proc/self/status");
        std::string line;
        while (std::getline(f, line))
            if (line.rfind(key, 0) == 0)
                return std::stod(line.substr(key.size())) * 1024.0;
        return 0;
    }

    // Best of 5 runs of a (n x n) x (n x n) sgemm: the rate a large, well-shaped GEMM gets here.
    double sgemm_peak(std::size_t n)
    {
        std::vector<float> a(n * n, 0.5f), b(n * n, 0.25f), c(n * n, 0.0f);
        double best = 0;
        for (int i = 0; i < 6; ++i)
        {
            const auto t0 = std::chrono::steady_clock::now();
            xrnn::blas::gemm<float>(false, false, n, n, n, 1.0f, a.data(), n, b.data(), n, 0.0f, c.data(), n);
            const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            if (i > 0) // the first call warms up the thread pool
                best = std::max(best, 2.0 * double(n) * double(n) * double(n) / dt);
        }
        return best;
    }
}

int main(int argc, char** argv)
{
    std::string cell = "lstm", activation = "tanh", recurrent_activation = "sigmoid";
    std::size_t H = 512, L = 1, B = 32, T = 64, V = 65, E = 64;
    int threads = 2;
    double seconds = 3.0;
    CLI::App app{"xrnn-bench: char-LM training-step throughput (compare with shared/bench/peer_torch.py)"};
    app.add_option("--cell", cell)->check(CLI::IsMember(xrnn::cell_names()))->capture_default_str();
    app.add_option("--hidden-size", H)->capture_default_str();
    app.add_option("--num-layers", L)->capture_default_str();
    app.add_option("--batch-size", B)->capture_default_str();
    app.add_option("--seq-len", T)->capture_default_str();
    app.add_option("--threads", threads)->capture_default_str();
    app.add_option("--vocab", V)->capture_default_str();
    app.add_option("--embed-size", E)->capture_default_str();
    app.add_option("--activation", activation)->capture_default_str();
    app.add_option("--recurrent-activation", recurrent_activation)->capture_default_str();
    app.add_option("--seconds", seconds, "timed duration")->capture_default_str();
    bool peak = false, memory = false;
    std::size_t sample_chars = 0;
    app.add_option("--sample", sample_chars, "instead of training: time sampling N chars at batch 1 (as xrnn-charlm sample)");
    app.add_flag("--memory", memory, "print the peak memory of the step against the activations BPTT must keep");
    app.add_flag("--sgemm-peak", peak, "also measure a 2048^3 sgemm and print the step's fraction of it");
    std::size_t monitor_every = 0;
    app.add_option("--monitor-every", monitor_every, "gradient-flow report every N steps (0 = off), to measure its cost")->capture_default_str();
    CLI11_PARSE(app, argc, argv);

    xrnn::blas::set_threads(threads);
    xrnn::CharModelConfig c;
    c.vocab_size = V;
    c.embed_size = E;
    c.rnn.cell = xrnn::cell_from_name(cell);
    c.rnn.hidden_size = H;
    c.rnn.num_layers = L;
    c.rnn.activation = xrnn::activation_from_name(activation);
    c.rnn.recurrent_activation = xrnn::activation_from_name(recurrent_activation);
    xrnn::CharModel<float> model(c, xrnn::InitConfig{0});
    xrnn::OptimizerConfig oc;
    oc.lr = 2e-3;
    xrnn::Optimizer<float> opt(oc);
    xrnn::Rng rng(0);
    std::vector<std::int32_t> x(T * B), y(T * B);
    for (std::size_t i = 0; i < x.size(); ++i)
    {
        x[i] = static_cast<std::int32_t>(rng.below(V));
        y[i] = static_cast<std::int32_t>(rng.below(V));
    }
    xrnn::GradMonitor monitor;
    std::size_t steps_done = 0, reports = 0;
    auto step = [&] {
        const bool monitored = monitor_every > 0 && ++steps_done % monitor_every == 0;
        model.rnn().set_flow_trace(monitored);
        model.reset_state(); // like the peer: every step starts from a zero state
        model.zero_grad();
        model.forward(x.data(), y.data(), T, B, true);
        const auto spans = model.spans();
        const auto clip = xrnn::clip_by_global_norm(spans, 5.0);
        if (monitor_every > 0)
            monitor.record_step(clip);
        if (monitored)
            reports += monitor.report(steps_done, model.rnn(), {{"", &model.own_params()}, {"rnn.", &model.rnn().params()}},
                                      clip, false).layers.size() > 0;
        opt.step(spans);
    };
    if (sample_chars > 0)
    {
        // the loop of sample_text: one step_logits and one temperature-1 draw per char
        model.set_training(false);
        model.reset_state();
        xrnn::Rng srng(1);
        std::int32_t token = 0;
        const auto table = model.input_table(); // as sample_text, once per call (~0.2 ms)
        for (int i = 0; i < 100; ++i) // warm-up
            token = xrnn::sample_token(model.step_logits(token, &table), V, 1.0, srng);
        const auto s0 = std::chrono::steady_clock::now();
        for (std::size_t i = 0; i < sample_chars; ++i)
            token = xrnn::sample_token(model.step_logits(token, &table), V, 1.0, srng);
        const double sdt = std::chrono::duration<double>(std::chrono::steady_clock::now() - s0).count();
        std::printf("xrnn sampling %s H=%zu L=%zu threads=%d: %zu chars in %.2f s\n", cell.c_str(), H, L, threads,
                    sample_chars, sdt);
        std::printf("chars/s: %.0f\n", double(sample_chars) / sdt);
        return 0;
    }
    const double rss_setup = proc_status_bytes("VmRSS:");
    for (int i = 0; i < 3; ++i)
        step();
    using clock = std::chrono::steady_clock;
    const auto t0 = clock::now();
    std::size_t n = 0;
    double dt = 0;
    do
    {
        step();
        ++n;
        dt = std::chrono::duration<double>(clock::now() - t0).count();
    } while (dt < seconds);
    const double tps = static_cast<double>(n * B * T) / dt;
    std::printf("xrnn %s H=%zu L=%zu B=%zu T=%zu threads=%d act=%s/%s: %.2f ms/step\n", cell.c_str(), H, L, B, T,
                threads, activation.c_str(), recurrent_activation.c_str(), dt / static_cast<double>(n) * 1e3);
    const double flops = gemm_flops(xrnn::gate_count(c.rnn.cell), H, L, B, T, V, E);
    const double rate = flops * static_cast<double>(n) / dt;
    std::printf("GEMM work: %.2f GFLOP/step, %.1f GFLOP/s\n", flops * 1e-9, rate * 1e-9);
    if (peak)
    {
        const double p = sgemm_peak(2048);
        std::printf("sgemm 2048^3 with %d threads: %.1f GFLOP/s; this step runs at %.0f%% of it\n", threads, p * 1e-9,
                    100.0 * rate / p);
    }
    if (memory)
    {
        // What backward needs from the forward, per layer and step (float): RNN the outputs h
        // (H); GRU the gates r, z, n, the reset-scaled term W_hn h + b_hn and h (5H); LSTM the
        // gates i, f, g, o, the cell state c and h (6H); plus the embedding output (E) and the
        // head's logits (V). Everything else is scratch, gradient or could be recomputed.
        const auto& tr = xrnn::cell_traits(c.rnn.cell);
        const std::size_t per_layer = (tr.gated ? tr.gates * H : 0) + H + (tr.cell_state ? H : 0)
                                      + (c.rnn.cell == xrnn::CellKind::gru ? H : 0); // gru: W_hn h + b_hn
        const double keep = 4.0 * double(T * B) * (double(L) * double(per_layer) + double(E + V));
        const double grown = proc_status_bytes("VmHWM:") - rss_setup;
        std::printf("memory: peak RSS grew %.1f MB over setup; activations BPTT must keep: %.1f MB; ratio %.2f\n",
                    grown / 1e6, keep / 1e6, grown / keep);
    }
    if (monitor_every > 0)
        std::printf("gradient monitor: every %zu steps (%zu reports)\n", monitor_every, reports);
    std::printf("%s\n", xrnn::blas::kernel_info().summary().c_str());
    std::printf("tokens/s: %.0f\n", tps);
    return 0;
}
