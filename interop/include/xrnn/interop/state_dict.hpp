// xrnn/interop/state_dict.hpp -- a model's weights as a PyTorch state_dict on disk, both ways.
//
// An export folder holds one float32 .npy per tensor, named by the key a PyTorch user would
// have (`rnn.weight_ih_l0.npy`, `rnn.weight_hh_l0_reverse.npy`, `embedding.weight.npy`,
// `head.weight.npy`, ...), and `config.json`: the model's configuration and the list of tensors
// with their shapes. The layouts are PyTorch's already (layer.hpp: gate blocks stacked in
// PyTorch's order), so a tensor is copied as it is: `torch.from_numpy(np.load(f))` fits
// nn.LSTM / nn.GRU / nn.RNN / nn.Embedding / nn.Linear. examples/torch_interop.py builds the
// torch module from a folder and writes folders from torch modules.
//
// config.json: {"format": "xrnn-state-dict", "version": 1, "kind": "charlm" | "seq",
//   "rnn": {"cell", "input_size", "hidden_size", "num_layers", "bidirectional", "activation",
//           "recurrent_activation"},
//   charlm: "vocab" (the byte of each token id), "embed_size", "xrnn_config" (the full training
//           configuration; optional on import);
//   seq:    "model" (the xrnn-seq model configuration), "classes";
//   "tensors": {key: shape}}
// Import is strict, as load_state_dict(strict=True): every tensor the configuration needs, with
// its shape, and no other.
#ifndef XRNN_INTEROP_STATE_DICT_HPP
#define XRNN_INTEROP_STATE_DICT_HPP

#include "xrnn/charlm/char_checkpoint.hpp"
#include "xrnn/params.hpp"
#include "xrnn/seq/seq_train.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace xrnn::interop
{
    struct NamedTensor
    {
        std::string key;                // "rnn.weight_ih_l0"
        std::vector<std::size_t> shape; // (4H, I)
        std::vector<float> values;      // C order
    };

    struct StateDict
    {
        nlohmann::json config;           // config.json without "tensors"
        std::vector<NamedTensor> tensors; // in the model's order
    };

    // ---- any model: a ParamSet's tensors under a key prefix ("rnn.", "head." is in the names)
    void append_params(std::vector<NamedTensor>& out, const ParamSet<float>& params, const std::string& prefix);
    // Copies every tensor of `params` from `sd` (key prefix + name), checking shapes; marks the
    // keys it used in `used` (one flag per sd.tensors entry).
    void take_params(ParamSet<float>& params, const StateDict& sd, const std::string& prefix, std::vector<bool>& used,
                     const std::string& dir);
    // Every tensor was used, or a std::invalid_argument naming the ones nothing reads.
    void check_all_used(const StateDict& sd, const std::vector<bool>& used, const std::string& dir);

    // Writes the folder: into `dir`.tmp-<pid> first, renamed to `dir` when complete, so a failure
    // leaves no half-written export. `dir` must not exist or be an empty folder.
    void write_state_dict(const std::string& dir, const StateDict& sd);
    // Reads and checks a folder: config.json parses, every listed tensor's .npy exists, is a float
    // array of the listed shape with finite values. std::invalid_argument naming the file.
    StateDict read_state_dict(const std::string& dir);

    // ---- the char-LM (charlm wing) and the xrnn-seq model (seq wing)
    StateDict char_state_dict(const LoadedCharModel& m);
    LoadedCharModel char_model_from(const StateDict& sd, const std::string& dir);
    StateDict seq_state_dict(const seq::SavedModel& m);
    seq::SavedModel seq_model_from(const StateDict& sd, const std::string& dir);

    // The CLIs' export/import: checkpoint -> folder, folder -> checkpoint (the model's own format,
    // which sample/eval/predict read; it holds no training state, so it cannot be resumed).
    void export_char_checkpoint(const std::string& checkpoint, const std::string& dir, bool raw);
    void import_char_checkpoint(const std::string& dir, const std::string& checkpoint);
    void export_seq_model(const std::string& model, const std::string& dir);
    void import_seq_model(const std::string& dir, const std::string& model);
}

#endif
