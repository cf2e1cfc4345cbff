// tests/fuzz/fuzz_file.hpp -- what the harnesses share. The loaders read paths, so each input
// is written to a file of this process's own (in $TMPDIR, else /dev/shm: no disk write per
// input), rewritten for every input and removed at exit.
#ifndef XRNN_FUZZ_FILE_HPP
#define XRNN_FUZZ_FILE_HPP

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <string>
#include <typeinfo>
#include <unistd.h>

namespace fuzz
{
    // A folder of this process's own: harnesses run two at a time, and libFuzzer may fork.
    // Never destroyed: the exit handler that removes the folder runs after static destructors.
    inline const std::string& work_dir()
    {
        static const std::string* dir = [] {
            const char* env = std::getenv("TMPDIR");
            std::string base = env && *env ? env : (std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp");
            auto* d = new std::string(base + "/xrnn-fuzz-" + std::to_string(::getpid()));
            std::filesystem::create_directories(*d);
            std::atexit([] {
                std::error_code ec;
                std::filesystem::remove_all(work_dir(), ec);
            });
            return d;
        }();
        return *dir;
    }

    // Writes the bytes to work_dir()/name and returns the path.
    inline std::string write_file(const std::string& name, const void* data, std::size_t size)
    {
        const std::string path = work_dir() + "/" + name;
        std::ofstream out(path, std::ios::binary | std::ios::trunc);
        out.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
        if (!out.flush())
            std::abort(); // the harness's own failure, not the loader's: stop loudly
        return path;
    }
    inline std::string write_file(const std::string& name, const std::string& bytes)
    {
        return write_file(name, bytes.data(), bytes.size());
    }

    // An exception other than the loader's documented ones is a finding too ("stoul" or
    // "std::bad_alloc" says nothing of the file): print it and abort, libFuzzer keeps the input.
    [[noreturn]] inline void undocumented(const std::exception& e)
    {
        std::fprintf(stderr, "undocumented exception (%s): %s\n", typeid(e).name(), e.what());
        std::abort();
    }
}

#endif
