// A consumer of xrnn: trains a small GRU for a few hundred steps (the library's SGD with
// momentum and global-norm clipping) to echo its input one step late (target y_t = x_{t-1},
// read from hidden unit 0) and exits non-zero unless the loss fell by at least 5x. It uses the
// core library only (one include): no JSON package and no char-LM code.
#include <xrnn/xrnn.hpp>

#include <cstdio>

int main()
{
    xrnn::RecurrentConfig cfg;
    cfg.cell = xrnn::CellKind::gru;
    cfg.input_size = 1;
    cfg.hidden_size = 8;
    xrnn::Recurrent<float> gru(cfg, xrnn::InitConfig{1});
    const std::size_t T = 12, B = 16;
    xrnn::Rng rng(2);
    xrnn::Tensor3<float> x = xrnn::Tensor3<float>::from_shape({T, B, 1});
    xrnn::Tensor3<float> y, dy, dx;
    xrnn::RecurrentState<float> sT, ds0;
    xrnn::OptimizerConfig oc;
    oc.kind = xrnn::OptimizerKind::sgd;
    oc.lr = 0.1;
    oc.momentum = 0.9;
    xrnn::Optimizer<float> opt(oc);
    float first = 0, last = 0;
    for (int step = 0; step < 400; ++step)
    {
        for (auto& v : x)
            v = static_cast<float>(rng.uniform(-0.5, 0.5));
        gru.forward(x, {}, y, sT);
        dy = xt::zeros<float>(y.shape());
        float loss = 0;
        for (std::size_t t = 1; t < T; ++t)
            for (std::size_t b = 0; b < B; ++b)
            {
                const float e = y(t, b, 0) - x(t - 1, b, 0);
                loss += e * e / ((T - 1) * B);
                dy(t, b, 0) = 2 * e / ((T - 1) * B);
            }
        gru.params().zero_grad();
        gru.backward(dy, {}, dx, ds0);
        const std::vector<xrnn::ParamSpan<float>> spans{gru.params().span()};
        xrnn::clip_by_global_norm(spans, 1.0);
        opt.step(spans);
        if (step == 0)
            first = loss;
        last = loss;
    }
    std::printf("consumer: GRU echo task, loss %.5f -> %.5f after 400 steps\n", first, last);
    return last < first / 5 ? 0 : 1;
}
