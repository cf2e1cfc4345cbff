// xrnn/gradflow/probe.hpp -- the probe: untrained networks, one per RunConfig of the sweep;
// records the per-step adjoint norms ||dL/dh_t|| (and ||dL/dc_t||) of a loss on the final step
// only, in double precision, with the monitor's static check and diagnosis. No training (that
// is train.hpp); the output is probe.csv, probe_summary.csv and probe.jsonl in o.out and a
// table on stdout.
#ifndef XRNN_GRADFLOW_PROBE_HPP
#define XRNN_GRADFLOW_PROBE_HPP

#include "xrnn/gradflow/sweep.hpp"

#include <atomic>

namespace xrnn::gradflow
{
    // Runs the sweep until done or until `stop` is set (between configurations; the files then
    // hold the finished rows).
    void probe(const Options& o, const std::atomic<bool>& stop);
}

#endif
