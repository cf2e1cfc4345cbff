// benchmarks/xrnn_bench.cpp -- xrnn-bench: one full char-LM training step, exactly as
// shared/bench/peer_torch.py times PyTorch: embedding(V, E) -> stacked cell -> linear ->
// softmax CE, backward through time, global-norm clip 5.0, Adam (lr 2e-3) update.
// Random tokens, the same batch every step (as the peer). Warm-up 3 steps, then >= 3 s.
#include <xrnn/blas.hpp>
#include <xrnn/char_model.hpp>
#include <xrnn/clip.hpp>
#include <xrnn/grad_monitor.hpp>
#include <xrnn/optimizer.hpp>

#include <CLI/CLI.hpp>

#include <chrono>
#include <cstdio>

int main(int argc, char** argv)
{
    std::string cell = "lstm", activation = "tanh", recurrent_activation = "sigmoid";
    std::size_t H = 512, L = 1, B = 32, T = 64, V = 65, E = 64;
    int threads = 2;
    double seconds = 3.0;
    CLI::App app{"xrnn-bench: char-LM training-step throughput (compare with shared/bench/peer_torch.py)"};
    app.add_option("--cell", cell)->check(CLI::IsMember({"lstm", "gru", "rnn"}))->capture_default_str();
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
    if (monitor_every > 0)
        std::printf("gradient monitor: every %zu steps (%zu reports)\n", monitor_every, reports);
    std::printf("tokens/s: %.0f\n", tps);
    return 0;
}
