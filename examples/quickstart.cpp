// examples/quickstart.cpp -- the core API in one page: build a 2-layer LSTM with Keras-style
// activation choices, run it over a batch of sequences, backpropagate, read gradients by name.
#include <xrnn/xrnn.hpp>

#include <cmath>
#include <cstdio>

int main()
{
    xrnn::RecurrentConfig cfg;
    cfg.cell = xrnn::CellKind::lstm;
    cfg.input_size = 16;
    cfg.hidden_size = 32;
    cfg.num_layers = 2;
    cfg.activation = xrnn::activation_from_name("tanh");                   // candidate / cell output
    cfg.recurrent_activation = xrnn::activation_from_name("hard_sigmoid"); // gates
    xrnn::InitConfig init;
    init.seed = 1;
    init.recurrent = xrnn::RecurrentInit::orthogonal;
    init.forget_bias = 1.0;
    xrnn::Recurrent<float> lstm(cfg, init);

    const std::size_t T = 50, B = 8;
    xrnn::Rng rng(3);
    xrnn::Tensor3<float> x = xrnn::Tensor3<float>::from_shape({T, B, cfg.input_size});
    for (auto& v : x)
        v = static_cast<float>(rng.normal());

    xrnn::Tensor3<float> y, dx;
    xrnn::RecurrentState<float> final_state, dstate0;
    lstm.forward(x, {}, y, final_state); // empty initial state = zeros
    std::printf("x (%zu, %zu, %zu) -> y (%zu, %zu, %zu), h_n (%zu, %zu, %zu)\n", x.shape()[0],
                x.shape()[1], x.shape()[2], y.shape()[0], y.shape()[1], y.shape()[2],
                final_state.h.shape()[0], final_state.h.shape()[1], final_state.h.shape()[2]);

    // loss = sum of the last step's outputs; dL/dy is 1 there and 0 elsewhere
    xrnn::Tensor3<float> dy = xt::zeros<float>(y.shape());
    xt::view(dy, T - 1, xt::all(), xt::all()) = 1.0f;
    lstm.params().zero_grad();
    lstm.backward(dy, {}, dx, dstate0);

    for (const auto& p : lstm.params().table())
    {
        double sq = 0;
        const float* g = lstm.params().grad(lstm.params().index(p.name));
        for (std::size_t i = 0; i < p.size; ++i)
            sq += double(g[i]) * g[i];
        std::printf("  %-14s %-10s |grad| = %.4g\n", p.name.c_str(),
                    xrnn::detail::shape_str(p.shape).c_str(), std::sqrt(sq));
    }
    // how far back does the signal reach? |dL/dx_t| for a few t
    for (std::size_t t : {std::size_t(0), T / 2, T - 1})
    {
        double sq = 0;
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t i = 0; i < cfg.input_size; ++i)
                sq += double(dx(t, b, i)) * dx(t, b, i);
        std::printf("  |dL/dx_%zu| = %.3g\n", t, std::sqrt(sq));
    }
    return 0;
}
