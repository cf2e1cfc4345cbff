// xrnn/seq/batcher.hpp -- length-bucketed minibatches over a Dataset, and padding to (T_max, B, F).
//
// Each epoch: shuffle the indices under (seed, epoch), sort chunks of ~50*batch_size by length (so a
// batch holds similar lengths and little padding), cut into batches, shuffle the batch order.
// The position (epoch, batch) can be read and set, so a resumed run sees the same batches.
#ifndef XRNN_SEQ_BATCHER_HPP
#define XRNN_SEQ_BATCHER_HPP

#include <cstddef>
#include <cstdint>
#include <vector>

#include "xrnn/seq/dataset.hpp"
#include "xrnn/tensor.hpp"

namespace xrnn::seq
{
    class Batcher
    {
    public:
        Batcher(std::vector<std::size_t> lengths, std::size_t batch_size, std::uint64_t seed);
        Batcher(const Dataset& d, std::size_t batch_size, std::uint64_t seed);

        std::vector<std::size_t> next(); // indices of the next batch; rolls over to the next epoch
        std::size_t epoch() const { return epoch_; }
        std::size_t batch_index() const { return batch_; } // of the batch next() returns
        void set_position(std::size_t epoch, std::size_t batch);
        std::size_t batches_per_epoch() const;

    private:
        void plan();
        std::vector<std::size_t> lengths_;
        std::size_t batch_size_;
        std::uint64_t seed_;
        std::size_t epoch_ = 0, batch_ = 0;
        std::size_t planned_ = static_cast<std::size_t>(-1); // epoch that batches_ holds
        std::vector<std::vector<std::size_t>> batches_;
    };

    // out: (T_max, B, F) time-major, zero past each length; lengths: steps of each batch member.
    void pad_batch(const Dataset& d, const std::vector<std::size_t>& indices, Tensor3<float>& out,
                   std::vector<std::size_t>& lengths);
}

#endif
