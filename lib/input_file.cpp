// lib/input_file.cpp -- see input_file.hpp.
#include "xrnn/input_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace xrnn
{
    namespace
    {
        std::string kind_problem(mode_t mode)
        {
            if (S_ISREG(mode))
                return "";
            if (S_ISDIR(mode))
                return "is a directory, not a file";
            const char* kind = S_ISFIFO(mode) ? "a FIFO (named pipe)"
                               : S_ISCHR(mode) || S_ISBLK(mode) ? "a device"
                               : S_ISSOCK(mode)                 ? "a socket"
                                                                : "not a file";
            return std::string("is ") + kind + ", not a regular file; give a file";
        }

        std::string open_problem(int err)
        {
            return err == ENOENT ? std::string("does not exist") : "cannot be opened: " + std::string(std::strerror(err));
        }
    }

    std::string format_bytes(std::uint64_t bytes)
    {
        const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = static_cast<double>(bytes);
        int u = 0;
        while (v >= 1024 && u < 6)
        {
            v /= 1024;
            ++u;
        }
        char buf[48];
        if (u == 0)
            std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
        else
            std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
        return buf;
    }

    std::string input_file_problem(const std::string& path)
    {
        if (path.empty())
            return "is an empty path";
        struct stat st;
        if (::stat(path.c_str(), &st) != 0)
            return open_problem(errno);
        const std::string kind = kind_problem(st.st_mode);
        if (!kind.empty())
            return kind;
        if (::access(path.c_str(), R_OK) != 0)
            return open_problem(errno);
        return "";
    }

    std::string read_input_file(const std::string& path, std::string& bytes, std::uint64_t max_bytes)
    {
        bytes.clear();
        if (path.empty())
            return "is an empty path";
        // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer
        const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0)
        {
            const int err = errno;
            struct stat st;
            if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
                return kind_problem(st.st_mode);
            return open_problem(err);
        }
        struct stat st;
        std::string problem;
        if (::fstat(fd, &st) != 0)
            problem = "cannot be read: " + std::string(std::strerror(errno));
        else
            problem = kind_problem(st.st_mode);
        if (problem.empty() && static_cast<std::uint64_t>(st.st_size) > max_bytes)
            problem = "is larger than " + format_bytes(max_bytes) + " (" + format_bytes(st.st_size) + ")";
        if (problem.empty())
        {
            // a regular file: blocking mode changes nothing, but keep reads plain
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
            bytes.reserve(static_cast<std::size_t>(st.st_size));
            char chunk[1 << 16];
            for (;;)
            {
                const ssize_t n = ::read(fd, chunk, sizeof chunk);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0)
                {
                    problem = "cannot be read: " + std::string(std::strerror(errno));
                    break;
                }
                if (n == 0)
                    break;
                bytes.append(chunk, static_cast<std::size_t>(n));
                if (bytes.size() > max_bytes) // a file that grows while it is read
                {
                    problem = "is larger than " + format_bytes(max_bytes);
                    break;
                }
            }
        }
        ::close(fd);
        if (!problem.empty())
            bytes.clear();
        return problem;
    }
}
