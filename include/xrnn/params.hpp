// xrnn/params.hpp -- all parameters of a model in one flat buffer, with a table of named views.
//
// As in llm.c's ParameterTensors: values and gradients are two flat arrays and every named
// tensor (weight_ih_l0, ...) is an offset into them. Clipping, optimizers, checkpoints and
// the gradient monitor are then single loops over the flat arrays or the table.
#ifndef XRNN_PARAMS_HPP
#define XRNN_PARAMS_HPP

#include "xrnn/check.hpp"
#include "xrnn/tensor.hpp"

#include <numeric>
#include <string>
#include <vector>

namespace xrnn
{
    // A run of parameters with their gradients; a model is a list of spans, and clipping and
    // optimizers loop over them as if over one flat buffer.
    template <class T>
    struct ParamSpan
    {
        T* values;
        T* grads;
        std::size_t size;
    };

    // Scalars in a list of spans: the length of the flat buffer they stand for.
    template <class T>
    std::size_t total_size(const std::vector<ParamSpan<T>>& spans)
    {
        std::size_t n = 0;
        for (const auto& s : spans)
            n += s.size;
        return n;
    }

    struct ParamInfo
    {
        std::string name;               // PyTorch-style, e.g. "weight_hh_l1"
        std::vector<std::size_t> shape; // e.g. (4H, H)
        std::size_t offset = 0;         // into the flat buffers
        std::size_t size = 0;           // product of shape
    };

    template <class T>
    class ParamSet
    {
    public:
        // Appends a tensor (zero-initialised). Pointers from value()/grad() are invalidated.
        std::size_t add(const std::string& name, std::vector<std::size_t> shape)
        {
            XRNN_CHECK(find(name) == table_.size(), "parameter '" + name + "' added twice");
            ParamInfo p;
            p.name = name;
            p.size = std::accumulate(shape.begin(), shape.end(), std::size_t(1), std::multiplies<>());
            p.shape = std::move(shape);
            p.offset = values_.size();
            table_.push_back(p);
            values_.resize(p.offset + p.size, T(0));
            grads_.resize(p.offset + p.size, T(0));
            return table_.size() - 1;
        }

        const std::vector<ParamInfo>& table() const { return table_; }
        std::size_t count() const { return table_.size(); }
        std::size_t size() const { return values_.size(); } // total number of scalars

        // Index of a named tensor; throws listing the names if absent.
        std::size_t index(const std::string& name) const
        {
            const std::size_t i = find(name);
            if (i == table_.size())
            {
                std::string names;
                for (const auto& p : table_)
                    names += (names.empty() ? "" : ", ") + p.name;
                detail::fail("no parameter named '" + name + "'; parameters are: " + names);
            }
            return i;
        }

        T* values() { return values_.data(); }
        const T* values() const { return values_.data(); }
        T* grads() { return grads_.data(); }
        const T* grads() const { return grads_.data(); }
        T* value(std::size_t i) { return values_.data() + table_[i].offset; }
        const T* value(std::size_t i) const { return values_.data() + table_[i].offset; }
        T* grad(std::size_t i) { return grads_.data() + table_[i].offset; }
        const T* grad(std::size_t i) const { return grads_.data() + table_[i].offset; }

        // Named views with the tensor's shape (writable; not for hot loops).
        auto view(const std::string& name) { return adapt(value(index(name)), table_[index(name)]); }
        auto grad_view(const std::string& name) { return adapt(grad(index(name)), table_[index(name)]); }

        void zero_grad() { std::fill(grads_.begin(), grads_.end(), T(0)); }
        ParamSpan<T> span() { return {values_.data(), grads_.data(), values_.size()}; }

    private:
        std::size_t find(const std::string& name) const
        {
            std::size_t i = 0;
            while (i < table_.size() && table_[i].name != name)
                ++i;
            return i;
        }
        static auto adapt(T* p, const ParamInfo& info)
        {
            return xt::adapt(p, info.size, xt::no_ownership(), info.shape);
        }

        std::vector<ParamInfo> table_;
        std::vector<T> values_;
        std::vector<T> grads_;
    };
}

#endif
