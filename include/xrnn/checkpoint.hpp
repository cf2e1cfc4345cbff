// xrnn/checkpoint.hpp -- a versioned, checksummed binary container of named, typed tensors,
// written atomically; and the state of a model as entries of it: the tensors of a ParamSet<T>
// (by name, in T's dtype), the values of a list of spans as one flat tensor, an optimizer's
// moments and step count, an Rng's state.
//
// Layout (little-endian):
//   "XRNNCKPT"            8-byte magic
//   u32 version           kCheckpointVersion
//   u64 n, n bytes        metadata: text the application chooses (the char-LM writes JSON)
//   u32 count             named arrays, each: u32 n, name; u32 dtype; u64 k, k values
//   u64 checksum          FNV-1a 64 of every byte before it
// Version 1 had no dtype field: every array was float32. Version-1 files still load.
// Writes go to "<path>.tmp-<pid>", are flushed and fsync'ed, then renamed over <path>: a crash
// leaves either the old file or the new one, never a torn one (rename is atomic on POSIX).
// Loading checks magic, version, every length against the file size, and the checksum, and
// throws CheckpointError saying which failed.
//
// Not a serialisation of the metadata: what the text means is the application's business.
#ifndef XRNN_CHECKPOINT_HPP
#define XRNN_CHECKPOINT_HPP

#include "xrnn/optimizer.hpp"
#include "xrnn/params.hpp"
#include "xrnn/random.hpp"

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace xrnn
{
    constexpr std::uint32_t kCheckpointVersion = 2;

    struct CheckpointError : std::runtime_error
    {
        using std::runtime_error::runtime_error;
    };

    // FNV-1a, 64 bits: the checkpoint's checksum, and a cheap fingerprint of a file's content.
    std::uint64_t fnv1a(const void* data, std::size_t n);
    inline std::uint64_t fnv1a(const std::string& bytes) { return fnv1a(bytes.data(), bytes.size()); }

    // The element type of a stored tensor; the numbers are the file's.
    enum class DType : std::uint32_t
    {
        float32 = 0,
        float64 = 1,
        uint64 = 2,
    };
    std::string dtype_name(DType d);
    std::size_t dtype_size(DType d);
    template <class T>
    constexpr DType dtype_of();
    template <>
    constexpr DType dtype_of<float>() { return DType::float32; }
    template <>
    constexpr DType dtype_of<double>() { return DType::float64; }
    template <>
    constexpr DType dtype_of<std::uint64_t>() { return DType::uint64; }

    // One stored array: its dtype and its values' bytes.
    struct TensorData
    {
        TensorData() = default;
        TensorData(std::initializer_list<float> v) : TensorData(std::vector<float>(v)) {}
        template <class T>
        TensorData(const std::vector<T>& v) : dtype(dtype_of<T>()), bytes(v.size() * sizeof(T), '\0')
        {
            if (!v.empty()) // memcpy from/to null is undefined even for 0 bytes
                std::memcpy(&bytes[0], v.data(), bytes.size());
        }
        std::size_t size() const { return bytes.size() / dtype_size(dtype); }

        DType dtype = DType::float32;
        std::string bytes;
    };

    struct Checkpoint
    {
        std::string meta_json;
        std::vector<std::pair<std::string, TensorData>> tensors;
        std::string path; // where it was loaded from, for messages; empty when built in memory

        bool has(const std::string& name) const;
        // The values of a named tensor of T's dtype; throws if absent or of another dtype.
        template <class T = float>
        std::vector<T> tensor(const std::string& name) const;
    };
    extern template std::vector<float> Checkpoint::tensor<float>(const std::string&) const;
    extern template std::vector<double> Checkpoint::tensor<double>(const std::string&) const;
    extern template std::vector<std::uint64_t> Checkpoint::tensor<std::uint64_t>(const std::string&) const;

    void save_checkpoint(const std::string& path, const Checkpoint& ckpt);
    Checkpoint load_checkpoint(const std::string& path); // versions 1 and 2

    // ---- the state of a model as named tensors

    // Every tensor of `params` as "<prefix><name>", in T's dtype, and back. Loading needs each
    // name with the same size and dtype, and throws CheckpointError naming the first that differs.
    template <class T>
    void put_params(Checkpoint& c, const std::string& prefix, const ParamSet<T>& params)
    {
        for (std::size_t i = 0; i < params.count(); ++i)
        {
            const T* v = params.value(i);
            c.tensors.emplace_back(prefix + params.table()[i].name, std::vector<T>(v, v + params.table()[i].size));
        }
    }
    template <class T>
    void get_params(const Checkpoint& c, const std::string& prefix, ParamSet<T>& params);

    // The values of `spans`, one after the other, as one tensor (as the optimizer and the
    // weight average see them), and back; loading needs the same total size.
    template <class T>
    void put_span_values(Checkpoint& c, const std::string& name, const std::vector<ParamSpan<T>>& spans)
    {
        std::vector<T> v;
        v.reserve(total_size(spans));
        for (const auto& s : spans)
            v.insert(v.end(), s.values, s.values + s.size);
        c.tensors.emplace_back(name, v);
    }
    template <class T>
    void get_span_values(const Checkpoint& c, const std::string& name, const std::vector<ParamSpan<T>>& spans);

    // An optimizer's moment buffers and step count as "optimizer.<kind>.m", ".v" and ".steps"
    // (adam: first and second moments; rmsprop: .v the square average; sgd: .m the momentum
    // buffer), and back. get_optimizer returns false, changing nothing, when the checkpoint has
    // no state for this optimizer's kind.
    template <class T>
    void put_optimizer(Checkpoint& c, const Optimizer<T>& opt)
    {
        const std::string p = "optimizer." + optimizer_name(opt.config().kind) + ".";
        c.tensors.emplace_back(p + "m", opt.first_moment());
        c.tensors.emplace_back(p + "v", opt.second_moment());
        c.tensors.emplace_back(p + "steps", std::vector<std::uint64_t>{opt.steps()});
    }
    template <class T>
    bool get_optimizer(const Checkpoint& c, Optimizer<T>& opt)
    {
        const std::string p = "optimizer." + optimizer_name(opt.config().kind) + ".";
        if (!c.has(p + "m"))
            return false;
        const auto steps = c.tensor<std::uint64_t>(p + "steps");
        if (steps.size() != 1)
            throw CheckpointError("xrnn: checkpoint tensor '" + p + "steps' has " + std::to_string(steps.size())
                                  + " values; expected 1");
        opt.first_moment() = c.tensor<float>(p + "m");
        opt.second_moment() = c.tensor<float>(p + "v");
        opt.set_steps(steps[0]);
        return true;
    }

    // An Rng's whole state (four words, the spare normal and its flag) as a uint64 tensor.
    void put_rng(Checkpoint& c, const std::string& name, const Rng& rng);
    void get_rng(const Checkpoint& c, const std::string& name, Rng& rng);

    // ---- implementation

    namespace detail
    {
        [[noreturn]] void checkpoint_size_mismatch(const Checkpoint& c, const std::string& name, std::size_t has,
                                                   std::size_t needs);
    }

    template <class T>
    void get_params(const Checkpoint& c, const std::string& prefix, ParamSet<T>& params)
    {
        for (std::size_t i = 0; i < params.count(); ++i)
        {
            const ParamInfo& info = params.table()[i];
            const std::vector<T> v = c.tensor<T>(prefix + info.name);
            if (v.size() != info.size)
                detail::checkpoint_size_mismatch(c, prefix + info.name, v.size(), info.size);
            std::copy(v.begin(), v.end(), params.value(i));
        }
    }

    template <class T>
    void get_span_values(const Checkpoint& c, const std::string& name, const std::vector<ParamSpan<T>>& spans)
    {
        const std::vector<T> values = c.tensor<T>(name);
        if (values.size() != total_size(spans))
            detail::checkpoint_size_mismatch(c, name, values.size(), total_size(spans));
        std::size_t off = 0;
        for (const auto& s : spans)
        {
            std::copy(values.begin() + static_cast<std::ptrdiff_t>(off),
                      values.begin() + static_cast<std::ptrdiff_t>(off + s.size), s.values);
            off += s.size;
        }
    }
}

#endif
