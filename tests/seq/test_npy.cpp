// test_npy.cpp -- .npy round trips, dtype widening, and every rejected file's message.
#include <doctest/doctest.h>

#include <cstring>

#include "seq_test_util.hpp"

#include <sys/stat.h>
#include <cmath>
#include "xrnn/seq/npy.hpp"

using namespace xrnn::seq;
using seqtest::error_of;
using seqtest::write_raw_npy;

TEST_SUITE("seq npy")
{
    TEST_CASE("seq: float32 and int32 round trips")
    {
        const auto d = seqtest::tmp_dir("npy_roundtrip");
        Matrix m{{1.5f, -2.f, 3.25f, 4.f, 5.f, 6.f}, 3, 2};
        write_npy(d + "/m.npy", m);
        Matrix r = read_npy_features(d + "/m.npy");
        CHECK(r.rows == 3);
        CHECK(r.cols == 2);
        CHECK(r.data == m.data);
        write_npy(d + "/t.npy", std::vector<std::int32_t>{0, 3, -1, 7});
        CHECK(read_npy_ints(d + "/t.npy") == std::vector<std::int64_t>{0, 3, -1, 7});
    }

    TEST_CASE("seq: float64, 1-D (T,), version 2.0 and small ints are read")
    {
        const auto d = seqtest::tmp_dir("npy_dtypes");
        double v[3] = {0.5, 1.5, -2.5};
        std::string raw(reinterpret_cast<const char*>(v), sizeof v);
        write_raw_npy(d + "/f8.npy", "{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", raw, 2);
        Matrix m = read_npy_features(d + "/f8.npy");
        CHECK(m.rows == 3);
        CHECK(m.cols == 1);
        CHECK(m.data == std::vector<float>{0.5f, 1.5f, -2.5f});
        write_raw_npy(d + "/u1.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", std::string("\x01\x00\xff", 3));
        CHECK(read_npy_ints(d + "/u1.npy") == std::vector<std::int64_t>{1, 0, 255});
        write_raw_npy(d + "/i2.npy", "{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }",
                      std::string("\xfe\xff\x05\x00", 4));
        CHECK(read_npy_ints(d + "/i2.npy") == std::vector<std::int64_t>{-2, 5});
    }

    TEST_CASE("seq: bad files give one-line errors naming the file and what is valid")
    {
        const auto d = seqtest::tmp_dir("npy_errors");
        const std::string f4(24, '\0');
        auto err = [&](const std::string& name) { return error_of([&] { read_npy_features(d + "/" + name); }); };

        CHECK(err("missing.npy").find("missing.npy does not exist") != std::string::npos);

        seqtest::write_text(d + "/text.npy", "hello, not numpy at all");
        CHECK(err("text.npy").find("text.npy: not a .npy file (bad magic") != std::string::npos);

        write_raw_npy(d + "/short.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", f4.substr(0, 10));
        CHECK(err("short.npy").find("short.npy: truncated data") != std::string::npos);

        // shapes whose value count wraps size_t: (2^32, 2^32) read as 0 values of 2^32 x 2^32 (fuzz_npy)
        write_raw_npy(d + "/wrap.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", "");
        CHECK(err("wrap.npy").find("wrap.npy: bad .npy header: shape (4294967296, 4294967296) has more values") != std::string::npos);
        write_raw_npy(d + "/wrap4.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 4611686018427387905), }", f4);
        CHECK(err("wrap4.npy").find("wrap4.npy: truncated data: expected 4611686018427387905 values of 4 bytes") != std::string::npos);
        write_raw_npy(d + "/huge.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999999,), }", "");
        CHECK(err("huge.npy").find("huge.npy: bad .npy header: shape (99999999999999999999999,) (a dimension past 2^64)") != std::string::npos);
        write_raw_npy(d + "/f4x.npy", "{'descr': '<f99999999999999999999', 'fortran_order': False, 'shape': (3, 2), }", f4);
        CHECK(err("f4x.npy").find("f4x.npy: unsupported dtype '<f99999999999999999999'") != std::string::npos);

        write_raw_npy(d + "/int.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (3, 2), }", f4);
        CHECK(err("int.npy").find("int.npy: '<i4': features must be float32 or float64") != std::string::npos);

        write_raw_npy(d + "/fortran.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }", f4);
        CHECK(err("fortran.npy").find("fortran.npy: fortran_order is True") != std::string::npos);

        write_raw_npy(d + "/3d.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 2), }", f4);
        CHECK(err("3d.npy").find("3d.npy: 3 dims: features must be 2-D") != std::string::npos);

        write_raw_npy(d + "/empty.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2), }", "");
        CHECK(err("empty.npy").find("empty.npy: empty sequence") != std::string::npos);

        write_raw_npy(d + "/big.npy", "{'descr': '>f4', 'fortran_order': False, 'shape': (3, 2), }", f4);
        CHECK(err("big.npy").find("big.npy: '>f4': big-endian") != std::string::npos);

        write_raw_npy(d + "/obj.npy", "{'descr': '|O', 'fortran_order': False, 'shape': (3, 2), }", f4);
        CHECK(err("obj.npy").find("unsupported dtype") != std::string::npos);

        write_raw_npy(d + "/f.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", f4);
        CHECK(error_of([&] { read_npy_ints(d + "/f.npy"); }).find("f.npy: '<f4': tags must be an integer") !=
              std::string::npos);
    }
}

TEST_CASE("seq: non-finite features, directories and FIFOs are DataErrors, not hangs or NaN losses")
{
    const std::string dir = seqtest::tmp_dir("npy_special");
    xrnn::seq::Matrix m;
    m.rows = 2;
    m.cols = 3;
    m.data = {0, 1, 2, 3, std::nanf(""), 5};
    xrnn::seq::write_npy(dir + "/nan.npy", m);
    CHECK(seqtest::error_of([&] { xrnn::seq::read_npy_features(dir + "/nan.npy"); }).find("non-finite value nan at step 1, feature 1")
          != std::string::npos);
    std::filesystem::create_directories(dir + "/d.npy");
    CHECK(seqtest::error_of([&] { xrnn::seq::read_npy_features(dir + "/d.npy"); }).find("is a directory, not a file") != std::string::npos);
    REQUIRE(::mkfifo((dir + "/f.npy").c_str(), 0600) == 0);
    CHECK(seqtest::error_of([&] { xrnn::seq::read_npy_features(dir + "/f.npy"); }).find("is a FIFO (named pipe), not a regular file") != std::string::npos);
}
