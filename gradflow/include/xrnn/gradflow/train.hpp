// xrnn/gradflow/train.hpp -- the training sweep: each RunConfig trained on a synthetic
// long-range task (tasks.hpp) for a fixed number of steps with Adam and global-norm clipping;
// reports test loss, solved yes/no (Pascanu et al.'s criterion), clip fraction and the
// monitor's diagnosis over training. The output is train.csv (one row per evaluation),
// train_summary.csv (one per run) and train.jsonl (monitored steps) in o.out, and a table on
// stdout. Not a general trainer: no checkpoints, no schedules.
#ifndef XRNN_GRADFLOW_TRAIN_HPP
#define XRNN_GRADFLOW_TRAIN_HPP

#include "xrnn/gradflow/sweep.hpp"

#include <atomic>

namespace xrnn::gradflow
{
    // Runs the sweep until done or until `stop` is set (checked every step; the run stopped
    // still gets its summary row).
    void train(const Options& o, const std::atomic<bool>& stop);
}

#endif
