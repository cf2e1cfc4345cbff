// xrnn/run_folder.hpp -- the output folder a training run owns while it runs.
//
// One run per folder: the constructor takes an exclusive flock on "<dir>/.lock" and refuses a
// second run naming the first's PID. The kernel drops the lock when its process dies, so a
// crashed or killed run never leaves the folder stuck. Holding the lock, it removes the
// "*.tmp-<pid>" files that saves killed mid-write left behind (save_checkpoint's temp files).
// check_room refuses a folder without space for the run's checkpoints before training starts,
// and append_metrics reports a metrics line that did not land (a full disk) instead of losing it.
#ifndef XRNN_RUN_FOLDER_HPP
#define XRNN_RUN_FOLDER_HPP

#include <cstdint>
#include <string>

namespace xrnn
{
    class RunFolder
    {
    public:
        // `program` ("xrnn-charlm train") is written into the lock for the refusal message;
        // `out_name` is how messages name the folder's option ("--out").
        RunFolder(const std::string& dir, const std::string& program, const std::string& out_name);
        ~RunFolder();
        RunFolder(const RunFolder&) = delete;
        RunFolder& operator=(const RunFolder&) = delete;

        const std::string& dir() const { return dir_; }
        std::string file(const std::string& name) const; // "<dir>/<name>"

        // Stale temp files removed by the constructor, and their bytes.
        std::size_t removed_temps() const { return removed_; }
        std::uint64_t removed_temp_bytes() const { return removed_bytes_; }

        // Throws unless the folder's file system has room for last.ckpt, best.ckpt and the temp
        // copy written before each replaces the old one (less what last.ckpt and best.ckpt
        // already take), and the file-size limit (ulimit -f) lets one checkpoint be written.
        void check_room(std::uint64_t checkpoint_bytes) const;

        // Appends `line` and a newline to <dir>/metrics.jsonl and flushes it; throws naming the
        // file and the reason when it does not land whole.
        void append_metrics(const std::string& line);

    private:
        std::string dir_, out_name_;
        int lock_fd_ = -1;
        int metrics_fd_ = -1;
        std::size_t removed_ = 0;
        std::uint64_t removed_bytes_ = 0;
    };
}

#endif
