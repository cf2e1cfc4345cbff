// xrnn/input_file.hpp -- opening a file the user named as input: regular files only (a FIFO
// blocks a read forever, /dev/zero never ends, a folder is not an "empty" file), read whole
// under a size cap, and a phrase saying which of those it was.
//
// No exceptions here: each loader throws its own error type (CheckpointError, DataError, ...)
// with its own prefix, followed by the phrase, e.g. "checkpoint 'x' is a FIFO (named pipe), ...".
#ifndef XRNN_INPUT_FILE_HPP
#define XRNN_INPUT_FILE_HPP

#include <cstdint>
#include <string>

namespace xrnn
{
    // Larger inputs are refused before reading: every xrnn input (text corpus, checkpoint, .npy,
    // list, WAV) is far below this, and a bigger one would not fit in memory on most machines.
    constexpr std::uint64_t kMaxInputFileBytes = std::uint64_t{16} << 30;

    // "" when `path` is a regular file that opens for reading; else the problem as a phrase that
    // follows the quoted path: "does not exist", "is a directory, not a file", "is a FIFO (named
    // pipe), not a regular file; give a file", "cannot be opened: Permission denied", ...
    std::string input_file_problem(const std::string& path);

    // Reads the whole regular file at `path` into `bytes`; returns "" or the problem as above,
    // also "is larger than ..." (checked before reading) and read errors. The file is opened
    // non-blocking and checked with fstat on the open descriptor, so a FIFO swapped in after a
    // check cannot block it.
    std::string read_input_file(const std::string& path, std::string& bytes,
                                std::uint64_t max_bytes = kMaxInputFileBytes);

    // 1536 -> "1.5 KiB", 6442450944 -> "6.0 GiB": sizes in messages.
    std::string format_bytes(std::uint64_t bytes);
}

#endif
