// tests/test_input_file.cpp -- user-named inputs: regular files read whole; a folder, a FIFO, a
// device, a missing file or one over the cap refused with a phrase saying which (and a FIFO
// refused without blocking).
#include "xrnn/input_file.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>

namespace
{
    std::string tmp(const std::string& name) { return std::string(XRNN_TEST_TMP) + "/" + name; }
}

TEST_CASE("read_input_file reads a regular file whole")
{
    const std::string p = tmp("input_regular.txt");
    std::ofstream(p, std::ios::binary) << std::string(200000, 'x') << "end";
    std::string bytes;
    CHECK(xrnn::read_input_file(p, bytes) == "");
    CHECK(bytes.size() == 200003);
    CHECK(bytes.substr(bytes.size() - 3) == "end");
    CHECK(xrnn::input_file_problem(p) == "");
}

TEST_CASE("read_input_file refuses what is not a regular file, saying what it is")
{
    std::string bytes = "stale";
    CHECK(xrnn::read_input_file(XRNN_TEST_TMP, bytes) == "is a directory, not a file");
    CHECK(bytes.empty());
    CHECK(xrnn::input_file_problem(XRNN_TEST_TMP) == "is a directory, not a file");
    CHECK(xrnn::read_input_file(tmp("no_such_input"), bytes) == "does not exist");
    CHECK(xrnn::read_input_file("", bytes) == "is an empty path");
    // /dev/zero never ends: refused before reading, not read until memory runs out
    CHECK(xrnn::read_input_file("/dev/zero", bytes) == "is a device, not a regular file; give a file");
    CHECK(xrnn::input_file_problem("/dev/zero") == "is a device, not a regular file; give a file");

    // a FIFO with no writer: a blocking open would wait forever; this returns at once
    const std::string fifo = tmp("input_fifo");
    std::filesystem::remove(fifo);
    REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
    CHECK(xrnn::read_input_file(fifo, bytes) == "is a FIFO (named pipe), not a regular file; give a file");
    CHECK(xrnn::input_file_problem(fifo) == "is a FIFO (named pipe), not a regular file; give a file");
    std::filesystem::remove(fifo);
}

TEST_CASE("read_input_file refuses a file over the cap before reading it")
{
    const std::string p = tmp("input_big.txt");
    std::ofstream(p, std::ios::binary) << std::string(5000, 'y');
    std::string bytes;
    CHECK(xrnn::read_input_file(p, bytes, 4096) == "is larger than 4.0 KiB (4.9 KiB)");
    CHECK(bytes.empty());
    CHECK(xrnn::read_input_file(p, bytes, 5000) == "");
}

TEST_CASE("format_bytes says sizes plainly")
{
    CHECK(xrnn::format_bytes(0) == "0 bytes");
    CHECK(xrnn::format_bytes(1023) == "1023 bytes");
    CHECK(xrnn::format_bytes(1536) == "1.5 KiB");
    CHECK(xrnn::format_bytes(std::uint64_t{6} << 30) == "6.0 GiB");
    CHECK(xrnn::format_bytes(~std::uint64_t{0}) == "16.0 EiB");
}
