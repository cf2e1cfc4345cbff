// tests/charlm/test_char_corpus.cpp -- vocabulary, train/validation split and stream batching.
#include "xrnn/charlm/char_corpus.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <fstream>
#include <numeric>

namespace
{
    std::string temp_file(const std::string& name, const std::string& content)
    {
        const std::string path = std::string(XRNN_TEST_TMP) + "/" + name;
        std::ofstream(path, std::ios::binary) << content;
        return path;
    }
}

TEST_CASE("vocabulary: sorted bytes seen, round trip, clear error for unknown bytes")
{
    const auto v = xrnn::Vocabulary::from_text("hello, world");
    CHECK(v.size() == 9); // ' ' ',' d e h l o r w
    CHECK(v.symbol(0) == ' ');
    CHECK(v.decode(v.encode("low")) == "low");
    CHECK_THROWS_WITH_AS(v.encode("hex"), doctest::Contains("byte 120 ('x') at offset 2 is not in the model's vocabulary of 9"),
                         std::invalid_argument);
    const auto all = xrnn::Vocabulary::all_bytes();
    CHECK(all.size() == 256);
    CHECK(all.id(200) == 200);
}

TEST_CASE("split by position: the last 10% is validation")
{
    std::string text(1000, 'a');
    for (std::size_t i = 0; i < text.size(); ++i)
        text[i] = static_cast<char>('a' + i % 7);
    const auto c = xrnn::load_corpus(temp_file("split.txt", text), 0.1);
    CHECK(c.train.size() == 900);
    CHECK(c.val.size() == 100);
    CHECK(c.vocab.decode(c.train) == text.substr(0, 900));
    CHECK(c.vocab.decode(c.val) == text.substr(900));
    CHECK_THROWS_WITH_AS(xrnn::load_corpus(temp_file("empty.txt", "")), doctest::Contains("is empty"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(xrnn::load_corpus(std::string(XRNN_TEST_TMP) + "/no/such/file"), doctest::Contains("/no/such/file' does not exist"),
                         std::runtime_error);
}

TEST_CASE("stream batching: B contiguous streams, chunk k+1 continues chunk k, targets shifted by one")
{
    std::vector<std::int32_t> tok(1001);
    std::iota(tok.begin(), tok.end(), 0); // token value = position
    const std::size_t B = 4, T = 10;
    xrnn::StreamBatcher sb(tok, B, T);
    const std::size_t L = 1000 / B; // stream length
    CHECK(sb.chunks_per_epoch() == L / T);
    std::vector<std::int32_t> x(B * T), y(B * T);
    for (std::size_t k = 0; k < sb.chunks_per_epoch(); ++k)
    {
        sb.chunk(k, x.data(), y.data());
        for (std::size_t b = 0; b < B; ++b)
            for (std::size_t t = 0; t < T; ++t)
            {
                CHECK(x[t * B + b] == std::int32_t(b * L + k * T + t));
                CHECK(y[t * B + b] == x[t * B + b] + 1);
            }
    }
    CHECK_THROWS_WITH_AS(xrnn::StreamBatcher(std::vector<std::int32_t>(40), 4, 10),
                         doctest::Contains("too few for one batch of 4 streams x 10 steps (needs at least 41)"),
                         std::invalid_argument);
}
