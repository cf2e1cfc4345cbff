// xrnn/checkpoint.hpp -- a versioned, checksummed binary container, written atomically.
//
// Layout (little-endian):
//   "XRNNCKPT"            8-byte magic
//   u32 version           kCheckpointVersion
//   u64 n, n bytes        metadata: a JSON text (config, vocabulary, counters, RNG states)
//   u32 count             named float32 arrays, each: u32 n, name; u64 k, k floats
//   u64 checksum          FNV-1a 64 of every byte before it
// Writes go to "<path>.tmp-<pid>", are flushed and fsync'ed, then renamed over <path>: a crash
// leaves either the old file or the new one, never a torn one (rename is atomic on POSIX).
// Loading checks magic, version, every length against the file size, and the checksum, and
// throws CheckpointError saying which failed.
#ifndef XRNN_CHECKPOINT_HPP
#define XRNN_CHECKPOINT_HPP

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace xrnn
{
    constexpr std::uint32_t kCheckpointVersion = 1;

    struct CheckpointError : std::runtime_error
    {
        using std::runtime_error::runtime_error;
    };

    struct Checkpoint
    {
        std::string meta_json;
        std::vector<std::pair<std::string, std::vector<float>>> tensors;

        const std::vector<float>& tensor(const std::string& name) const; // throws if absent
    };

    void save_checkpoint(const std::string& path, const Checkpoint& ckpt);
    Checkpoint load_checkpoint(const std::string& path);
}

#endif
