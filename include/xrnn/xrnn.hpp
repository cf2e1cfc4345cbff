// xrnn/xrnn.hpp -- the whole core library in one include: activations, cells, the recurrent
// stack with BPTT, parameters and initialisation, embedding, linear head, sequence pooling,
// softmax cross-entropy, mean squared error and CTC (with its decoders), dropout, clipping, optimizers, the weight
// average, the gradient-flow trace and monitor, and checkpoints. Not the application wings
// (xrnn/charlm/, xrnn/gradflow/, xrnn/seq/, xrnn/features/): include those by name.
#ifndef XRNN_XRNN_HPP
#define XRNN_XRNN_HPP

#include "xrnn/activation.hpp"
#include "xrnn/blas.hpp"
#include "xrnn/bptt.hpp"
#include "xrnn/cell_cache.hpp"
#include "xrnn/cell_traits.hpp"
#include "xrnn/check.hpp"
#include "xrnn/checkpoint.hpp"
#include "xrnn/clip.hpp"
#include "xrnn/ctc.hpp"
#include "xrnn/dropout.hpp"
#include "xrnn/embedding.hpp"
#include "xrnn/flow_trace.hpp"
#include "xrnn/grad_monitor.hpp"
#include "xrnn/init.hpp"
#include "xrnn/layer.hpp"
#include "xrnn/linear.hpp"
#include "xrnn/mse.hpp"
#include "xrnn/optimizer.hpp"
#include "xrnn/params.hpp"
#include "xrnn/random.hpp"
#include "xrnn/sequence_pool.hpp"
#include "xrnn/softmax_xent.hpp"
#include "xrnn/tensor.hpp"
#include "xrnn/weight_average.hpp"

#endif
