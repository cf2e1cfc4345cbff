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
#include <stdexcept>
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

    // Every rank compares its configuration (a JSON object: flags and data hash) with rank 0's;
    // all learn whether any differs, so none trains alone. The rank that differs throws naming the
    // fields, the others throw saying another rank differs. Templated on the JSON type, as
    // value_range.hpp, so the core includes no JSON library.
    template <class Json>
    void check_same_as_root(Communicator& comm, const Json& mine)
    {
        std::string text = mine.dump();
        comm.broadcast(text);
        const Json root = Json::parse(text);
        double differ = root == mine ? 0.0 : 1.0;
        comm.allreduce_sum(&differ, 1);
        if (differ == 0)
            return;
        const std::string rank = "rank " + std::to_string(comm.rank());
        if (root == mine)
            throw std::invalid_argument(rank + " stops: " + std::to_string(static_cast<int>(differ)) + " other rank"
                                        + (differ > 1 ? "s were" : " was") + " started with different flags or data");
        std::string diff;
        for (const auto& [key, value] : mine.items())
            if (!root.contains(key) || root[key] != value)
                diff += (diff.empty() ? "" : ", ") + key + " " + value.dump() + " (rank 0: "
                        + (root.contains(key) ? root[key].dump() : "none") + ")";
        throw std::invalid_argument(rank + " was started differently from rank 0: " + diff
                                    + "; start every rank with the same flags and data");
    }
}

#endif
