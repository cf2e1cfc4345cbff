// tests/seq/test_seq_model.cpp -- the generic sequence model: gradients of every task x input
// layer x pool, bidirectional and with lengths, against central finite differences in double;
// a padded batch scores each sequence as it would alone; the model file round trip.
#include "seq_test_util.hpp"

#include "xrnn/checkpoint.hpp"
#include "xrnn/seq/seq_model.hpp"
#include "xrnn/seq/seq_train.hpp"

#include <cmath>

using xrnn::seq::InputLayer;
using xrnn::seq::SeqModel;
using xrnn::seq::SeqModelConfig;
using xrnn::seq::Task;

namespace
{
    SeqModelConfig small(Task task, InputLayer input, xrnn::PoolKind pool, xrnn::CellKind cell)
    {
        SeqModelConfig c;
        c.task = task;
        c.input = input;
        c.features = input == InputLayer::embedding ? 1 : 3;
        c.input_size = input == InputLayer::none ? 0 : 4;
        c.vocab = 5;
        c.outputs = task == Task::regress ? 2 : 3;
        c.pool = pool;
        c.rnn.cell = cell;
        c.rnn.hidden_size = 3;
        c.rnn.num_layers = 2;
        c.rnn.bidirectional = true;
        return c;
    }

    struct Batch
    {
        xrnn::Tensor3<double> x;
        std::vector<std::size_t> lengths;
        xrnn::seq::BatchTargets targets;
    };

    Batch make_batch(const SeqModelConfig& c, std::uint64_t seed)
    {
        xrnn::Rng rng(seed);
        Batch b;
        const std::size_t T = 5, B = 3;
        b.lengths = {2, 5, 1};
        b.x = xrnn::Tensor3<double>::from_shape({T, B, c.features});
        for (auto& v : b.x)
            v = c.input == InputLayer::embedding ? double(rng.next_u64() % c.vocab) : rng.uniform(-1, 1);
        if (c.task == Task::classify)
            b.targets.labels = {2, 0, 1};
        else if (c.task == Task::regress)
            for (std::size_t i = 0; i < B * c.outputs; ++i)
                b.targets.values.push_back(static_cast<float>(rng.uniform(-1, 1)));
        else if (c.task == Task::ctc)
        {
            // classes 1, 2 (0 is the blank), lengths 2, 5, 1: {1, 2} fills its 2 frames exactly,
            // {2, 2, 1} has a repeat (needs 4 of its 5 frames), {1} one frame
            b.targets.labels = {1, 2, 2, 2, 1, 1};
            b.targets.label_lengths = {2, 3, 1};
        }
        else
            for (std::size_t i = 0; i < T * B; ++i)
                b.targets.labels.push_back(static_cast<std::int32_t>(rng.next_u64() % c.outputs));
        return b;
    }

    // Max relative error of every parameter's gradient against central differences (and the
    // fourth-order stencil where the central difference is off by more than 1e-7).
    double gradient_error(SeqModel<double>& m, const Batch& b, std::string& worst)
    {
        m.zero_grad();
        m.forward(b.x, b.lengths, &b.targets);
        m.backward();
        auto f = [&] { return m.forward(b.x, b.lengths, &b.targets); };
        double scale = 0;
        std::vector<std::tuple<std::string, double, double*>> entries; // name, analytic, value
        for (auto* set : {&m.own_params(), &m.rnn().params()})
            for (std::size_t i = 0; i < set->count(); ++i)
                for (std::size_t k = 0; k < set->table()[i].size; ++k)
                    entries.emplace_back(set->table()[i].name + "[" + std::to_string(k) + "]", set->grad(i)[k],
                                         set->value(i) + k);
        std::vector<double> numeric;
        for (auto& [name, a, v] : entries)
        {
            const double keep = *v, h = 1e-5;
            *v = keep + h;
            const double lp = f();
            *v = keep - h;
            const double lm = f();
            *v = keep;
            numeric.push_back((lp - lm) / (2 * h));
            scale = std::max(scale, std::abs(numeric.back()));
        }
        const double floor = std::max(1e-3 * scale, 1e-12);
        double err = 0;
        for (std::size_t i = 0; i < entries.size(); ++i)
        {
            auto& [name, a, v] = entries[i];
            double n = numeric[i];
            auto rel = [&] { return std::abs(a - n) / std::max({std::abs(a), std::abs(n), floor}); };
            if (rel() > 1e-7)
            {
                const double keep = *v, h = 1e-4;
                auto at = [&](double d) { *v = keep + d; return f(); };
                n = (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h);
                *v = keep;
            }
            if (!(rel() <= err))
            {
                err = std::isnan(rel()) ? INFINITY : rel();
                worst = name;
            }
        }
        CHECK(scale > 1e-3); // the gradients are not all zero
        return err;
    }
}

TEST_CASE("seq model: gradients match finite differences for every task, input layer and pool (bidirectional, lengths 2,5,1)")
{
    double worst_err = 0;
    std::string worst_case;
    double ctc_err = 0;
    for (Task task : {Task::classify, Task::regress, Task::tag, Task::ctc})
        for (InputLayer input : {InputLayer::none, InputLayer::linear, InputLayer::embedding})
            for (xrnn::PoolKind pool : {xrnn::PoolKind::last, xrnn::PoolKind::mean, xrnn::PoolKind::max})
            {
                if ((task == Task::tag || task == Task::ctc) && pool != xrnn::PoolKind::last)
                    continue; // per-step heads have no pooling
                for (xrnn::CellKind cell : {xrnn::CellKind::gru, xrnn::CellKind::lstm})
                {
                    const auto c = small(task, input, pool, cell);
                    const std::string name = std::string(xrnn::seq::task_name(task)) + " input="
                                             + xrnn::seq::input_layer_name(input) + " pool=" + xrnn::pool_name(pool)
                                             + " " + xrnn::cell_name(cell);
                    INFO(name);
                    SeqModel<double> m(c, {7});
                    std::string worst;
                    const double e = gradient_error(m, make_batch(c, 3), worst);
                    INFO("worst " << worst << " " << e);
                    CHECK(e <= 1e-6);
                    if (task == Task::ctc)
                        ctc_err = std::max(ctc_err, e);
                    if (e > worst_err)
                    {
                        worst_err = e;
                        worst_case = name + " at " + worst;
                    }
                }
            }
    std::printf("gradient check seq model heads: max relative error %.3g (%s); ctc head %.3g\n", worst_err,
                worst_case.c_str(), ctc_err);
}

TEST_CASE("seq model: a padded batch gives each sequence the outputs and loss it has alone")
{
    for (Task task : {Task::classify, Task::tag})
        for (xrnn::PoolKind pool : {xrnn::PoolKind::last, xrnn::PoolKind::mean, xrnn::PoolKind::max})
        {
            INFO(xrnn::seq::task_name(task) << " " << xrnn::pool_name(pool));
            const auto c = small(task, InputLayer::linear, pool, xrnn::CellKind::lstm);
            SeqModel<double> m(c, {5});
            const Batch b = make_batch(c, 9);
            const std::size_t B = 3, C = c.outputs;
            const double loss = m.forward(b.x, b.lengths, &b.targets);
            const std::vector<double> out = m.outputs();
            double sum = 0, diff = 0;
            std::size_t valid = 0;
            for (std::size_t s = 0; s < B; ++s)
            {
                const std::size_t L = b.lengths[s];
                Batch one;
                one.x = xrnn::Tensor3<double>::from_shape({L, 1, c.features});
                for (std::size_t t = 0; t < L; ++t)
                    for (std::size_t f = 0; f < c.features; ++f)
                        one.x(t, 0, f) = b.x(t, s, f);
                if (task == Task::classify)
                    one.targets.labels = {b.targets.labels[s]};
                else
                    for (std::size_t t = 0; t < L; ++t)
                        one.targets.labels.push_back(b.targets.labels[t * B + s]);
                const double l = m.forward(one.x, {}, &one.targets);
                sum += l * double(task == Task::tag ? L : 1);
                valid += task == Task::tag ? L : 1;
                for (std::size_t t = 0; t < (task == Task::tag ? L : 1); ++t)
                    for (std::size_t k = 0; k < C; ++k)
                        diff = std::max(diff, std::abs(m.outputs()[t * C + k] - out[(t * B + s) * C + k]));
            }
            CHECK(diff < 1e-12);
            CHECK(std::abs(loss - sum / double(valid)) < 1e-12);
        }
}

TEST_CASE("seq model: saved and loaded whole, the model file alone rebuilds the same outputs")
{
    const std::string dir = seqtest::tmp_dir("model_file");
    auto c = small(Task::classify, InputLayer::linear, xrnn::PoolKind::max, xrnn::CellKind::gru);
    c.rnn.activation = xrnn::ActivationKind::relu;
    c.rnn.recurrent_activation = xrnn::ActivationKind::hard_sigmoid;
    SeqModel<float> m(c, {3});
    xrnn::seq::Standardizer st{{0.5f, 1.f, 2.f}, {1.f, 2.f, 3.f}};
    xrnn::seq::ClassTable classes({"cat", "dog", "eel"});
    xrnn::Checkpoint ck;
    xrnn::seq::put_model(ck, m, st, classes);
    xrnn::save_checkpoint(dir + "/m.ckpt", ck);
    const auto saved = xrnn::seq::load_model(dir + "/m.ckpt");
    CHECK(saved.classes.names() == classes.names());
    CHECK(saved.standardizer.mean == st.mean);
    CHECK(saved.standardizer.std == st.std);
    CHECK(saved.model->config().rnn.bidirectional);
    CHECK(xrnn::activation_name(saved.model->config().rnn.activation) == "relu");
    CHECK(saved.model->config().pool == xrnn::PoolKind::max);
    xrnn::Tensor3<float> x = xrnn::Tensor3<float>::from_shape({4, 2, 3});
    xrnn::Rng rng(1);
    for (auto& v : x)
        v = static_cast<float>(rng.uniform(-1, 1));
    m.forward(x, {4, 2}, nullptr);
    saved.model->forward(x, {4, 2}, nullptr);
    CHECK(m.outputs() == saved.model->outputs());

    // forged metadata: a size is named as written, not cast (fuzz_json_config: 4.9e19 into a
    // size_t was undefined behaviour), and the classes must match the outputs
    auto forge = [&](const std::string& from, const std::string& to) {
        xrnn::Checkpoint f = ck;
        const auto at = f.meta_json.find(from);
        REQUIRE(at != std::string::npos);
        f.meta_json.replace(at, from.size(), to);
        xrnn::save_checkpoint(dir + "/forged.ckpt", f);
        return dir + "/forged.ckpt";
    };
    CHECK_THROWS_WITH_AS(xrnn::seq::load_model(forge("\"outputs\":3", "\"outputs\":4.9e19")),
                         doctest::Contains("forged.ckpt: outputs must be a whole number from 1 to 16777216"),
                         xrnn::CheckpointError);
    CHECK_THROWS_WITH_AS(xrnn::seq::load_model(forge("\"hidden_size\":", "\"hidden_size\":-1,\"x\":")),
                         doctest::Contains("hidden_size must be a whole number from 1 to 65536, got -1"),
                         xrnn::CheckpointError);
    CHECK_THROWS_WITH_AS(xrnn::seq::load_model(forge("[\"cat\",\"dog\",\"eel\"]", "[\"cat\"]")),
                         doctest::Contains("forged.ckpt: its model has 3 outputs but its metadata lists 1 classes"),
                         xrnn::CheckpointError);

    xrnn::Checkpoint other;
    other.meta_json = "{\"format\":\"xrnn-charlm\"}";
    xrnn::save_checkpoint(dir + "/other.ckpt", other);
    CHECK_THROWS_WITH_AS(xrnn::seq::load_model(dir + "/other.ckpt"), doctest::Contains("not an xrnn-seq model"),
                         xrnn::CheckpointError);
    // metadata that is JSON but not an object, or a format that is not a string (fuzz_seq_model:
    // json::value() threw its own type_error)
    for (const char* meta : {"7", "{\"format\": 3}"})
    {
        other.meta_json = meta;
        xrnn::save_checkpoint(dir + "/other.ckpt", other);
        CHECK_THROWS_WITH_AS(xrnn::seq::load_model(dir + "/other.ckpt"),
                             doctest::Contains("not an xrnn-seq model (format '?')"), xrnn::CheckpointError);
    }
}

TEST_CASE("seq model: bad configurations and inputs name the problem")
{
    auto c = small(Task::classify, InputLayer::embedding, xrnn::PoolKind::last, xrnn::CellKind::gru);
    SeqModel<float> m(c, {1});
    xrnn::Tensor3<float> x = xrnn::Tensor3<float>::from_shape({2, 1, 1});
    x(0, 0, 0) = 1;
    x(1, 0, 0) = 7;
    CHECK_THROWS_WITH_AS(m.forward(x, {}, nullptr), doctest::Contains("token id 7.000000 at step 1, sequence 0 is not an integer in 0..4"),
                         std::invalid_argument);
    m.forward(x, {1}, nullptr); // past the length the value is padding and not read
    xrnn::seq::BatchTargets t;
    t.labels = {3};
    CHECK_THROWS_WITH_AS(m.forward(x, {1}, &t), doctest::Contains("target 3 at row 0 is outside [0, 3)"), std::invalid_argument);
    t.labels = {-1};
    CHECK_THROWS_WITH_AS(m.forward(x, {1}, &t), doctest::Contains("class label -1 of sequence 0 is outside 0..2"), std::invalid_argument);
    c.outputs = 1;
    CHECK_THROWS_WITH_AS(SeqModel<float>(c, {1}), doctest::Contains("needs at least 2 classes"), std::invalid_argument);
    CHECK_THROWS_WITH_AS(xrnn::seq::input_layer_from_name("conv"), doctest::Contains("valid: none, linear, embedding"),
                         std::invalid_argument);
}
