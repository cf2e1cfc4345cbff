// tests/test_parallel.cpp -- xrnn's worker pool (lib/parallel.hpp): every part runs exactly
// once per call, over many back-to-back calls (the spin-then-sleep hand-off must lose no job),
// after pauses long enough for the workers to fall asleep, nested calls run serially.
#include "../lib/parallel.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

TEST_CASE("parallel::run: each part exactly once, back to back and after the workers sleep")
{
    for (std::size_t parts : {2, 3, 5})
    {
        INFO("parts " << parts);
        // more parts than this machine's 2 cores: spinning workers then share cores, so fewer calls
        const int calls = parts == 2 ? 20000 : 300;
        std::vector<std::atomic<int>> hits(parts);
        for (int call = 0; call < calls; ++call)
            xrnn::parallel::run(parts, [&](std::size_t p) { hits[p].fetch_add(1); });
        for (std::size_t p = 0; p < parts; ++p)
            CHECK(hits[p].load() == calls);
        // long enough for the workers to stop spinning and wait on the condition variable
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::atomic<int> after{0};
        xrnn::parallel::run(parts, [&](std::size_t) { after.fetch_add(1); });
        CHECK(after.load() == int(parts));
    }
}

TEST_CASE("parallel::run: a call from inside a part runs its parts on that thread")
{
    std::atomic<int> inner{0};
    std::vector<std::thread::id> ids(2), inner_ids(4);
    xrnn::parallel::run(2, [&](std::size_t p) {
        ids[p] = std::this_thread::get_id();
        if (p == 1)
            xrnn::parallel::run(4, [&](std::size_t q) {
                inner_ids[q] = std::this_thread::get_id();
                inner.fetch_add(1);
            });
    });
    CHECK(inner.load() == 4);
    for (auto id : inner_ids)
        CHECK(bool(id == ids[1]));
    CHECK(bool(ids[0] != ids[1])); // the second part really ran on a worker
}
