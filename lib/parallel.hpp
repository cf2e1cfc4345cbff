// lib/parallel.hpp -- xrnn's own worker threads (private to lib/).
//
// Why not OpenBLAS's threads: after each multi-threaded call OpenBLAS's workers spin (with
// sched_yield) for ~2^28 cycles, so any work xrnn ran on the second core between GEMMs had
// to share it with a spinning thread -- splitting the batch across cores gained nothing
// until OPENBLAS_THREAD_TIMEOUT was lowered, and that can only be set before the process
// starts. So OpenBLAS runs single-threaded and xrnn splits GEMMs and sweeps itself: one
// pool, whose workers spin briefly (sampling calls it every ~20 us) and then sleep.
#ifndef XRNN_LIB_PARALLEL_HPP
#define XRNN_LIB_PARALLEL_HPP

#include <cstddef>
#include <atomic>
#include <functional>

namespace xrnn::parallel
{
    // Threads xrnn uses (>= 1): the value given to blas::set_threads, at first OpenBLAS's
    // default thread count (which honours OPENBLAS_NUM_THREADS).
    std::size_t threads();
    void set_threads(std::size_t n);

    // Calls fn(part) for every part in [0, parts), part 0 on the calling thread, the others
    // on pool workers, and returns when all are done. Runs serially when called from inside
    // a parallel region or while another thread uses the pool.
    void run(std::size_t parts, const std::function<void(std::size_t)>& fn);

    // As run, but every part on its own thread at the same time, so parts may wait for each
    // other (Barrier). Returns false without calling fn when that cannot be had: inside a
    // parallel region (a bidirectional layer runs its directions on the pool) or while another
    // thread uses the pool.
    bool run_concurrent(std::size_t parts, const std::function<void(std::size_t)>& fn);

    // A reusable barrier for the parts of one run_concurrent job. Waiters spin (a step of the
    // recurrence is tens of microseconds, a sleep and wake-up about as long), then yield so an
    // oversubscribed machine still progresses.
    class Barrier
    {
    public:
        explicit Barrier(std::size_t parts) : parts_(parts) {}
        void wait();

    private:
        const std::size_t parts_;
        std::atomic<std::size_t> arrived_{0};
        std::atomic<std::size_t> round_{0};
    };
}

#endif
