// tests/charlm/test_char_model.cpp -- the whole char model (embedding, stack, dropout, head, softmax
// cross-entropy) against finite differences in double, from a carried state, with dropout on.
#include "gradcheck.hpp"
#include "xrnn/charlm/char_model.hpp"
#include "xrnn/dropout.hpp"
#include "xrnn/softmax_xent.hpp"

#include <doctest/doctest.h>

#include <cmath>

TEST_CASE("softmax cross-entropy: value and gradient")
{
    const double logits[6] = {1.0, 2.0, 0.5, -1.0, 0.0, 3.0};
    const std::int32_t targets[2] = {1, 2};
    double d[6];
    const double loss = xrnn::softmax_xent(d, logits, targets, 2, 3);
    const double l0 = -std::log(std::exp(2.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(0.5)));
    const double l1 = -std::log(std::exp(3.0) / (std::exp(-1.0) + std::exp(0.0) + std::exp(3.0)));
    CHECK(loss == doctest::Approx((l0 + l1) / 2).epsilon(1e-14));
    double row_sum = d[0] + d[1] + d[2];
    CHECK(std::abs(row_sum) < 1e-15);
    CHECK(d[1] < 0);
    // huge logits: no overflow
    const float big[2] = {1e30f, -1e30f};
    const std::int32_t t0 = 0;
    float db[2];
    CHECK(std::isfinite(xrnn::softmax_xent(db, big, &t0, 1, 2)));
}

TEST_CASE("char model gradients match finite differences (2-layer LSTM, GRU, RNN, dropout 0.3, weight drop 0 and 0.4, carried state)")
{
    for (double weight_drop : {0.0, 0.4})
    for (auto cell : {xrnn::CellKind::lstm, xrnn::CellKind::gru, xrnn::CellKind::rnn})
    {
        INFO(xrnn::cell_name(cell) << " weight_drop " << weight_drop);
        xrnn::CharModelConfig c;
        c.vocab_size = 5;
        c.embed_size = 3;
        c.dropout = 0.3;
        c.weight_drop = weight_drop;
        c.rnn.cell = cell;
        c.rnn.hidden_size = 4;
        c.rnn.num_layers = 2;
        xrnn::CharModel<double> m(c, xrnn::InitConfig{4});
        const std::size_t T = 5, B = 2;
        xrnn::Rng rng(9);
        std::vector<std::int32_t> x1(T * B), y1(T * B), x2(T * B), y2(T * B);
        for (auto* v : {&x1, &y1, &x2, &y2})
            for (auto& t : *v)
                t = static_cast<std::int32_t>(rng.below(5));
        m.forward(x1.data(), y1.data(), T, B, false); // a first chunk, so the second starts from a carried state
        const auto carried = m.rnn().carried_state();
        auto eval = [&](bool backward) {
            m.rnn().set_carried_state(carried);
            m.rnn().dropout_rng().reseed(77); // the same masks in every evaluation
            m.dropout_rng().reseed(78);
            return m.forward(x2.data(), y2.data(), T, B, backward);
        };
        m.zero_grad();
        eval(true);
        if (weight_drop > 0) // a second backward adds the same gradient: earlier gradients are not re-masked
        {
            std::vector<std::vector<double>> once;
            for (auto span : m.spans())
                once.emplace_back(span.grads, span.grads + span.size);
            eval(true);
            std::size_t i = 0;
            for (auto span : m.spans())
            {
                for (std::size_t j = 0; j < span.size; ++j)
                    CHECK(span.grads[j] == doctest::Approx(2 * once[i][j]));
                ++i;
            }
            m.zero_grad();
            eval(true);
        }
        std::vector<gradcheck::Entry> entries;
        for (auto span : m.spans())
        {
            std::vector<double> analytic(span.grads, span.grads + span.size);
            entries.push_back({"span", analytic, gradcheck::numeric_grad(span.values, span.size, [&] { return eval(false); }, 1e-5)});
        }
        gradcheck::Report r;
        gradcheck::compare(r, entries);
        INFO("worst " << r.worst << " " << r.max_err);
        CHECK(r.max_err <= 1e-6);
    }
}

TEST_CASE("dropout: training masks about p of the units and rescales; evaluation is the identity")
{
    xrnn::CharModelConfig c;
    c.vocab_size = 7;
    c.embed_size = 8;
    c.dropout = 0.25;
    c.rnn.cell = xrnn::CellKind::gru;
    c.rnn.hidden_size = 64;
    c.rnn.num_layers = 2;
    xrnn::CharModel<float> m(c, xrnn::InitConfig{1});
    std::vector<std::int32_t> x(40 * 8, 3), y(40 * 8, 2);
    m.set_training(false);
    m.reset_state();
    const double eval1 = m.forward(x.data(), y.data(), 40, 8, false);
    m.reset_state();
    const double eval2 = m.forward(x.data(), y.data(), 40, 8, false);
    CHECK(eval1 == eval2); // no randomness at evaluation
    m.set_training(true);
    m.reset_state();
    const double train1 = m.forward(x.data(), y.data(), 40, 8, false);
    CHECK(train1 != eval1);

    std::vector<float> in(100000, 1.0f), out(in.size()), mask(in.size());
    xrnn::Rng rng(3);
    xrnn::dropout_forward(out.data(), mask.data(), in.data(), in.size(), 0.25, rng);
    std::size_t zeros = 0;
    for (float v : out)
    {
        zeros += v == 0.0f;
        CHECK((v == 0.0f || v == doctest::Approx(1.0f / 0.75f)));
    }
    CHECK(static_cast<double>(zeros) / in.size() == doctest::Approx(0.25).epsilon(0.03));
}

TEST_CASE("sampling table: step_logits with input_table() equals the plain step, every cell")
{
    for (auto cell : {xrnn::CellKind::lstm, xrnn::CellKind::gru, xrnn::CellKind::rnn})
    {
        INFO(xrnn::cell_name(cell));
        xrnn::CharModelConfig c;
        c.vocab_size = 11;
        c.embed_size = 6;
        c.rnn.cell = cell;
        c.rnn.hidden_size = 20;
        c.rnn.num_layers = 2;
        xrnn::CharModel<float> plain(c, xrnn::InitConfig{4}), tabled(c, xrnn::InitConfig{4});
        const auto table = tabled.input_table();
        REQUIRE(table.shape()[0] == 11);
        REQUIRE(table.shape()[1] == xrnn::gate_count(cell) * 20);
        plain.set_training(false);
        tabled.set_training(false);
        plain.reset_state();
        tabled.reset_state();
        double worst = 0, largest = 0;
        for (std::int32_t t : {3, 0, 10, 7, 7, 1, 5, 2, 9, 4}) // state carried across the steps
        {
            const float* a = plain.step_logits(t);
            const float* b = tabled.step_logits(t, &table);
            for (std::size_t j = 0; j < 11; ++j)
            {
                worst = std::max(worst, double(std::abs(a[j] - b[j])));
                largest = std::max(largest, double(std::abs(a[j])));
            }
        }
        CHECK(largest > 1e-3); // not comparing zeros
        CHECK(worst < 1e-6);
        xrnn::Tensor2<float> wrong = xrnn::Tensor2<float>::from_shape({3, table.shape()[1]});
        CHECK_THROWS_WITH(tabled.step_logits(1, &wrong),
                          doctest::Contains("one row per token"));
    }
}
