// test_dataset.cpp -- list files and .npz for the three tasks, their errors (file:line),
// validation split, standardizer and the example tasks.
#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include <zip.h>

#include "seq_test_util.hpp"
#include "xrnn/seq/dataset.hpp"
#include "xrnn/seq/example_data.hpp"

using namespace xrnn::seq;
using seqtest::error_of;
using seqtest::write_text;

namespace
{
    bool has(const std::string& s, const std::string& part)
    {
        if (s.find(part) == std::string::npos)
            MESSAGE("message: " << s << " lacks: " << part);
        return s.find(part) != std::string::npos;
    }

    // An .npz holding copies of one .npy under the given member names.
    void write_npz(const std::string& path, const std::string& npy_path, const std::vector<std::string>& members)
    {
        std::ifstream in(npy_path, std::ios::binary);
        static std::string bytes; // libzip reads the buffers at zip_close
        bytes.assign(std::istreambuf_iterator<char>(in), {});
        int err = 0;
        zip_t* z = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &err);
        REQUIRE(z);
        for (const auto& m : members)
            zip_file_add(z, (m + ".npy").c_str(), zip_source_buffer(z, bytes.data(), bytes.size(), 0), ZIP_FL_OVERWRITE);
        REQUIRE(zip_close(z) == 0);
    }

    Matrix ramp(std::size_t rows, std::size_t cols, float base)
    {
        Matrix m;
        m.rows = rows;
        m.cols = cols;
        for (std::size_t i = 0; i < rows * cols; ++i)
            m.data.push_back(base + static_cast<float>(i));
        return m;
    }
}

TEST_SUITE("seq dataset")
{
    TEST_CASE("seq: task names")
    {
        for (Task t : {Task::classify, Task::regress, Task::tag, Task::ctc})
            CHECK(task_from_name(task_name(t)) == t);
        try
        {
            task_from_name("cluster");
            FAIL("no throw");
        }
        catch (const std::invalid_argument& e)
        {
            CHECK(has(e.what(), "valid: classify, regress, tag, ctc"));
        }
    }

    TEST_CASE("seq: classify list: relative paths, comments, sorted class ids, eval with the training table")
    {
        const auto d = seqtest::tmp_dir("ds_classify");
        std::filesystem::create_directories(d + "/sub");
        write_npy(d + "/sub/a.npy", ramp(3, 2, 0));
        write_npy(d + "/b.npy", ramp(5, 2, 10));
        write_npy(d + "/c.npy", ramp(2, 2, 20));
        write_text(d + "/train.txt", "# comment\n\nsub/a.npy\tzebra\nb.npy\tant\n" + d + "/c.npy\tzebra\n");
        Dataset ds = load_list(d + "/train.txt", Task::classify);
        REQUIRE(ds.size() == 3);
        CHECK(ds.features == 2);
        CHECK(ds.outputs == 2);
        CHECK(ds.classes.names() == std::vector<std::string>{"ant", "zebra"});
        CHECK(ds.items[0].label == 1);
        CHECK(ds.items[1].label == 0);
        CHECK(ds.items[1].steps == 5);
        CHECK(ds.items[1].x[3] == 13.f);
        CHECK(ds.items[0].source == d + "/train.txt:3");

        write_text(d + "/val.txt", "b.npy\tzebra\nc.npy\tbee\n");
        CHECK(has(error_of([&] { load_list(d + "/val.txt", Task::classify, &ds.classes); }),
                  "val.txt:2: class 'bee' was not seen in training"));
        write_text(d + "/one.txt", "b.npy\tant\nc.npy\tant\n");
        CHECK(has(error_of([&] { load_list(d + "/one.txt", Task::classify); }), "one.txt: only 1 class"));
    }

    TEST_CASE("seq: regress and tag lists")
    {
        const auto d = seqtest::tmp_dir("ds_regress_tag");
        write_npy(d + "/a.npy", ramp(3, 1, 0));
        write_npy(d + "/b.npy", ramp(4, 1, 0));
        write_text(d + "/r.txt", "a.npy\t1.5, -2\nb.npy\t3,4e-1\n");
        Dataset r = load_list(d + "/r.txt", Task::regress);
        CHECK(r.outputs == 2);
        CHECK(r.items[1].target == std::vector<float>{3.f, 0.4f});

        write_npy(d + "/a.tags.npy", std::vector<std::int32_t>{0, 2, 1});
        write_npy(d + "/b.tags.npy", std::vector<std::int32_t>{1, 1, 0, 0});
        write_text(d + "/t.txt", "a.npy\ta.tags.npy\nb.npy\tb.tags.npy\n");
        Dataset t = load_list(d + "/t.txt", Task::tag);
        CHECK(t.outputs == 3);
        CHECK(t.items[0].tags == std::vector<std::int32_t>{0, 2, 1});
    }

    TEST_CASE("seq: ctc list: token sequences, a sorted vocabulary, blank as class 0, and its errors")
    {
        const auto d = seqtest::tmp_dir("ds_ctc");
        write_npy(d + "/a.npy", ramp(4, 2, 0));
        write_npy(d + "/b.npy", ramp(6, 2, 0));
        write_text(d + "/train.txt", "# utterances\na.npy\tthree five oh\nb.npy\t oh  oh three \n");
        Dataset t = load_list(d + "/train.txt", Task::ctc);
        REQUIRE(t.size() == 2);
        CHECK(t.classes.names() == std::vector<std::string>{"five", "oh", "three"});
        CHECK(t.outputs == 4); // three tokens and the blank
        CHECK(t.items[0].tokens == std::vector<std::int32_t>{2, 0, 1});
        CHECK(t.items[1].tokens == std::vector<std::int32_t>{1, 1, 2});

        // other files are read with the training vocabulary
        write_text(d + "/val.txt", "b.npy\tfive\n");
        Dataset v = load_list(d + "/val.txt", Task::ctc, &t.classes);
        CHECK(v.classes.names() == t.classes.names());
        CHECK(v.outputs == 4);
        CHECK(v.items[0].tokens == std::vector<std::int32_t>{0});
        write_text(d + "/unknown.txt", "a.npy\tfive\n\nb.npy\tfive seven oh\n");
        CHECK(has(error_of([&] { load_list(d + "/unknown.txt", Task::ctc, &t.classes); }),
                  "unknown.txt:3: token 'seven' was not seen in training"));
        write_text(d + "/empty.txt", "a.npy\tfive\nb.npy\t  \n");
        const std::string e = error_of([&] { load_list(d + "/empty.txt", Task::ctc); });
        CHECK(has(e, "empty.txt:2: empty label"));
        CHECK(has(e, "ctc needs at least one label token"));
        CHECK(has(error_of([&] { load_npz(std::string(XRNN_FIXTURES) + "/seq/small.npz", Task::ctc); }),
                  "ctc needs a list file"));
    }

    TEST_CASE("seq: every bad list line is reported as list:line")
    {
        const auto d = seqtest::tmp_dir("ds_errors");
        write_npy(d + "/ok.npy", ramp(3, 2, 0));
        write_npy(d + "/wide.npy", ramp(3, 4, 0));
        write_npy(d + "/tags2.npy", std::vector<std::int32_t>{0, 1});
        write_npy(d + "/tags3.npy", std::vector<std::int32_t>{0, 1, 0});
        seqtest::write_raw_npy(d + "/int.npy", "{'descr': '<i4', 'fortran_order': False, 'shape': (3, 2), }",
                               std::string(24, '\0'));
        seqtest::write_raw_npy(d + "/fort.npy", "{'descr': '<f4', 'fortran_order': True, 'shape': (3, 2), }",
                               std::string(24, '\0'));
        seqtest::write_raw_npy(d + "/empty.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (0, 2), }", "");
        write_text(d + "/junk.npy", "junk");
        // line 1 is fine; the bad line is line 3 (after a comment)
        auto err = [&](const std::string& bad, Task task = Task::classify, const std::string& good = "a") {
            write_text(d + "/list.txt", "ok.npy\t" + good + "\n# c\n" + bad + "\nok.npy\tb\n");
            return error_of([&] { load_list(d + "/list.txt", task); });
        };
        CHECK(has(err("ok.npy b"), "list.txt:3: no label"));
        CHECK(has(err("missing.npy\ta"), "list.txt:3: "));
        CHECK(has(err("missing.npy\ta"), "missing.npy does not exist"));
        CHECK(has(err("junk.npy\ta"), "list.txt:3: "));
        CHECK(has(err("junk.npy\ta"), "junk.npy: not a .npy file"));
        CHECK(has(err("int.npy\ta"), "int.npy: '<i4': features must be float32 or float64"));
        CHECK(has(err("int.npy\ta"), "list.txt:3: "));
        CHECK(has(err("fort.npy\ta"), "list.txt:3: "));
        CHECK(has(err("fort.npy\ta"), "fortran_order"));
        CHECK(has(err("empty.npy\ta"), "list.txt:3: "));
        CHECK(has(err("empty.npy\ta"), "empty sequence"));
        CHECK(has(err("wide.npy\ta"), "list.txt:3: 4 features per step, but "));
        CHECK(has(err("wide.npy\ta"), "list.txt:1 has 2"));
        CHECK(has(err("ok.npy\tx1", Task::regress, "1.0"), "list.txt:3: bad regression target 'x1'"));
        CHECK(has(err("ok.npy\ttags2.npy", Task::tag, "tags3.npy"), "list.txt:3: tag length 2 differs from the feature length 3"));
        CHECK(has(error_of([&] { load_list(d + "/nope.txt", Task::classify); }), "nope.txt: the list file does not exist"));
    }

    TEST_CASE("seq: npz fixture made by np.savez_compressed")
    {
        const std::string path = std::string(XRNN_FIXTURES) + "/seq/small.npz";
        Dataset ds = load_npz(path, Task::classify);
        REQUIRE(ds.size() == 3);
        CHECK(ds.features == 2);
        CHECK(ds.outputs == 2);
        CHECK(ds.items[1].steps == 5);
        CHECK(ds.items[1].label == 1);
        CHECK(ds.items[2].label == 0);
        CHECK(ds.items[1].x[2 * 4 + 1] == doctest::Approx(1 + 0.4 + 0.01));
        CHECK(has(error_of([&] { load_npz(path, Task::tag); }), "small.npz:y_0"));
        const auto d = seqtest::tmp_dir("ds_npz");
        const float two[2] = {0.5f, 1.5f}; // (2,): features (2, 1) as x, a 1-D target as y
        seqtest::write_raw_npy(d + "/t.npy", "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                               std::string(reinterpret_cast<const char*>(two), sizeof two));
        write_npz(d + "/gap.npz", d + "/t.npy", {"x_0", "y_0", "x_2", "y_2"});
        CHECK(has(error_of([&] { load_npz(d + "/gap.npz", Task::regress); }), "gap.npz: member x_2 present but x_1 missing"));
        write_npz(d + "/noy.npz", d + "/t.npy", {"x_0", "y_0", "x_1"});
        CHECK(has(error_of([&] { load_npz(d + "/noy.npz", Task::regress); }), "noy.npz: member x_1 has no y_1"));
        CHECK(has(error_of([&] { load_npz(XRNN_TEST_TMP "/none.npz", Task::classify); }), "none.npz' does not exist"));
        // a member's declared size is not allocated before reading (fuzz_npz: 2 GB in a 1 KB file)
        write_npz(d + "/forged.npz", d + "/t.npy", {"x_0", "y_0"});
        std::ifstream in(d + "/forged.npz", std::ios::binary);
        std::string zip{std::istreambuf_iterator<char>(in), {}};
        for (const auto& [sig, at] : {std::pair<std::string, std::size_t>{"PK\x03\x04", 22}, {"PK\x01\x02", 24}})
            for (auto p = zip.find(sig); p != std::string::npos; p = zip.find(sig, p + 4))
                zip.replace(p + at, 4, "\xff\xff\xff\x7f"); // uncompressed size: 2 GiB - 1
        write_text(d + "/forged.npz", zip);
        CHECK(has(error_of([&] { load_npz(d + "/forged.npz", Task::regress); }), "forged.npz: corrupt .npz member x_0.npy"));
        // labels and targets of an .npz are checked as a list's are (fuzz_npy: a uint64 past 2^63
        // was an undefined cast; a label of 1e10 likewise, and a NaN target went on to the loss)
        auto npz2 = [&](const std::string& name, const std::string& ydict, const std::string& ydata) {
            seqtest::write_raw_npy(d + "/y.npy", ydict, ydata);
            static std::string xb, yb; // libzip reads the buffers at zip_close
            std::ifstream xi(d + "/t.npy", std::ios::binary), yi(d + "/y.npy", std::ios::binary);
            xb.assign(std::istreambuf_iterator<char>(xi), {});
            yb.assign(std::istreambuf_iterator<char>(yi), {});
            int e = 0;
            zip_t* z = zip_open((d + "/" + name).c_str(), ZIP_CREATE | ZIP_TRUNCATE, &e);
            REQUIRE(z);
            zip_file_add(z, "x_0.npy", zip_source_buffer(z, xb.data(), xb.size(), 0), ZIP_FL_OVERWRITE);
            zip_file_add(z, "y_0.npy", zip_source_buffer(z, yb.data(), yb.size(), 0), ZIP_FL_OVERWRITE);
            REQUIRE(zip_close(z) == 0);
            return d + "/" + name;
        };
        const std::int64_t big = 10000000000;
        const std::string label = npz2("label.npz", "{'descr': '<i8', 'fortran_order': False, 'shape': (), }",
                                       std::string(reinterpret_cast<const char*>(&big), 8));
        CHECK(has(error_of([&] { load_npz(label, Task::classify); }), "label.npz:y_0: class label 10000000000 out of range"));
        const std::uint64_t huge[2] = {1, 18446744073709551615ull};
        const std::string tags = npz2("tags.npz", "{'descr': '<u8', 'fortran_order': False, 'shape': (2,), }",
                                      std::string(reinterpret_cast<const char*>(huge), 16));
        CHECK(has(error_of([&] { load_npz(tags, Task::tag); }), "at step 1 does not fit a 64-bit signed integer"));
        const double nan[1] = {std::nan("")};
        const std::string target = npz2("target.npz", "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }",
                                        std::string(reinterpret_cast<const char*>(nan), 8));
        CHECK(has(error_of([&] { load_npz(target, Task::regress); }), "target.npz:y_0: non-finite regression target"));
        // a member index past 2^64 is named, not stoul's bare "stoul" (fuzz_npz)
        write_npz(d + "/bigidx.npz", d + "/t.npy", {"x_99999999999999999999999"});
        CHECK(has(error_of([&] { load_npz(d + "/bigidx.npz", Task::regress); }),
                  "bigidx.npz: member x_99999999999999999999999 present but x_0 missing"));
    }

    TEST_CASE("seq: validation split is deterministic and disjoint")
    {
        const auto d = seqtest::tmp_dir("ds_split");
        const auto list = make_example_data("adding", d, 20, 3, 2, 6);
        Dataset a = load_list(list, Task::regress), b = load_list(list, Task::regress);
        Dataset va = split_validation(a, 0.25, 9), vb = split_validation(b, 0.25, 9);
        CHECK(va.size() == 5);
        CHECK(a.size() == 15);
        std::set<std::string> seen;
        for (std::size_t i = 0; i < va.size(); ++i)
        {
            CHECK(va.items[i].source == vb.items[i].source);
            seen.insert(va.items[i].source);
        }
        for (const auto& s : a.items)
            CHECK(seen.insert(s.source).second);
        CHECK(seen.size() == 20);
    }

    TEST_CASE("seq: standardizer: per-feature mean and std over all steps")
    {
        Dataset ds;
        ds.features = 2;
        ds.items.resize(2);
        ds.items[0].x = {1, 10, 3, 10};
        ds.items[0].steps = 2;
        ds.items[1].x = {5, 10};
        ds.items[1].steps = 1;
        Standardizer z = Standardizer::fit(ds);
        CHECK(z.mean[0] == doctest::Approx(3));
        CHECK(z.mean[1] == doctest::Approx(10));
        CHECK(z.std[0] == doctest::Approx(std::sqrt(8.0 / 3)));
        CHECK(z.std[1] == doctest::Approx(1e-8)); // floored
        z.apply(ds);
        CHECK(ds.items[1].x[0] == doctest::Approx(2 / std::sqrt(8.0 / 3)));
        CHECK(ds.items[0].x[1] == 0.f);
        Standardizer restored{z.mean, z.std}; // stored as two float vectors
        CHECK(restored.std == z.std);
    }

    TEST_CASE("seq: example data: shapes, lengths and labels")
    {
        const auto d = seqtest::tmp_dir("ds_examples");
        SUBCASE("adding: target is the sum of the two marked values")
        {
            Dataset ds = load_list(make_example_data("adding", d, 30, 1, 4, 9), Task::regress);
            REQUIRE(ds.size() == 30);
            CHECK(ds.features == 2);
            for (const auto& s : ds.items)
            {
                CHECK((s.steps >= 4 && s.steps <= 9));
                float sum = 0;
                int marks = 0;
                for (std::size_t t = 0; t < s.steps; ++t)
                    if (s.x[t * 2 + 1] == 1.f)
                        sum += s.x[t * 2], ++marks;
                CHECK(marks == 2);
                CHECK(s.target[0] == doctest::Approx(sum).epsilon(1e-6));
            }
        }
        SUBCASE("temporal_order: class is the X/Y symbols in order")
        {
            Dataset ds = load_list(make_example_data("temporal_order", d, 40, 2, 3, 8), Task::classify);
            CHECK(ds.features == 6);
            CHECK(ds.classes.names() == std::vector<std::string>{"XX", "XY", "YX", "YY"});
            for (const auto& s : ds.items)
            {
                std::string cls;
                for (std::size_t t = 0; t < s.steps; ++t)
                {
                    float row = 0;
                    for (std::size_t j = 0; j < 6; ++j)
                        row += s.x[t * 6 + j];
                    CHECK(row == 1.f);
                    if (s.x[t * 6] == 1.f || s.x[t * 6 + 1] == 1.f)
                        cls += s.x[t * 6] == 1.f ? 'X' : 'Y';
                }
                CHECK(cls == ds.classes.name(static_cast<std::size_t>(s.label)));
            }
        }
        SUBCASE("tagging: tag is the parity of the running count of symbol a")
        {
            Dataset ds = load_list(make_example_data("tagging", d, 20, 3, 2, 7), Task::tag);
            CHECK(ds.features == 3);
            CHECK(ds.outputs == 2);
            for (const auto& s : ds.items)
            {
                int count = 0;
                for (std::size_t t = 0; t < s.steps; ++t)
                {
                    count += s.x[t * 3] == 1.f;
                    CHECK(s.tags[t] == count % 2);
                }
            }
        }
        CHECK_THROWS_AS(make_example_data("parity", d, 1, 1, 2, 3), std::invalid_argument);
    }
}
