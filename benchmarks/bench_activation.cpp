// benchmarks/bench_activation.cpp -- ns per element of activation_forward / activation_backward
// for float, one activation at a time, on 32 x 2048 elements per call (an LSTM gate block of
// batch 32, hidden 512). Both calls run in place, as the cells call them, on a fresh copy of
// the inputs each time so repeated application cannot drift the values (e.g. into denormals).
// Usage: bench_activation [repetitions]; prints the median over the repetitions.
#include <xrnn/activation.hpp>
#include <xrnn/random.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

namespace
{
    using Clock = std::chrono::steady_clock;

    template <class F>
    double median_ns(int reps, F&& timed_call)
    {
        std::vector<double> ns(static_cast<std::size_t>(reps));
        for (auto& t : ns)
            t = timed_call();
        std::nth_element(ns.begin(), ns.begin() + reps / 2, ns.end());
        return ns[static_cast<std::size_t>(reps / 2)];
    }
}

int main(int argc, char** argv)
{
    const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 200;
    const std::size_t n = 32 * 2048;

    // pre-activations as an LSTM sees them: mostly within a few units of 0
    xrnn::Rng rng(1);
    std::vector<float> x(n), dy(n);
    for (std::size_t i = 0; i < n; ++i)
    {
        x[i] = static_cast<float>(3.0 * rng.normal());
        dy[i] = static_cast<float>(rng.normal());
    }
    std::vector<float> y(n), work(n);
    double checksum = 0; // keeps the results observable

    std::printf("%-14s %12s %12s   (float, n = %zu, median of %d)\n", "activation", "fwd ns/elem",
                "bwd ns/elem", n, reps);
    for (const auto& a : xrnn::all_activations())
    {
        const float* x_for_backward = xrnn::derivative_needs_input(a) ? x.data() : nullptr;
        xrnn::activation_forward(a, x.data(), y.data(), n); // y for backward, and a warm-up
        const double fwd = median_ns(reps, [&] {
            std::copy(x.begin(), x.end(), work.begin());
            const auto t0 = Clock::now();
            xrnn::activation_forward(a, work.data(), work.data(), n);
            const auto t1 = Clock::now();
            checksum += work[n / 2];
            return std::chrono::duration<double, std::nano>(t1 - t0).count();
        });
        const double bwd = median_ns(reps, [&] {
            std::copy(dy.begin(), dy.end(), work.begin());
            const auto t0 = Clock::now();
            xrnn::activation_backward(a, work.data(), work.data(), x_for_backward, y.data(), n);
            const auto t1 = Clock::now();
            checksum += work[n / 2];
            return std::chrono::duration<double, std::nano>(t1 - t0).count();
        });
        std::printf("%-14s %12.3f %12.3f\n", xrnn::activation_name(a).c_str(), fwd / n, bwd / n);
    }
    std::printf("(checksum %g)\n", checksum);
    return 0;
}
