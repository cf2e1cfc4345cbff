// gradflow/src/task_net.cpp -- the study's network (task_net.hpp), instantiated for float
// (training) and double (probes).
#include "xrnn/gradflow/task_net.hpp"

#include "xrnn/check.hpp"
#include "xrnn/grad_monitor.hpp"
#include "xrnn/linear.hpp"
#include "xrnn/softmax_xent.hpp"

#include <algorithm>
#include <cmath>
#include <string>

namespace xrnn::gradflow
{
    template <class T>
    TaskNet<T>::TaskNet(const RunConfig& c, const Options& o, const SyntheticTask& task)
        : rnn(recurrent_config(c, o, task), init_config(c)), out_size(task.output_size())
    {
        const std::size_t H = o.hidden_size;
        head.add("weight", {out_size, H});
        head.add("bias", {out_size});
        xrnn::Rng rng(c.seed * 1000003u + 17);
        const double bound = 1 / std::sqrt(double(H)); // nn.Linear's default
        for (std::size_t i = 0; i < head.size(); ++i)
            head.values()[i] = static_cast<T>(rng.uniform(-bound, bound));
        scale_recurrent(c);
    }

    template <class T>
    xrnn::RecurrentConfig TaskNet<T>::recurrent_config(const RunConfig& c, const Options& o, const SyntheticTask& task)
    {
        xrnn::RecurrentConfig r;
        r.cell = c.cell;
        r.input_size = task.input_size();
        r.hidden_size = o.hidden_size;
        r.num_layers = o.num_layers;
        r.activation = c.act;
        r.recurrent_activation = c.ract;
        return r;
    }

    template <class T>
    xrnn::InitConfig TaskNet<T>::init_config(const RunConfig& c)
    {
        xrnn::InitConfig ic(c.seed);
        ic.recurrent = c.init;
        if (c.init != xrnn::RecurrentInit::uniform && std::isnan(c.sigma_gamma))
            ic.recurrent_gain = c.gain;
        if (!std::isnan(c.forget_bias) && (xrnn::cell_traits(c.cell).forget_block >= 0))
            ic.forget_bias = c.forget_bias;
        return ic;
    }

    template <class T>
    void TaskNet<T>::scale_recurrent(const RunConfig& c)
    {
        const std::size_t H = rnn.config().hidden_size, G = xrnn::gate_count(c.cell);
        for (std::size_t l = 0; l < rnn.config().num_layers; ++l)
        {
            T* w = rnn.params().value(rnn.params().index("weight_hh_l" + std::to_string(l)));
            double factor = 1.0;
            if (!std::isnan(c.sigma_gamma))
            {
                const std::size_t block = xrnn::cell_traits(c.cell).candidate_block;
                const double s = xrnn::sigma_max(w + block * H * H, H, H) * xrnn::max_slope(c.act);
                XRNN_CHECK(s > 0, "cannot rescale a zero recurrent matrix");
                factor = c.sigma_gamma / s;
            }
            else if (c.init == xrnn::RecurrentInit::uniform)
                factor = c.gain;
            for (std::size_t i = 0; i < G * H * H; ++i)
                w[i] = static_cast<T>(w[i] * factor);
        }
    }

    template <class T>
    double TaskNet<T>::run(const Tensor3<T>& x, const std::vector<double>& target, bool backward, std::vector<char>* ok)
    {
        const std::size_t S = x.shape()[0], B = x.shape()[1], H = rnn.config().hidden_size, O = out_size;
        rnn.forward(x, s0, y, sT);
        const T* h_last = y.data() + (S - 1) * B * H;
        logits.assign(B * O, T(0));
        xrnn::linear_forward(logits.data(), h_last, head.value(0), head.value(1), B, H, O);
        dlogits.assign(B * O, T(0));
        double loss = 0;
        if (ok)
            ok->assign(B, 0);
        if (O == 1) // regression, MSE
        {
            for (std::size_t b = 0; b < B; ++b)
            {
                const double e = double(logits[b]) - target[b];
                loss += e * e / double(B);
                dlogits[b] = static_cast<T>(2 * e / double(B));
                if (ok)
                    (*ok)[b] = e * e <= SyntheticTask::solved_sq_error;
            }
        }
        else
        {
            std::vector<std::int32_t> labels(B);
            for (std::size_t b = 0; b < B; ++b)
                labels[b] = static_cast<std::int32_t>(target[b]);
            loss = xrnn::softmax_xent(dlogits.data(), logits.data(), labels.data(), B, O);
            if (ok)
                for (std::size_t b = 0; b < B; ++b)
                {
                    const T* z = logits.data() + b * O;
                    (*ok)[b] = std::size_t(std::max_element(z, z + O) - z) == std::size_t(labels[b]);
                }
        }
        if (!backward)
            return loss;
        dh_last.assign(B * H, T(0));
        xrnn::linear_backward(dh_last.data(), head.grad(0), head.grad(1), dlogits.data(), h_last,
                              head.value(0), B, H, O);
        xrnn::ensure_shape(dy, std::array<std::size_t, 3>{S, B, H});
        std::fill(dy.begin(), dy.end(), T(0));
        std::copy(dh_last.begin(), dh_last.end(), dy.data() + (S - 1) * B * H);
        rnn.backward(dy, {}, dx, ds0);
        return loss;
    }

    template struct TaskNet<float>;
    template struct TaskNet<double>;
}
