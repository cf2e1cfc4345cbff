// tests/seq/test_seq_train.cpp -- the trainer on generated tasks: it learns, a resumed run is
// the uninterrupted one bit for bit, a resume on changed data is refused, and eval / predict
// read the saved model alone.
#include "seq_test_util.hpp"

#include "xrnn/seq/example_data.hpp"
#include "xrnn/seq/seq_train.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <sstream>

namespace
{
    xrnn::seq::SeqTrainConfig config(const std::string& list, const std::string& out)
    {
        xrnn::seq::SeqTrainConfig c;
        c.train = list;
        c.task = xrnn::seq::Task::classify;
        c.cell = "gru";
        c.hidden_size = 16;
        c.num_layers = 2;
        c.bidirectional = true;
        c.dropout = 0.2;
        c.optimizer.lr = 0.01;
        c.batch_size = 16;
        c.epochs = 4;
        c.threads = 1;
        c.out = out;
        return c;
    }

    std::vector<float> params(xrnn::seq::SeqModel<float>& m)
    {
        std::vector<float> v;
        for (const auto& s : m.spans())
            v.insert(v.end(), s.values, s.values + s.size);
        return v;
    }
}

TEST_CASE("seq train: learns temporal order; resume is exact; changed data is refused; eval and predict from the file")
{
    const std::string dir = seqtest::tmp_dir("train");
    const std::string list = xrnn::seq::make_example_data("temporal_order", dir + "/data", 400, 3, 5, 30);
    std::atomic<bool> stop{false};
    std::ostringstream progress;

    xrnn::seq::SeqTrainer full(config(list, dir + "/full"));
    REQUIRE(full.run(progress, stop) == 0);
    const auto v = xrnn::seq::evaluate(full.model(), full.val_data(), 64);
    INFO(progress.str());
    CHECK(v.accuracy > 0.9); // chance is 0.25
    CHECK(progress.str().find("(best, saved)") != std::string::npos);

    // two epochs, then resume from last.ckpt for the other two
    auto c = config(list, dir + "/half");
    c.epochs = 2;
    {
        xrnn::seq::SeqTrainer half(c);
        REQUIRE(half.run(progress, stop) == 0);
    }
    auto resumed = xrnn::seq::SeqTrainer::resume(dir + "/half/last.ckpt", 4, 0);
    REQUIRE(resumed->run(progress, stop) == 0);
    CHECK(resumed->step() == full.step());
    CHECK(params(resumed->model()) == params(full.model()));

    // eval and predict need the model file only
    auto saved = xrnn::seq::load_model(dir + "/full/last.ckpt");
    CHECK(params(*saved.model) == params(full.model()));
    auto data = xrnn::seq::load_data(list, xrnn::seq::Task::classify, &saved.classes);
    saved.standardizer.apply(data);
    const auto all = xrnn::seq::evaluate(*saved.model, data, 50);
    CHECK(all.count == 400);
    std::size_t total = 0;
    for (const auto& row : all.confusion)
        for (auto n : row)
            total += n;
    CHECK(total == 400);
    CHECK(all.accuracy > 0.9);
    std::ostringstream csv;
    xrnn::seq::predict_csv(*saved.model, data, saved.classes, 50, csv);
    const std::string text = csv.str();
    CHECK(text.rfind("source,prediction,p_XX,p_XY,p_YX,p_YY\n", 0) == 0);
    CHECK(std::count(text.begin(), text.end(), '\n') == 401);

    // a forged counter is refused, not cast (a float step into uint64_t was undefined behaviour)
    xrnn::Checkpoint forged = xrnn::load_checkpoint(dir + "/half/last.ckpt");
    const auto at = forged.meta_json.find("\"step\":");
    REQUIRE(at != std::string::npos);
    forged.meta_json.insert(at + 7, "1e30,\"was\":");
    xrnn::save_checkpoint(dir + "/forged.ckpt", forged);
    CHECK_THROWS_WITH_AS(xrnn::seq::SeqTrainer::resume(dir + "/forged.ckpt", 4, 0),
                         doctest::Contains("forged.ckpt: step must be a whole number from 0 to 18446744073709551615"),
                         xrnn::CheckpointError);

    // a resume on other data is refused before anything is written
    xrnn::seq::make_example_data("temporal_order", dir + "/data", 400, 4, 5, 30);
    CHECK_THROWS_WITH_AS(xrnn::seq::SeqTrainer::resume(dir + "/half/last.ckpt", 6, 0),
                         doctest::Contains("changed since this checkpoint was saved"), xrnn::CheckpointError);
}

TEST_CASE("seq train: the adding task regresses and the tagging task tags, with lengths")
{
    const std::string dir = seqtest::tmp_dir("train_tasks");
    std::atomic<bool> stop{false};
    std::ostringstream progress;
    {
        auto c = config(xrnn::seq::make_example_data("adding", dir + "/add", 400, 5, 5, 20), dir + "/add_out");
        c.task = xrnn::seq::Task::regress;
        c.cell = "lstm";
        c.bidirectional = false;
        c.dropout = 0;
        c.epochs = 6;
        xrnn::seq::SeqTrainer t(c);
        REQUIRE(t.run(progress, stop) == 0);
        const auto v = xrnn::seq::evaluate(t.model(), t.val_data(), 64);
        INFO(progress.str());
        CHECK(v.accuracy < 0);  // no accuracy for regression
        CHECK(v.loss < 0.05);   // predicting the mean (1.0) scores ~ 1/6 (variance of a sum of two U(0,1))
    }
    {
        auto c = config(xrnn::seq::make_example_data("tagging", dir + "/tag", 300, 6, 5, 20), dir + "/tag_out");
        c.task = xrnn::seq::Task::tag;
        c.bidirectional = false; // the parity of a running count needs the past only
        c.epochs = 8;
        xrnn::seq::SeqTrainer t(c);
        REQUIRE(t.run(progress, stop) == 0);
        const auto v = xrnn::seq::evaluate(t.model(), t.val_data(), 64);
        INFO(progress.str());
        CHECK(v.accuracy > 0.9);
    }
}

TEST_CASE("seq train: ctc learns to spell the words of the spelled task; the saved model evaluates and predicts alone")
{
    const std::string dir = seqtest::tmp_dir("train_ctc");
    const std::string list = xrnn::seq::make_example_data("spelled", dir + "/data", 300, 11, 2, 2);
    std::atomic<bool> stop{false};
    std::ostringstream progress;
    auto c = config(list, dir + "/out");
    c.task = xrnn::seq::Task::ctc;
    c.num_layers = 1;
    c.dropout = 0;
    c.epochs = 15;
    xrnn::seq::SeqTrainer t(c);
    CHECK(t.train_data().classes.names() == std::vector<std::string>{"five", "four", "one", "three", "two"});
    CHECK(t.train_data().outputs == 6);
    const auto before = xrnn::seq::evaluate(t.model(), t.val_data(), 64);
    const auto t0 = std::chrono::steady_clock::now();
    REQUIRE(t.run(progress, stop) == 0);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const auto after = xrnn::seq::evaluate(t.model(), t.val_data(), 64);
    std::printf("seq train ctc: %llu steps in %.2f s; validation token error rate %.1f%% -> %.1f%%, sequence "
                "accuracy %.1f%% -> %.1f%%\n",
                static_cast<unsigned long long>(t.step()), seconds, 100 * before.error_rate, 100 * after.error_rate,
                100 * before.accuracy, 100 * after.accuracy);
    INFO(progress.str());
    CHECK(before.error_rate > 0.5); // an untrained model's best path is far from the words
    CHECK(after.error_rate < 0.1);
    CHECK(after.accuracy > 0.7);
    CHECK(after.tokens > after.count); // up to 5 words per sequence
    CHECK(progress.str().find(" ter ") != std::string::npos);
    const std::string report = xrnn::seq::eval_report(after, t.train_data().classes, xrnn::seq::Task::ctc);
    CHECK(report.find("token error rate ") != std::string::npos);
    CHECK(report.find("sequence accuracy ") != std::string::npos);

    // the model file alone: the vocabulary, the task and the same scores
    auto saved = xrnn::seq::load_model(dir + "/out/last.ckpt");
    CHECK(saved.model->config().task == xrnn::seq::Task::ctc);
    CHECK(saved.classes.names() == t.train_data().classes.names());
    CHECK(params(*saved.model) == params(t.model()));
    const auto same = xrnn::seq::evaluate(*saved.model, t.val_data(), 64);
    CHECK(same.loss == after.loss);
    CHECK(same.error_rate == after.error_rate);
    auto data = xrnn::seq::load_data(list, xrnn::seq::Task::ctc, &saved.classes);
    saved.standardizer.apply(data);
    const auto all = xrnn::seq::evaluate(*saved.model, data, 50);
    CHECK(all.count == 300);
    CHECK(all.error_rate < 0.1);
    const auto beam = xrnn::seq::evaluate(*saved.model, data, 50, 4);
    CHECK(beam.error_rate < 0.1);
    std::ostringstream csv;
    xrnn::seq::predict_csv(*saved.model, data, saved.classes, 50, csv);
    const std::string text = csv.str();
    CHECK(text.rfind("source,tokens\n", 0) == 0);
    CHECK(std::count(text.begin(), text.end(), '\n') == 301);
    // rows are in the data set's order; count the ones that spell their reference exactly
    std::istringstream rows(text);
    std::string row;
    std::getline(rows, row);
    std::size_t exact = 0;
    for (std::size_t i = 0; std::getline(rows, row); ++i)
    {
        std::string ref;
        for (auto k : data.items[i].tokens)
            ref += (ref.empty() ? "" : " ") + saved.classes.name(std::size_t(k));
        exact += row.substr(row.find(',') + 1) == ref;
    }
    CHECK(double(exact) / 300 == doctest::Approx(all.accuracy));
}

TEST_CASE("seq train: ctc names a sequence too short for its labels, unless zero_infinity")
{
    const std::string dir = seqtest::tmp_dir("train_ctc_short");
    xrnn::seq::Matrix m;
    m.rows = 3;
    m.cols = 2;
    m.data.assign(6, 0.5f);
    xrnn::seq::write_npy(dir + "/a.npy", m);
    seqtest::write_text(dir + "/list.txt", "a.npy\tx y\na.npy\tx y\na.npy\tx x y\n");
    auto c = config(dir + "/list.txt", dir + "/out");
    c.task = xrnn::seq::Task::ctc;
    c.val = dir + "/list.txt";
    c.epochs = 1;
    std::string msg;
    try
    {
        xrnn::seq::SeqTrainer t(c);
    }
    catch (const xrnn::seq::DataError& e)
    {
        msg = e.what();
    }
    CHECK(msg.find("list.txt:3: 3 label tokens with 1 adjacent repeat(s) need at least 4 frames") != std::string::npos);
    CHECK(msg.find("has 3") != std::string::npos);
    c.ctc_zero_infinity = true;
    xrnn::seq::SeqTrainer t(c);
    std::atomic<bool> stop{false};
    std::ostringstream progress;
    REQUIRE(t.run(progress, stop) == 0);
    auto cfg = xrnn::seq::config_from_json(xrnn::seq::config_json(t.config()));
    CHECK(cfg.ctc_zero_infinity);
    CHECK(cfg.task == xrnn::seq::Task::ctc);
    CHECK(xrnn::seq::load_model(dir + "/out/last.ckpt").model->config().zero_infinity);
}

TEST_CASE("seq train: feature noise, time masks and a cosine lr resume bit for bit; the config keeps them")
{
    const std::string dir = seqtest::tmp_dir("augment");
    const std::string list = xrnn::seq::make_example_data("temporal_order", dir + "/data", 200, 3, 10, 30);
    std::atomic<bool> stop{false};
    std::ostringstream progress;
    auto aug = [&](const std::string& out, std::size_t epochs) {
        auto c = config(list, dir + "/" + out);
        c.epochs = epochs;
        c.feature_noise = 0.1;
        c.time_masks = 2;
        c.time_mask_width = 3;
        c.optimizer.schedule = xrnn::LrSchedule::cosine;
        c.optimizer.lr_decay_steps = 40;
        c.optimizer.lr_min = 1e-4;
        return c;
    };
    xrnn::seq::SeqTrainer full(aug("full", 4));
    REQUIRE(full.run(progress, stop) == 0);
    {
        xrnn::seq::SeqTrainer half(aug("half", 2));
        REQUIRE(half.run(progress, stop) == 0);
    }
    auto resumed = xrnn::seq::SeqTrainer::resume(dir + "/half/last.ckpt", 4, 0);
    REQUIRE(resumed->run(progress, stop) == 0);
    CHECK(resumed->step() == full.step());
    CHECK(params(resumed->model()) == params(full.model()));
    const auto back = xrnn::seq::config_from_json(xrnn::seq::config_json(resumed->config()));
    CHECK(back.feature_noise == 0.1);
    CHECK(back.time_masks == 2);
    CHECK(back.time_mask_width == 3);
    CHECK(back.optimizer.schedule == xrnn::LrSchedule::cosine);
    CHECK(back.optimizer.lr_decay_steps == 40);
    CHECK(back.optimizer.lr_min == 1e-4);

    // the augmentation changes what is trained on: the same run without it ends elsewhere
    auto plain = aug("plain", 4);
    plain.feature_noise = 0;
    plain.time_masks = 0;
    xrnn::seq::SeqTrainer p(plain);
    REQUIRE(p.run(progress, stop) == 0);
    CHECK(params(p.model()) != params(full.model()));

    // cosine without a length decays over the whole run: epochs x batches per epoch
    auto whole = aug("whole", 3);
    whole.optimizer.lr_decay_steps = 0;
    xrnn::seq::SeqTrainer w(whole);
    CHECK(w.config().optimizer.lr_decay_steps == 3 * xrnn::seq::Batcher(w.train_data(), 16, 1).batches_per_epoch());
    whole.epochs = 0;
    whole.time_budget = 10;
    CHECK_THROWS_WITH_AS(xrnn::seq::SeqTrainer{whole}, doctest::Contains("needs epochs"), std::invalid_argument);
}
