// lib/parallel.cpp -- the worker pool behind parallel::run.
//
// A job is published by bumping `generation_`; workers spin on it for a short while (a few
// tens of microseconds, so back-to-back calls such as sampling's per-character products
// need no wake-up) and then sleep on a condition variable. The caller runs part 0 itself
// and spins until the workers' parts are done.
#include "parallel.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define XRNN_PAUSE() _mm_pause()
#else
#define XRNN_PAUSE() std::this_thread::yield()
#endif

namespace xrnn::parallel
{
    namespace
    {
        std::atomic<std::size_t> g_threads{1};
        thread_local bool t_in_region = false;

        class Pool
        {
        public:
            ~Pool()
            {
                {
                    std::lock_guard<std::mutex> lk(mutex_);
                    stop_ = true;
                    generation_.fetch_add(1);
                }
                wake_.notify_all();
                for (auto& t : workers_)
                    t.join();
            }

            // false (fn not called) when the pool is taken or this thread is in a region
            bool try_run(std::size_t parts, const std::function<void(std::size_t)>& fn)
            {
                std::unique_lock<std::mutex> busy(run_mutex_, std::try_to_lock);
                if (!busy.owns_lock() || t_in_region)
                    return false;
                while (workers_.size() + 1 < parts)
                    workers_.emplace_back([this, i = workers_.size(), g = generation_.load()] {
                        work(i + 1, g);
                    });
                {
                    // under the mutex: a worker reads the job and its generation together
                    std::lock_guard<std::mutex> lk(mutex_);
                    job_ = &fn;
                    parts_ = parts;
                    pending_.store(parts - 1);
                    generation_.fetch_add(1, std::memory_order_release);
                }
                wake_.notify_all();
                t_in_region = true;
                fn(0);
                t_in_region = false;
                for (unsigned spins = 0; pending_.load(std::memory_order_acquire) != 0; ++spins)
                    if (spins < 4096)
                        XRNN_PAUSE();
                    else
                        std::this_thread::yield();
                return true;
            }

        private:
            // `seen`: the generation when this worker was made; it waits for the next one.
            // A job's participants cannot miss it: the next job is published only after all
            // of them are done. Workers beyond a job's parts may skip generations, harmlessly.
            void work(std::size_t index, std::size_t seen)
            {
                t_in_region = true;
                for (;;)
                {
                    // spin ~20k pauses (tens of microseconds), then sleep
                    for (unsigned spins = 0; generation_.load(std::memory_order_acquire) == seen; ++spins)
                    {
                        if (spins < 20000)
                        {
                            XRNN_PAUSE();
                            continue;
                        }
                        std::unique_lock<std::mutex> lk(mutex_);
                        wake_.wait(lk, [&] { return generation_.load() != seen; });
                    }
                    const std::function<void(std::size_t)>* job;
                    std::size_t parts;
                    {
                        std::lock_guard<std::mutex> lk(mutex_);
                        if (stop_)
                            return;
                        seen = generation_.load();
                        job = job_;
                        parts = parts_;
                    }
                    if (index < parts)
                    {
                        (*job)(index);
                        pending_.fetch_sub(1, std::memory_order_release);
                    }
                }
            }

            std::mutex run_mutex_; // one job at a time
            std::mutex mutex_;     // guards the job fields, stop_ and sleeping workers' wake-up
            std::condition_variable wake_;
            std::atomic<std::size_t> generation_{0};
            std::atomic<std::size_t> pending_{0};
            const std::function<void(std::size_t)>* job_ = nullptr;
            std::size_t parts_ = 0;
            bool stop_ = false;
            std::vector<std::thread> workers_;
        };

        Pool& pool()
        {
            static Pool p;
            return p;
        }
    }

    std::size_t threads() { return g_threads.load(); }

    void set_threads(std::size_t n) { g_threads.store(std::max<std::size_t>(n, 1)); }

    void run(std::size_t parts, const std::function<void(std::size_t)>& fn)
    {
        if (parts <= 1)
        {
            fn(0);
            return;
        }
        if (!pool().try_run(parts, fn))
            for (std::size_t p = 0; p < parts; ++p)
                fn(p);
    }

    bool run_concurrent(std::size_t parts, const std::function<void(std::size_t)>& fn)
    {
        if (parts <= 1)
        {
            fn(0);
            return true;
        }
        return pool().try_run(parts, fn);
    }

    void Barrier::wait()
    {
        const std::size_t round = round_.load(std::memory_order_acquire);
        if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == parts_)
        {
            arrived_.store(0, std::memory_order_relaxed);
            round_.store(round + 1, std::memory_order_release); // releases every waiter's writes too
            return;
        }
        for (unsigned spins = 0; round_.load(std::memory_order_acquire) == round; ++spins)
            if (spins < 20000)
                XRNN_PAUSE();
            else
                std::this_thread::yield();
    }
}
