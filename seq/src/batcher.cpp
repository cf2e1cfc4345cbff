// batcher.cpp -- length-bucketed batching.
#include "xrnn/seq/batcher.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <stdexcept>

namespace xrnn::seq
{
    namespace
    {
        template <class T>
        void shuffle(std::vector<T>& v, std::mt19937_64& rng)
        {
            for (std::size_t i = v.size(); i > 1; --i)
                std::swap(v[i - 1], v[rng() % i]);
        }
    }

    Batcher::Batcher(std::vector<std::size_t> lengths, std::size_t batch_size, std::uint64_t seed)
        : lengths_(std::move(lengths)), batch_size_(batch_size), seed_(seed)
    {
        if (batch_size_ == 0 || lengths_.empty())
            throw std::invalid_argument("Batcher needs a batch size > 0 and at least one sequence");
    }

    static std::vector<std::size_t> lengths_of(const Dataset& d)
    {
        std::vector<std::size_t> l;
        for (const auto& s : d.items)
            l.push_back(s.steps);
        return l;
    }

    Batcher::Batcher(const Dataset& d, std::size_t batch_size, std::uint64_t seed)
        : Batcher(lengths_of(d), batch_size, seed)
    {
    }

    std::size_t Batcher::batches_per_epoch() const
    {
        return (lengths_.size() + batch_size_ - 1) / batch_size_;
    }

    void Batcher::set_position(std::size_t epoch, std::size_t batch)
    {
        if (batch > batches_per_epoch())
            throw std::invalid_argument("batch index beyond the epoch");
        epoch_ = epoch;
        batch_ = batch;
    }

    void Batcher::plan()
    {
        // seed_seq mixes (seed, epoch) so neighbouring epochs get unrelated streams
        std::seed_seq ss{static_cast<std::uint32_t>(seed_), static_cast<std::uint32_t>(seed_ >> 32),
                         static_cast<std::uint32_t>(epoch_), static_cast<std::uint32_t>(epoch_ >> 32)};
        std::mt19937_64 rng(ss);
        std::vector<std::size_t> idx(lengths_.size());
        for (std::size_t i = 0; i < idx.size(); ++i)
            idx[i] = i;
        shuffle(idx, rng);
        const std::size_t chunk = 50 * batch_size_;
        for (std::size_t b = 0; b < idx.size(); b += chunk)
            std::stable_sort(idx.begin() + b, idx.begin() + std::min(b + chunk, idx.size()),
                             [&](std::size_t i, std::size_t j) { return lengths_[i] < lengths_[j]; });
        batches_.clear();
        for (std::size_t b = 0; b < idx.size(); b += batch_size_)
            batches_.emplace_back(idx.begin() + b, idx.begin() + std::min(b + batch_size_, idx.size()));
        shuffle(batches_, rng);
        planned_ = epoch_;
    }

    std::vector<std::size_t> Batcher::next()
    {
        if (batch_ >= batches_per_epoch())
        {
            ++epoch_;
            batch_ = 0;
        }
        if (planned_ != epoch_)
            plan();
        return batches_[batch_++];
    }

    void pad_batch(const Dataset& d, const std::vector<std::size_t>& indices, Tensor3<float>& out,
                   std::vector<std::size_t>& lengths)
    {
        const std::size_t f = d.features, b = indices.size();
        std::size_t tmax = 0;
        lengths.resize(b);
        for (std::size_t i = 0; i < b; ++i)
            tmax = std::max(tmax, lengths[i] = d.items.at(indices[i]).steps);
        ensure_shape(out, std::array<std::size_t, 3>{tmax, b, f});
        out.fill(0.0f);
        float* o = out.data();
        for (std::size_t i = 0; i < b; ++i)
        {
            const auto& s = d.items[indices[i]];
            for (std::size_t t = 0; t < s.steps; ++t)
                std::copy_n(s.x.data() + t * f, f, o + (t * b + i) * f);
        }
    }
}
