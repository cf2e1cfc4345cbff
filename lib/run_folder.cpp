// lib/run_folder.cpp -- see run_folder.hpp.
#include "xrnn/run_folder.hpp"

#include "xrnn/check.hpp"
#include "xrnn/input_file.hpp" // format_bytes

#include <cerrno>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/statvfs.h>
#include <unistd.h>

namespace xrnn
{
    namespace fs = std::filesystem;

    namespace
    {
        std::string why() { return std::strerror(errno); }

        // "last.ckpt.tmp-1234" -> 1234; 0 when the name is not a temp file's
        long temp_pid(const std::string& name)
        {
            const auto at = name.rfind(".tmp-");
            if (at == std::string::npos || at + 5 >= name.size())
                return 0;
            long pid = 0;
            for (std::size_t i = at + 5; i < name.size(); ++i)
            {
                if (name[i] < '0' || name[i] > '9' || pid > 1000000000L)
                    return 0;
                pid = pid * 10 + (name[i] - '0');
            }
            return pid;
        }

        bool alive(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }
    }

    RunFolder::RunFolder(const std::string& dir, const std::string& program, const std::string& out_name)
        : dir_(dir), out_name_(out_name)
    {
        XRNN_CHECK(!dir.empty(), "the output folder (" + out_name + ") is empty; name a folder");
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (!fs::is_directory(dir))
            detail::fail("cannot create output folder '" + dir + "'" + (ec ? ": " + ec.message() : std::string())
                         + "; choose another folder for " + out_name);
        const std::string lock = file(".lock");
        lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (lock_fd_ < 0)
            detail::fail("cannot write to output folder '" + dir + "': " + why() + "; choose another folder for "
                         + out_name);
        if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
        {
            char buf[256] = {};
            const ssize_t n = ::pread(lock_fd_, buf, sizeof buf - 1, 0);
            std::string holder = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
            while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' '))
                holder.pop_back();
            ::close(lock_fd_);
            lock_fd_ = -1;
            detail::fail("output folder '" + dir + "' is in use by another run ("
                         + (holder.empty() ? std::string("its PID is not recorded") : holder)
                         + "); wait for it to finish, stop it, or choose another folder for " + out_name);
        }
        // ours now: record who holds it (read by a refused second run)
        char when[32];
        const std::time_t now = std::time(nullptr);
        std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", std::localtime(&now));
        const std::string who = "PID " + std::to_string(::getpid()) + ", " + program + ", started " + when + "\n";
        if (::ftruncate(lock_fd_, 0) != 0 || ::pwrite(lock_fd_, who.data(), who.size(), 0) != static_cast<ssize_t>(who.size()))
            detail::fail("cannot write to output folder '" + dir + "': " + why() + "; choose another folder for "
                         + out_name);

        // temp files of saves that never finished: nobody else holds the folder, so a temp file
        // whose writer is gone is garbage (a live writer would be a lockless older xrnn: skip it)
        for (const auto& e : fs::directory_iterator(dir, ec))
        {
            const std::string name = e.path().filename().string();
            const long pid = temp_pid(name);
            if (pid == 0 || pid == ::getpid() || alive(pid) || !e.is_regular_file(ec))
                continue;
            const auto bytes = e.file_size(ec);
            if (fs::remove(e.path(), ec))
            {
                ++removed_;
                removed_bytes_ += ec ? 0 : bytes;
            }
        }
    }

    RunFolder::~RunFolder()
    {
        if (metrics_fd_ >= 0)
            ::close(metrics_fd_);
        if (lock_fd_ >= 0)
            ::close(lock_fd_); // drops the flock; the file stays (unlinking it would race a newcomer)
    }

    std::string RunFolder::file(const std::string& name) const { return (fs::path(dir_) / name).string(); }

    void RunFolder::check_room(std::uint64_t checkpoint_bytes) const
    {
        struct rlimit rl;
        if (::getrlimit(RLIMIT_FSIZE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < checkpoint_bytes)
            detail::fail("a checkpoint of this model takes about " + format_bytes(checkpoint_bytes)
                         + ", more than the file-size limit (ulimit -f) of " + format_bytes(rl.rlim_cur)
                         + "; raise the limit");
        struct statvfs st;
        if (::statvfs(dir_.c_str(), &st) != 0)
            return; // no figure to check against: the first save will say
        const double free_bytes = static_cast<double>(st.f_bavail) * static_cast<double>(st.f_frsize);
        double existing = 0;
        std::error_code ec;
        for (const char* name : {"last.ckpt", "best.ckpt"})
        {
            const auto n = fs::file_size(file(name), ec);
            if (!ec)
                existing += static_cast<double>(n);
        }
        const double need = std::max(static_cast<double>(checkpoint_bytes), 3.0 * static_cast<double>(checkpoint_bytes) - existing);
        if (free_bytes < need)
            detail::fail("output folder '" + dir_ + "' has " + format_bytes(static_cast<std::uint64_t>(free_bytes))
                         + " free; this run needs about " + format_bytes(static_cast<std::uint64_t>(need))
                         + " for its checkpoints (last.ckpt, best.ckpt and the temp copy written before each "
                           "replaces the old, about "
                         + format_bytes(checkpoint_bytes) + " each); free space or choose another folder for "
                         + out_name_);
    }

    void RunFolder::append_metrics(const std::string& line)
    {
        const std::string path = file("metrics.jsonl");
        if (metrics_fd_ < 0)
        {
            metrics_fd_ = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
            if (metrics_fd_ < 0)
                detail::fail("cannot write '" + path + "': " + why());
        }
        const std::string text = line + "\n";
        std::size_t done = 0;
        while (done < text.size())
        {
            const ssize_t w = ::write(metrics_fd_, text.data() + done, text.size() - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
            {
                const std::string reason = w < 0 ? why() : std::string("nothing written");
                // a torn line would break the JSONL for every reader: cut it off again
                if (done > 0)
                {
                    const off_t end = ::lseek(metrics_fd_, 0, SEEK_END);
                    if (end >= static_cast<off_t>(done) && ::ftruncate(metrics_fd_, end - static_cast<off_t>(done)) != 0)
                    {
                    }
                }
                detail::fail("writing '" + path + "' failed: " + reason);
            }
            done += static_cast<std::size_t>(w);
        }
    }
}
