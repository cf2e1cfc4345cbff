// benchmarks/seq_bench.cpp -- xrnn-seq-bench: one training step of a bidirectional stack on
// variable-length sequences (issue 12), exactly as benchmarks/torch_packed.py times PyTorch's
// pack_padded_sequence(enforce_sorted=False) -> nn.GRU / nn.LSTM -> pad_packed_sequence:
// zero the gradients, Recurrent<float>::forward(x, zeros, y, sT, lengths), loss = sum(y * r)
// with a fixed random r (it touches every valid output; y past a length is zero), backward
// through time (dy = r). No optimizer, as the peer. The same random batch every step.
// Warm-up 3 steps, then >= --seconds.
//
// Lengths (--lengths): `equal` = all T; `uniform` = each drawn uniformly in [min(10, T), T]
// by a 64-bit LCG from seed 0 (Knuth's MMIX constants, the top 31 bits of the state taken
// modulo the range), the same generator torch_packed.py runs, so both see the same lengths;
// both print their sum and mean to check.
#include <xrnn/blas.hpp>
#include <xrnn/bptt.hpp>
#include <xrnn/random.hpp>

#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace
{
    std::vector<std::size_t> make_lengths(const std::string& kind, std::size_t T, std::size_t B)
    {
        std::vector<std::size_t> len(B, T);
        if (kind == "uniform")
        {
            const std::size_t lo = std::min<std::size_t>(10, T);
            std::uint64_t s = 0; // seed 0
            for (auto& l : len)
            {
                s = s * 6364136223846793005ull + 1442695040888963407ull;
                l = lo + static_cast<std::size_t>((s >> 33) % (T - lo + 1));
            }
        }
        return len;
    }
}

int main(int argc, char** argv)
{
    std::string cell = "gru", lengths_kind = "equal";
    std::size_t H = 256, L = 2, B = 32, T = 100, F = 40;
    int threads = 2;
    double seconds = 3.0;
    CLI::App app{"xrnn-seq-bench: bidirectional training step on packed sequences (compare with benchmarks/torch_packed.py)"};
    app.add_option("--cell", cell)->check(CLI::IsMember(xrnn::cell_names()))->capture_default_str();
    app.add_option("--hidden-size", H)->capture_default_str();
    app.add_option("--num-layers", L)->capture_default_str();
    app.add_option("--batch-size", B)->capture_default_str();
    app.add_option("--seq-len", T)->capture_default_str();
    app.add_option("--features", F, "input size")->capture_default_str();
    app.add_option("--lengths", lengths_kind, "equal (all seq-len) or uniform (in [10, seq-len], LCG seed 0)")
        ->check(CLI::IsMember({"equal", "uniform"}))
        ->capture_default_str();
    app.add_option("--threads", threads)->capture_default_str();
    app.add_option("--seconds", seconds, "timed duration")->capture_default_str();
    bool unidirectional = false;
    app.add_flag("--unidirectional", unidirectional, "one direction only (for comparison; the issue's run is bidirectional)");
    CLI11_PARSE(app, argc, argv);

    xrnn::blas::set_threads(threads);
    xrnn::RecurrentConfig rc;
    rc.cell = xrnn::cell_from_name(cell);
    rc.input_size = F;
    rc.hidden_size = H;
    rc.num_layers = L;
    rc.bidirectional = !unidirectional;
    xrnn::Recurrent<float> rnn(rc, xrnn::InitConfig{0});
    const std::size_t D = rnn.directions();

    const auto lengths = make_lengths(lengths_kind, T, B);
    std::size_t valid = 0;
    for (auto l : lengths)
        valid += l;

    xrnn::Rng rng(0);
    xrnn::Tensor3<float> x({T, B, F}), r({T, B, D * H});
    for (auto& v : x)
        v = static_cast<float>(rng.normal());
    for (auto& v : r)
        v = static_cast<float>(rng.normal());
    const xrnn::RecurrentState<float> zeros; // empty: zero initial state, zero dL/dsT
    xrnn::RecurrentState<float> sT, ds0;
    xrnn::Tensor3<float> y, dx;

    using clock = std::chrono::steady_clock;
    double t_fwd = 0, t_bwd = 0, loss = 0;
    auto step = [&] {
        const auto a = clock::now();
        rnn.params().zero_grad();
        rnn.forward(x, zeros, y, sT, lengths);
        double s = 0; // loss = sum(y * r); its gradient w.r.t. y is r
        const float* yp = y.data();
        const float* rp = r.data();
        for (std::size_t i = 0; i < y.size(); ++i)
            s += double(yp[i]) * double(rp[i]);
        loss = s;
        const auto b = clock::now();
        rnn.backward(r, zeros, dx, ds0);
        const auto c = clock::now();
        t_fwd += std::chrono::duration<double>(b - a).count();
        t_bwd += std::chrono::duration<double>(c - b).count();
    };
    for (int i = 0; i < 3; ++i)
        step();
    t_fwd = t_bwd = 0;
    const auto t0 = clock::now();
    std::size_t n = 0;
    double dt = 0;
    do
    {
        step();
        ++n;
        dt = std::chrono::duration<double>(clock::now() - t0).count();
    } while (dt < seconds);
    const double steps = static_cast<double>(n);
    std::printf("xrnn %s%s H=%zu L=%zu B=%zu T=%zu F=%zu threads=%d lengths=%s: %zu steps in %.2f s, loss %.4g\n",
                D == 2 ? "bi-" : "", cell.c_str(), H, L, B, T, F, threads, lengths_kind.c_str(), n, dt, loss);
    std::printf("lengths: sum %zu, mean %.2f, valid-step fraction %.3f\n", valid, double(valid) / double(B),
                double(valid) / double(T * B));
    std::printf("forward ms: %.2f  backward ms: %.2f\n", t_fwd / steps * 1e3, t_bwd / steps * 1e3);
    std::printf("ms/step: %.2f\n", dt / steps * 1e3);
    std::printf("sequences/s: %.1f\n", steps * double(B) / dt);
    return 0;
}
