// python/src/interrupt.hpp -- long calls with the GIL released that Ctrl-C can still stop.
//
// The call runs on a worker thread; the calling (Python) thread waits without the GIL and every
// 100 ms takes it back just long enough to let Python run its signal handlers. A KeyboardInterrupt
// sets the call's stop flag (probe and train check it between runs / steps, as the CLI's SIGINT
// handler does), waits for the call to wind down and is re-raised.
#ifndef XRNN_PYTHON_INTERRUPT_HPP
#define XRNN_PYTHON_INTERRUPT_HPP

#include <pybind11/pybind11.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

namespace xrnn_py
{
    namespace py = pybind11;

    // fn(const std::atomic<bool>& stop) must not touch Python objects.
    template <class Fn>
    void run_interruptible(Fn&& fn)
    {
        std::atomic<bool> stop{false};
        std::exception_ptr error;
        bool done = false;
        std::mutex m;
        std::condition_variable cv;
        std::thread worker([&] {
            try
            {
                fn(stop);
            }
            catch (...)
            {
                error = std::current_exception();
            }
            std::lock_guard<std::mutex> lock(m);
            done = true;
            cv.notify_all();
        });
        bool interrupted = false;
        for (;;)
        {
            {
                py::gil_scoped_release release;
                std::unique_lock<std::mutex> lock(m);
                if (cv.wait_for(lock, std::chrono::milliseconds(100), [&] { return done; }))
                    break;
            }
            if (!interrupted && PyErr_CheckSignals() != 0) // the exception stays set until we raise it
            {
                interrupted = true;
                stop = true;
            }
        }
        worker.join();
        if (interrupted)
            throw py::error_already_set();
        if (error)
            std::rethrow_exception(error);
    }
}

#endif
