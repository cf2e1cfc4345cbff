// tests/test_run_folder.cpp -- one run per output folder (a second refused naming the first's
// PID, the lock free again once the first is gone), stale temp files of dead writers removed,
// no room refused before training, a metrics line that does not land reported.
#include "xrnn/run_folder.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;

namespace
{
    std::string fresh_dir(const std::string& name)
    {
        const std::string d = std::string(XRNN_TEST_TMP) + "/" + name;
        fs::remove_all(d);
        return d;
    }

    // the PID of a process that has exited (and been reaped): no one owns it now
    pid_t dead_pid()
    {
        const pid_t p = ::fork();
        if (p == 0)
            ::_exit(0);
        ::waitpid(p, nullptr, 0);
        return p;
    }
}

TEST_CASE("RunFolder: a second run into a held folder is refused naming the first; free again after")
{
    const std::string d = fresh_dir("run_folder_lock");
    {
        xrnn::RunFolder first(d, "xrnn-charlm train", "--out");
        CHECK(fs::is_directory(d));
        // flock conflicts between open file descriptions, so a second one in this process is refused too
        const std::string held = "is in use by another run (PID " + std::to_string(::getpid())
                                 + ", xrnn-charlm train, started ";
        CHECK_THROWS_WITH_AS(xrnn::RunFolder(d, "xrnn-charlm train", "--out"), doctest::Contains(held.c_str()),
                             std::invalid_argument);
        CHECK_THROWS_WITH_AS(xrnn::RunFolder(d, "x", "--out"), doctest::Contains("choose another folder for --out"),
                             std::invalid_argument);
    }
    // the lock file stays behind, as a crashed run's would: it does not block
    CHECK(fs::exists(d + "/.lock"));
    CHECK_NOTHROW(xrnn::RunFolder(d, "xrnn-charlm train", "--out"));
    CHECK_THROWS_WITH_AS(xrnn::RunFolder("", "x", "--out"), doctest::Contains("is empty"), std::invalid_argument);
}

TEST_CASE("RunFolder removes temp files whose writer is dead, keeps the rest")
{
    const std::string d = fresh_dir("run_folder_temps");
    fs::create_directories(d);
    const std::string dead = d + "/last.ckpt.tmp-" + std::to_string(dead_pid());
    const std::string live = d + "/last.ckpt.tmp-" + std::to_string(::getppid()); // alive: a lockless writer
    std::ofstream(dead) << std::string(1000, 'a');
    std::ofstream(live) << "b";
    std::ofstream(d + "/notes.tmp-x") << "c"; // not a temp file's name
    std::ofstream(d + "/last.ckpt") << "d";
    xrnn::RunFolder f(d, "t", "--out");
    CHECK(f.removed_temps() == 1);
    CHECK(f.removed_temp_bytes() == 1000);
    CHECK_FALSE(fs::exists(dead));
    CHECK(fs::exists(live));
    CHECK(fs::exists(d + "/notes.tmp-x"));
    CHECK(fs::exists(d + "/last.ckpt"));
}

TEST_CASE("RunFolder::check_room refuses a checkpoint the disk or ulimit -f cannot take")
{
    const std::string d = fresh_dir("run_folder_room");
    xrnn::RunFolder f(d, "t", "--out");
    CHECK_NOTHROW(f.check_room(1 << 20));
    CHECK_THROWS_WITH_AS(f.check_room(std::uint64_t{1} << 60), doctest::Contains("free; this run needs about"),
                         std::invalid_argument);
    struct rlimit old;
    REQUIRE(::getrlimit(RLIMIT_FSIZE, &old) == 0);
    struct rlimit small = old;
    small.rlim_cur = 4096;
    REQUIRE(::setrlimit(RLIMIT_FSIZE, &small) == 0);
    std::string message;
    try
    {
        f.check_room(1 << 20);
    }
    catch (const std::exception& e)
    {
        message = e.what();
    }
    ::setrlimit(RLIMIT_FSIZE, &old);
    CHECK(message.find("more than the file-size limit (ulimit -f) of 4.0 KiB") != std::string::npos);
}

TEST_CASE("RunFolder::append_metrics appends whole lines and reports a write that fails")
{
    const std::string d = fresh_dir("run_folder_metrics");
    {
        xrnn::RunFolder f(d, "t", "--out");
        f.append_metrics("{\"step\": 1}");
        f.append_metrics("{\"step\": 2}");
    }
    std::ifstream in(d + "/metrics.jsonl");
    std::string a, b, c;
    std::getline(in, a);
    std::getline(in, b);
    CHECK(a == "{\"step\": 1}");
    CHECK(b == "{\"step\": 2}");
    CHECK_FALSE(std::getline(in, c));

    // /dev/full: every write fails with ENOSPC, as on a full disk
    const std::string full = fresh_dir("run_folder_full");
    fs::create_directories(full);
    fs::create_symlink("/dev/full", full + "/metrics.jsonl");
    xrnn::RunFolder f(full, "t", "--out");
    CHECK_THROWS_WITH_AS(f.append_metrics("{\"step\": 3}"), doctest::Contains("No space left on device"),
                         std::invalid_argument);
}
