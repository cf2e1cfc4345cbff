// xrnn/gradflow/task_net.hpp -- the network of the study: a recurrent stack with a linear head
// on its last output, built from one RunConfig, with the loss on the final step only (MSE for
// the adding problem, softmax cross-entropy for temporal order). Not a general model: it has no
// per-step outputs, no dropout and no embedding (char_model.hpp is the char-LM's).
#ifndef XRNN_GRADFLOW_TASK_NET_HPP
#define XRNN_GRADFLOW_TASK_NET_HPP

#include "xrnn/bptt.hpp"
#include "xrnn/gradflow/sweep.hpp"
#include "xrnn/gradflow/tasks.hpp"
#include "xrnn/params.hpp"

#include <vector>

namespace xrnn::gradflow
{
    // T = float for training, double for probes (60+ orders of magnitude without underflow).
    template <class T>
    struct TaskNet
    {
        xrnn::Recurrent<T> rnn;
        xrnn::ParamSet<T> head; // head.weight (O, H), head.bias (O)
        std::size_t out_size;
        // scratch
        Tensor3<T> y, dy, dx;
        std::vector<T> logits, dlogits, dh_last;
        xrnn::RecurrentState<T> s0, sT, ds0;

        TaskNet(const RunConfig& c, const Options& o, const SyntheticTask& task);

        static xrnn::RecurrentConfig recurrent_config(const RunConfig& c, const Options& o, const SyntheticTask& task);
        static xrnn::InitConfig init_config(const RunConfig& c);

        // --gain on the uniform init multiplies W_hh; --sigma-gamma rescales every layer's W_hh
        // so that sigma_max(candidate block) * gamma(activation) hits the target exactly.
        void scale_recurrent(const RunConfig& c);

        std::vector<xrnn::ParamSpan<T>> spans() { return {rnn.params().span(), head.span()}; }
        void zero_grad()
        {
            rnn.params().zero_grad();
            head.zero_grad();
        }

        // Forward (and backward) of the final-step loss. Returns the mean loss; `ok` (B) gets
        // 1 for each sequence solved (adding: squared error <= 0.04; order: argmax right).
        double run(const Tensor3<T>& x, const std::vector<double>& target, bool backward, std::vector<char>* ok);
    };

    extern template struct TaskNet<float>;
    extern template struct TaskNet<double>;
}

#endif
