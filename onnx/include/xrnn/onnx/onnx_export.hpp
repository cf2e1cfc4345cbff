// xrnn/onnx/onnx_export.hpp -- a trained char-LM or xrnn-seq model as an ONNX file that ONNX
// Runtime (or any ONNX runtime) runs for inference.
//
// Written with the protobuf classes Debian's libonnx-dev generates (onnx::ModelProto), opset 17
// (the highest libonnx 1.12 knows), IR version 8. The recurrent stack is one ONNX RNN / GRU /
// LSTM node per layer (ONNX's recurrent operators are single-layer):
//   - weights per direction: W = weight_ih, R = weight_hh, B = [bias_ih; bias_hh], with the gate
//     blocks reordered: LSTM i f g o -> ONNX i o f c, GRU r z n -> ONNX z r h; peephole LSTM
//     weight_peephole i f o -> ONNX P i o f (lstm_peephole.cpp is ONNX's peephole form already)
//   - GRU linear_before_reset = 1 (xrnn's GRU is PyTorch's: r scales W_hn h + b_hn)
//   - direction forward / bidirectional; lengths -> sequence_lens (each sequence's reverse
//     direction runs back from its own last step, as in xrnn)
//   - activations: LSTM (gate, candidate, cell output) = (recurrent_activation, activation,
//     activation) per direction, GRU (gate, candidate), RNN (activation); see onnx_activation()
//   - between layers Y (T, D, B, H) -> (T, B, D*H), forward first, as xrnn's y
// Dropout and weight drop are training-time only and are not exported.
//
// What ONNX's recurrent operators cannot express is refused with std::invalid_argument naming
// it: the swish, mish and gelu activations (ONNX RNN/GRU/LSTM accept only Affine, Relu,
// LeakyRelu, ThresholdedRelu, Tanh, ScaledTanh, Sigmoid, HardSigmoid, Elu, Softsign, Softplus).
// Decomposing such a cell into a Loop of elementary operators would run, but slowly and outside
// every runtime's fused RNN kernels; we refuse instead.
// activation_alpha / activation_beta are listed as ONNX Runtime reads them: for GRU and LSTM one
// value per activation that takes one (LeakyRelu, Elu: alpha; HardSigmoid, Affine: alpha and
// beta), in order; for RNN one per direction.
//
// Not here: a file format choice or overwrite policy (the path is written as given, through a
// temp file renamed into place), models over protobuf's 2 GB limit (refused by name: ONNX's
// external-data form is not written), training graphs.
#ifndef XRNN_ONNX_ONNX_EXPORT_HPP
#define XRNN_ONNX_ONNX_EXPORT_HPP

#include "xrnn/activation.hpp"
#include "xrnn/charlm/char_checkpoint.hpp"
#include "xrnn/seq/seq_train.hpp"

#include <string>

namespace xrnn::onnx
{
    // The opset the files import (default domain) and their IR version.
    constexpr int kOpset = 17;
    constexpr int kIrVersion = 8;

    // An xrnn activation as ONNX's recurrent operators name it, with its parameters:
    //   identity -> Affine(alpha 1, beta 0)     sigmoid -> Sigmoid     tanh -> Tanh
    //   relu -> Relu     leaky_relu:a -> LeakyRelu(alpha a)     elu:a -> Elu(alpha a)
    //   softsign -> Softsign     softplus -> Softplus
    //   hard_sigmoid -> HardSigmoid(alpha 1/6, beta 1/2): xrnn's is PyTorch's relu6(x+3)/6, kinks
    //                   at -3 and 3, not ONNX's default (alpha 0.2)
    // swish, mish, gelu: std::invalid_argument naming the activation and the supported ones.
    struct OnnxActivation
    {
        std::string name;       // "Tanh", "HardSigmoid", ...
        bool has_alpha = false; // the operator reads an alpha (and consumes one from the list)
        bool has_beta = false;
        float alpha = 0.0f;
        float beta = 0.0f;
    };
    OnnxActivation onnx_activation(const Activation& a);

    // Any stack (bptt.hpp) alone. Inputs: x (T, B, input_size) float32, lengths (B) int32 (each
    // in 1..T), h0 (and c0 for LSTM cells) (num_layers * directions, B, H) in xrnn's (PyTorch's)
    // state order. Outputs: y (T, B, directions * H), zero past each length as xrnn's, and hn
    // (and cn), the state after each sequence's last step.
    void export_recurrent(const Recurrent<float>& rnn, const std::string& path);

    // A char-LM (charlm/char_checkpoint.hpp). Inputs: tokens (T, B) int64, vocabulary ids (the
    // model's metadata "xrnn.vocab" lists the byte of each id); with state_io also h0 (and c0
    // for LSTM cells) (num_layers, B, H), the initial state (zeros to start afresh).
    // Outputs: logits and probabilities (softmax over the vocabulary) (T, B, V); with state_io
    // also hn (and cn) (num_layers, B, H), the state after the last step, which the next call's
    // h0/c0 continues from (sampling one token at a time).
    void export_char_model(const LoadedCharModel& m, const std::string& path, bool state_io = true);

    // An xrnn-seq model (seq/seq_train.hpp). Inputs: x (T, B, features) float32, as xrnn-seq
    // reads it (raw: the model applies its standardizer, (x - mean) / std); for an embedding
    // input the single feature is the token id as a float, as in xrnn-seq's data (whole numbers
    // 0..vocab-1; steps past a length may hold anything, they become id 0); lengths (B) int32,
    // each in 1..T (ONNX's sequence_lens type).
    // Outputs: classify: logits and probabilities (B, classes); regress: predictions (B,
    // targets); tag and ctc: logits and probabilities (T, B, classes) (ctc: class 0 is the
    // blank). Pooling as sequence_pool.hpp: last = the top layer's final state per direction
    // (ONNX's Y_h), mean and max over the steps before each length.
    void export_seq_model(const seq::SavedModel& m, const std::string& path);
}

#endif
