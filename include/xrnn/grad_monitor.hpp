// xrnn/grad_monitor.hpp -- the gradient-norm monitor: per-tensor gradient norms, clip
// statistics, per-time-step adjoint norms ||dL/dh_t|| (and ||dL/dc_t||) of every layer, and a
// diagnosis of vanishing / exploding gradients per layer.
//
// Sources of the rules (details in docs/gradient-flow.md):
//  - Pascanu, Mikolov & Bengio 2013 (ICML), eq. 5-7: the adjoint is carried back through
//    products of Jacobians W_hh^T diag(a'), so ||dL/dh_k|| <= (sigma_max(W_hh) gamma)^(t-k)
//    ||dL/dh_t||, gamma = sup|a'|. sigma_max * gamma < 1 guarantees vanishing (vanilla cell);
//    > 1 is necessary (not sufficient) for explosion. Their step gain ||a J|| / ||a|| is what
//    `step_gain` measures.
//  - Jozefowicz, Zaremba & Sutskever 2015: an LSTM's cell-path gradient shrinks by the forget
//    gate each step (about sigma(b_f) at initialisation).
//  - Pascanu et al. 2013 sec. 3.2: clip thresholds from 0.5x to 10x the average gradient norm
//    still converge; a norm far above the recent median marks the "cliff" regime.
//
// Use: attach the trace (Recurrent::set_flow_trace(true)) before a monitored backward, call
// record_step() after clipping on every step (cheap: clip counts, running median) and report()
// after a traced backward. With the trace off the monitor costs nothing.
#ifndef XRNN_GRAD_MONITOR_HPP
#define XRNN_GRAD_MONITOR_HPP

#include "xrnn/bptt.hpp"
#include "xrnn/clip.hpp"
#include "xrnn/flow_trace.hpp"
#include "xrnn/params.hpp"

#include <cstddef>
#include <deque>
#include <string>
#include <vector>

namespace xrnn
{
    enum class FlowDiagnosis
    {
        healthy,
        vanishing,
        exploding,
    };
    std::string diagnosis_name(FlowDiagnosis d); // "healthy", "vanishing", "exploding"

    // Thresholds of the diagnosis. They are design choices, not constants of the literature;
    // the comments say where each comes from.
    struct MonitorThresholds
    {
        // Horizon: the lag at which the gradient has fallen to epsilon of the final step's.
        // A layer is "vanishing" when its horizon is shorter than the dependency length: by
        // Pascanu's eq. 7 the contributions from beyond it weigh < epsilon in the update.
        double epsilon = 1e-3;
        // "exploding" when the adjoint grows by more than 10^growth_log10 going back over the
        // dependency length (the mirror of the vanishing rule)...
        double growth_log10 = 1.0;
        // ...or the global norm exceeds spike_factor x the running median of the last `window`
        // steps (Pascanu: thresholds up to 10x the average norm still converge).
        double spike_factor = 10.0;
        std::size_t window = 100; // steps in the running median and in clip_fraction
        // The lag the task needs (T for the adding problem); 0 = the unroll length.
        std::size_t dependency_length = 0;
    };

    struct TensorGradNorm
    {
        std::string name; // e.g. "rnn.weight_hh_l0" or, per gate block, "rnn.weight_hh_l0[f]"
        double norm = 0;
    };

    struct LayerFlowReport
    {
        std::size_t layer = 0;
        std::size_t direction = 0;      // 0 forward, 1 reverse (bidirectional stacks)
        std::size_t steps = 0;          // T
        std::vector<double> dh;         // dh[t-1] = batch-mean ||dL/dh_t||, t = 1..T
        std::vector<double> dc;         // LSTM: batch-mean ||dL/dc_t||, t = 1..T
        std::vector<double> step_gain;  // step_gain[t-1] = ||a_t J_t|| / ||a_t||, t = 1..T (NaN: no gradient)
        double step_gain_mean = 0;      // geometric mean of step_gain: the per-step rate eta
        double omega = 0;               // sum (step_gain - 1)^2 (Pascanu's regulariser)
        // From the dh profile; meaningful when the loss sits on the final step only:
        double log10_decay = 0;         // log10(dh[1] / dh[T]) (-inf when dh[1] underflowed to 0)
        double per_step_rate = 0;       // 10^(log10_decay / (T - 1))
        long horizon = -1;              // first lag k with dh[T-k] < epsilon dh[T]; -1: not within T
        double horizon_extrapolated = 0; // ln(epsilon) / ln(step_gain_mean); inf when >= 1
        // Static check on the recurrent weights (vanilla cell: all of W_hh; GRU / LSTM: the
        // candidate block, reported only -- the gates bypass Pascanu's condition).
        double sigma_max = 0;           // largest singular value, power iteration
        double gamma = 0;               // max slope of the activation
        double sigma_gamma = 0;
        double forget_mean = -1;        // LSTM: mean forget gate of the last forward; -1 otherwise
        FlowDiagnosis diagnosis = FlowDiagnosis::healthy;
        std::vector<std::string> flags; // vanishing_guaranteed, explosion_possible, forget_gate_vanishing, nonfinite
    };

    struct MonitorReport
    {
        std::size_t step = 0;
        bool final_step_loss = false;  // the traced backward had a loss on the last step only
        std::vector<TensorGradNorm> tensors;
        double global_norm = 0;        // before clipping (as clip_grad_norm_ returns)
        double global_norm_post = 0;   // after clipping
        bool clipped = false;
        std::size_t clip_count = 0;    // since the monitor was made
        double clip_fraction = 0;      // over the last `window` recorded steps
        double median_norm = 0;        // running median of the global norm
        std::size_t nonfinite = 0;     // NaN / inf gradient entries
        bool norm_spike = false;       // global norm > spike_factor x median
        std::vector<LayerFlowReport> layers;
        FlowDiagnosis diagnosis = FlowDiagnosis::healthy; // the worst layer's (exploding > vanishing)
        std::string summary() const;   // one line for a terminal, e.g. "vanishing (layer 0: horizon 12 < 64)"
    };

    // A parameter set and the prefix of its tensor names in the report.
    template <class T>
    struct NamedParams
    {
        std::string prefix;
        const ParamSet<T>* set;
    };

    // Largest singular value of a (rows, cols) row-major block, by power iteration on A^T A,
    // until the estimate settles to 1e-10. `start` (optional, cols entries) warm-starts it and
    // receives the final right singular vector: the monitor reuses it, so after the first report
    // W_hh, which moves little between reports, costs a few iterations.
    template <class T>
    double sigma_max(const T* a, std::size_t rows, std::size_t cols, std::size_t iterations = 500,
                     std::vector<double>* start = nullptr);

    class GradMonitor
    {
    public:
        explicit GradMonitor(MonitorThresholds thresholds = {});
        const MonitorThresholds& thresholds() const { return thresholds_; }

        // After clipping, on every training step.
        void record_step(const ClipResult& clip);

        // After a backward with Recurrent::set_flow_trace(true). `params` lists every parameter
        // set of the model (for per-tensor norms and the non-finite count); tensors of the
        // recurrent stack are split per gate block as well. `clip` is this step's.
        template <class T>
        MonitorReport report(std::size_t step, const Recurrent<T>& rnn,
                             const std::vector<NamedParams<T>>& params, const ClipResult& clip,
                             bool final_step_loss);

        std::size_t clip_count() const { return clips_.clip_count(); }
        double clip_fraction() const { return clips_.clip_fraction_recent(); }
        double median_norm() const; // of the finite global norms in the window; 0 if none

    private:
        MonitorThresholds thresholds_;
        std::deque<double> norms_;
        ClipCounter clips_;
        std::vector<std::vector<double>> singular_vectors_; // per layer, warm starts for sigma_max
    };

    // Per-layer analysis of one trace (used by report(); public for tests and the study tool).
    LayerFlowReport analyse_flow(const FlowTrace& trace, const MonitorThresholds& thresholds,
                                 bool final_step_loss);
}

#endif
