// xrnn/xrnn.hpp -- everything public, for programs that want one include.
#ifndef XRNN_XRNN_HPP
#define XRNN_XRNN_HPP

#include "xrnn/activation.hpp"
#include "xrnn/blas.hpp"
#include "xrnn/bptt.hpp"
#include "xrnn/check.hpp"
#include "xrnn/flow_trace.hpp"
#include "xrnn/grad_monitor.hpp"
#include "xrnn/gru_cell.hpp"
#include "xrnn/init.hpp"
#include "xrnn/layer.hpp"
#include "xrnn/lstm_cell.hpp"
#include "xrnn/params.hpp"
#include "xrnn/random.hpp"
#include "xrnn/rnn_cell.hpp"
#include "xrnn/tensor.hpp"

#endif
