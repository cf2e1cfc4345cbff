// xrnn/communicator.hpp -- what data-parallel training asks of its processes: who am I, how many
// are we, and the sum of a buffer over all of us.
//
// The base class is one process: rank 0 of 1, every collective a no-op (or a copy), so a trainer
// written against it runs unchanged without MPI. The MPI implementation lives in the dist/ wing
// (built with -Dmpi=enabled); the core never includes MPI.
#ifndef XRNN_COMMUNICATOR_HPP
#define XRNN_COMMUNICATOR_HPP

#include <algorithm>
#include <cstddef>
#include <string>

namespace xrnn
{
    class Communicator
    {
    public:
        virtual ~Communicator() = default;
        virtual int rank() const { return 0; }
        virtual int size() const { return 1; }
        bool root() const { return rank() == 0; }

        // In place: every rank ends with the element-wise sum over ranks (the same bits on every rank).
        virtual void allreduce_sum(float*, std::size_t) {}
        virtual void allreduce_sum(double*, std::size_t) {}
        // Rank 0's bytes to every rank.
        virtual void broadcast(std::string&) {}
        // Every rank's n floats, concatenated in rank order, into out (size() * n) on rank 0.
        virtual void gather(const float* in, std::size_t n, float* out) { std::copy(in, in + n, out); }
        // Ends every process of the job with this status (a rank that fails alone would leave the
        // others waiting in a collective for ever).
        virtual void abort(int) {}
        // Seconds spent in allreduce_sum since the last call (the communication share of a step).
        virtual double take_reduce_seconds() { return 0; }
    };
}

#endif
