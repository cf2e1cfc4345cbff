// test_batcher.cpp -- length-bucketed batches: coverage, determinism, exact resume, padding.
#include <doctest/doctest.h>

#include <algorithm>

#include "xrnn/seq/batcher.hpp"

using namespace xrnn::seq;

namespace
{
    std::vector<std::size_t> lengths(std::size_t n)
    {
        std::vector<std::size_t> l;
        for (std::size_t i = 0; i < n; ++i)
            l.push_back(1 + (i * 37) % 50);
        return l;
    }
}

TEST_SUITE("seq batcher")
{
    TEST_CASE("seq: each epoch covers every sequence once, in length-sorted batches")
    {
        const auto l = lengths(1000);
        Batcher b(l, 8, 42);
        CHECK(b.batches_per_epoch() == 125);
        std::vector<int> seen(1000, 0);
        std::size_t spread = 0;
        for (std::size_t k = 0; k < b.batches_per_epoch(); ++k)
        {
            auto batch = b.next();
            CHECK(b.epoch() == 0);
            std::size_t lo = 100, hi = 0;
            for (auto i : batch)
                ++seen[i], lo = std::min(lo, l[i]), hi = std::max(hi, l[i]);
            spread += hi - lo;
        }
        CHECK(std::all_of(seen.begin(), seen.end(), [](int c) { return c == 1; }));
        // 400 per chunk over 50 lengths: a batch of 8 spans about one length, random would span ~40
        CHECK(spread / b.batches_per_epoch() <= 2);
        b.next();
        CHECK(b.epoch() == 1);
    }

    TEST_CASE("seq: same seed, same batches; other seed or epoch, other batches; resume is exact")
    {
        const auto l = lengths(103);
        Batcher a(l, 10, 7), c(l, 10, 7), other(l, 10, 8);
        std::vector<std::vector<std::size_t>> run;
        for (int k = 0; k < 35; ++k)
        {
            run.push_back(a.next());
            CHECK(run.back() == c.next());
        }
        CHECK(run.back().size() <= 10);
        CHECK(other.next() != run[0]);
        CHECK(run[0] != run[11]); // epoch 1 starts at batch 11
        // resume at the position after batch 20
        Batcher r(l, 10, 7);
        r.set_position(1, 9); // 11 batches per epoch: batch 20 is (1, 9)
        CHECK(r.next() == run[20]);
        for (int k = 21; k < 35; ++k)
            CHECK(r.next() == run[k]);
        CHECK(r.epoch() == a.epoch());
        CHECK(r.batch_index() == a.batch_index());
    }

    TEST_CASE("seq: pad_batch is time-major with zeros past each length")
    {
        Dataset d;
        d.features = 2;
        d.items.resize(2);
        d.items[0].x = {1, 2, 3, 4, 5, 6};
        d.items[0].steps = 3;
        d.items[1].x = {7, 8};
        d.items[1].steps = 1;
        xrnn::Tensor3<float> out;
        std::vector<std::size_t> len;
        pad_batch(d, {1, 0}, out, len);
        CHECK(out.shape()[0] == 3);
        CHECK(out.shape()[1] == 2);
        CHECK(out.shape()[2] == 2);
        CHECK(len == std::vector<std::size_t>{1, 3});
        CHECK(out(0, 0, 0) == 7.f);
        CHECK(out(0, 0, 1) == 8.f);
        CHECK(out(1, 0, 0) == 0.f);
        CHECK(out(2, 0, 1) == 0.f);
        CHECK(out(2, 1, 0) == 5.f);
        CHECK(out(1, 1, 1) == 4.f);
    }
}
