// xrnn/charlm/sampler.hpp -- drawing text from a char model: temperature sampling, streamed.
#ifndef XRNN_CHARLM_SAMPLER_HPP
#define XRNN_CHARLM_SAMPLER_HPP

#include "xrnn/charlm/char_corpus.hpp"
#include "xrnn/charlm/char_model.hpp"
#include "xrnn/random.hpp"
#include "xrnn/value_range.hpp"

#include <cmath>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace xrnn
{
    // temperature 0 = argmax; otherwise a draw from softmax(logits / temperature).
    template <class T>
    std::int32_t sample_token(const T* logits, std::size_t V, double temperature, Rng& rng)
    {
        std::size_t best = 0;
        for (std::size_t j = 1; j < V; ++j)
            if (logits[j] > logits[best])
                best = j;
        if (temperature <= 0)
            return static_cast<std::int32_t>(best);
        double sum = 0;
        thread_local std::vector<double> p;
        p.resize(V);
        for (std::size_t j = 0; j < V; ++j)
            sum += p[j] = std::exp((static_cast<double>(logits[j]) - static_cast<double>(logits[best])) / temperature);
        double u = rng.uniform() * sum;
        for (std::size_t j = 0; j < V; ++j)
        {
            u -= p[j];
            if (u < 0)
                return static_cast<std::int32_t>(j);
        }
        return static_cast<std::int32_t>(best);
    }

    struct SampleConfig
    {
        std::size_t length = 500;
        double temperature = 1.0;
        std::string prime; // fed first, and echoed; empty = start after a newline if the vocabulary has one
        std::uint64_t seed = 1;
    };

    // The valid values of SampleConfig's numbers (value_range.hpp), for the CLI's flags too.
    namespace sample_range
    {
        inline constexpr ValueRange length{"length", 0, 1e9, true};
        inline constexpr ValueRange temperature{"temperature", 0, 100};
    }
    inline void check_sample_config(const SampleConfig& c)
    {
        check_range(sample_range::length, double(c.length));
        check_range(sample_range::temperature, c.temperature); // NaN would silently mean argmax
        check_range(limits::seed, double(c.seed));
    }

    // Resets the model's state, feeds the prime, then emits `length` sampled bytes one by one.
    template <class T>
    void sample_text(CharModel<T>& model, const Vocabulary& vocab, const SampleConfig& c,
                     const std::function<void(char)>& emit)
    {
        check_sample_config(c);
        Rng rng(c.seed);
        model.set_training(false);
        model.reset_state();
        std::vector<std::int32_t> prime = vocab.encode(c.prime);
        if (prime.empty())
            prime.push_back(vocab.contains('\n') ? vocab.id('\n') : static_cast<std::int32_t>(rng.below(vocab.size())));
        else
            for (char ch : c.prime)
                emit(ch);
        const Tensor2<T> table = model.input_table(); // the parameters are fixed from here on
        const T* logits = nullptr;
        for (std::int32_t t : prime)
            logits = model.step_logits(t, &table);
        for (std::size_t i = 0; i < c.length; ++i)
        {
            const std::int32_t next = sample_token(logits, vocab.size(), c.temperature, rng);
            emit(static_cast<char>(vocab.symbol(next)));
            if (i + 1 < c.length)
                logits = model.step_logits(next, &table);
        }
    }
}

#endif
