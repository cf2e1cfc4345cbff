// tests/speech/test_speech.cpp -- the speech wing: the front end (MFCC + deltas + CMVN + frame
// stacking) equals the features wing's steps done by hand, the corpus lists and their refusals,
// prepare (files, lists, nothing left on failure), and a trained model recognising WAV files.
#include <doctest/doctest.h>

#include "xrnn/seq/npy.hpp"
#include "xrnn/speech/digits_corpus.hpp"
#include "xrnn/speech/frontend.hpp"
#include "xrnn/speech/recognizer.hpp"

#include <sndfile.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;
namespace xs = xrnn::speech;
namespace xf = xrnn::features;

namespace
{
    std::string tmp_dir(const std::string& name)
    {
        const auto d = fs::path(XRNN_TEST_TMP) / ("speech_" + name);
        fs::remove_all(d);
        fs::create_directories(d);
        return d.string();
    }

    void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

    // A 16 kHz mono 16-bit WAV of a tone whose pitch depends on `digit`, so a tiny model can tell them apart.
    void write_tone(const std::string& path, int digit, double seconds, double amplitude = 8000)
    {
        SF_INFO info{};
        info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
        info.channels = 1;
        info.samplerate = 16000;
        SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
        REQUIRE_MESSAGE(f, "libsndfile cannot write " << path);
        const std::size_t n = std::size_t(seconds * 16000);
        std::vector<short> s(n);
        for (std::size_t i = 0; i < n; ++i)
            s[i] = short(amplitude * std::sin(2 * M_PI * (300.0 + 150.0 * digit) * double(i) / 16000.0)
                         + 50.0 * std::sin(double(i * i % 977)));
        CHECK(sf_writef_short(f, s.data(), sf_count_t(n)) == sf_count_t(n));
        sf_close(f);
    }

    std::vector<float> tone_samples(int digit, std::size_t n)
    {
        std::vector<float> s(n);
        for (std::size_t i = 0; i < n; ++i)
            s[i] = float(8000.0 * std::sin(2 * M_PI * (300.0 + 150.0 * digit) * double(i) / 16000.0));
        return s;
    }

    template <class F>
    std::string error_of(F&& f)
    {
        try
        {
            f();
        }
        catch (const std::exception& e)
        {
            return e.what();
        }
        return "(no error)";
    }

    bool has(const std::string& s, const std::string& part)
    {
        INFO("message: " << s);
        return s.find(part) != std::string::npos;
    }

    // A corpus folder of tones: train (connected and isolated), test; `words` per line.
    void write_corpus(const std::string& d, bool bad_test_wav = false)
    {
        fs::create_directories(d + "/wav");
        std::ostringstream train, iso, test;
        for (int i = 0; i < 6; ++i)
        {
            write_tone(d + "/wav/t" + std::to_string(i) + ".wav", i % 3, 0.3);
            train << "wav/t" << i << ".wav\t" << (i % 3 == 0 ? "oh" : i % 3 == 1 ? "one" : "two") << "\tv1\tconnected\n";
        }
        write_tone(d + "/wav/i0.wav", 1, 0.2);
        iso << "wav/i0.wav\tone\tv1\tisolated\n";
        write_tone(d + "/wav/x0.wav", 2, 0.3);
        test << "wav/x0.wav\ttwo\tv2\tconnected\n";
        if (bad_test_wav)
        {
            write_text(d + "/wav/x1.wav", "not audio");
            test << "wav/x1.wav\tone\tv2\tconnected\n";
        }
        write_text(d + "/train.tsv", train.str());
        write_text(d + "/train_isolated.tsv", iso.str());
        write_text(d + "/test.tsv", test.str());
    }
}

TEST_CASE("digit words map to digits; oh and zero are both 0")
{
    CHECK(xs::digit_of_word("oh") == "0");
    CHECK(xs::digit_of_word("zero") == "0");
    CHECK(xs::digit_of_word("seven") == "7");
    CHECK(xs::digit_of_word("9") == "9");
    CHECK(xs::digit_of_word("ten").empty());
    CHECK(xs::digit_of_word("").empty());
}

TEST_CASE("corpus lists: words to digits, relative paths, and one-line refusals naming the line")
{
    const std::string d = tmp_dir("lists");
    write_text(d + "/ok.tsv", "# comment\nwav/a.wav\tthree Oh five\ten-us+m1\tconnected\n\n/abs/b.wav\tnine\n");
    const auto u = xs::read_corpus_list(d + "/ok.tsv");
    REQUIRE(u.size() == 2);
    CHECK(u[0].digits == std::vector<std::string>{"3", "0", "5"});
    CHECK(u[0].wav == (fs::path(d) / "wav/a.wav").string());
    CHECK(u[0].voice == "en-us+m1");
    CHECK(u[0].source == "ok.tsv:2");
    CHECK(u[1].wav == "/abs/b.wav");

    write_text(d + "/word.tsv", "a.wav\tthree\nb.wav\tthree ten\n");
    CHECK(has(error_of([&] { xs::read_corpus_list(d + "/word.tsv"); }), "word.tsv:2: 'ten' is not a digit word"));
    write_text(d + "/nowords.tsv", "a.wav\n");
    CHECK(has(error_of([&] { xs::read_corpus_list(d + "/nowords.tsv"); }), "nowords.tsv:1: expected wav path<TAB>digit words"));
    write_text(d + "/blank.tsv", "a.wav\t  \n");
    CHECK(has(error_of([&] { xs::read_corpus_list(d + "/blank.tsv"); }), "blank.tsv:1: no digit words"));
    write_text(d + "/empty.tsv", "# nothing\n");
    CHECK(has(error_of([&] { xs::read_corpus_list(d + "/empty.tsv"); }), "no utterances"));
    CHECK(has(error_of([&] { xs::read_corpus_list(d + "/none.tsv"); }), "none.tsv: no such file"));
    CHECK(has(error_of([&] { xs::read_corpus_list(d); }), "not a regular file"));
}

TEST_CASE("stack_frames: stack neighbours side by side, keep every n-th, repeat the last frame past the end")
{
    xf::FeatureMatrix m;
    m.frames = 5;
    m.dims = 2;
    for (std::size_t t = 0; t < 5; ++t)
        m.data.insert(m.data.end(), {float(10 * t), float(10 * t + 1)});
    const auto s = xs::stack_frames(m, 3, 2);
    REQUIRE(s.frames == 3);
    REQUIRE(s.dims == 6);
    CHECK(std::vector<float>(s.row(0), s.row(0) + 6) == std::vector<float>{0, 1, 10, 11, 20, 21});
    CHECK(std::vector<float>(s.row(1), s.row(1) + 6) == std::vector<float>{20, 21, 30, 31, 40, 41});
    CHECK(std::vector<float>(s.row(2), s.row(2) + 6) == std::vector<float>{40, 41, 40, 41, 40, 41});
    const auto same = xs::stack_frames(m, 1, 1);
    CHECK(same.data == m.data);
    CHECK(xs::stack_frames(m, 1, 3).frames == 2);
}

TEST_CASE("the front end equals MFCC -> deltas -> CMVN -> stacking done with the features wing")
{
    xs::FrontendConfig c; // 13 ceps, deltas, cmvn, stack 3, subsample 3
    CHECK(c.dims() == 117);
    xs::Frontend fe(c);
    const auto samples = tone_samples(4, 5000);
    const auto got = fe.compute(samples, "tone");
    xf::FeatureMatrix m = xf::compute_mfcc(samples, c.mfcc_options());
    REQUIRE(m.frames == 29);
    m = xf::compute_deltas(m);
    xf::apply_cmvn(m);
    const auto want = xs::stack_frames(m, 3, 3);
    REQUIRE(got.frames == 10);
    REQUIRE(got.dims == 117);
    CHECK(got.data == want.data);

    xs::FrontendConfig plain;
    plain.delta_order = 0;
    plain.cmvn = false;
    plain.stack = plain.subsample = 1;
    const auto p = xs::Frontend(plain).compute(samples, "tone");
    CHECK(p.data == xf::compute_mfcc(samples, plain.mfcc_options()).data);
}

TEST_CASE("the front end refuses clips shorter than a frame and silence, naming the source")
{
    xs::Frontend fe(xs::FrontendConfig{});
    CHECK(has(error_of([&] { fe.compute(tone_samples(1, 399), "short.wav"); }),
              "short.wav: 399 samples (24.93 ms) is shorter than one 25 ms frame"));
    CHECK(has(error_of([&] { fe.compute(std::vector<float>(16000, 0.0f), "quiet.wav"); }), "quiet.wav: the audio is silent"));
    CHECK(has(error_of([&] { fe.compute(std::vector<float>(16000, 3.0f), "hum.wav"); }), "silent"));
    CHECK(fe.compute(tone_samples(1, 400), "one frame").frames == 1);
}

TEST_CASE("front-end configuration: JSON round trip, ranges named")
{
    xs::FrontendConfig c;
    c.num_ceps = 20;
    c.num_mel_bins = 40;
    c.delta_order = 1;
    c.cmvn = false;
    c.stack = 2;
    c.subsample = 1;
    const auto r = xs::frontend_from_json(xs::frontend_json(c));
    CHECK(xs::frontend_json(r) == xs::frontend_json(c));
    CHECK(r.dims() == 80);
    c.num_ceps = 41;
    CHECK(has(error_of([&] { c.validate(); }), "num_ceps must be at most num_mel_bins (40), got 41"));
    CHECK(has(error_of([&] { xs::frontend_from_json("{\"type\": \"fbank\"}"); }), "not a speech front-end configuration"));
    CHECK(has(error_of([&] { xs::frontend_from_json("[1,"); }), "not a speech front-end configuration"));
    CHECK(has(error_of([&] { xs::frontend_from_json(R"({"type":"mfcc","num_ceps":13,"num_mel_bins":23,"delta_order":2,"cmvn":true,"stack":0,"subsample":1})"); }),
              "stack must be a whole number from 1 to 16, got 0"));
    // a float past int is refused before get_to's cast (undefined behaviour; fuzz_json_config)
    CHECK(has(error_of([&] { xs::frontend_from_json(R"({"type":"mfcc","num_ceps":1e30,"num_mel_bins":23,"delta_order":2,"cmvn":true,"stack":1,"subsample":1})"); }),
              "num_ceps must be a whole number from -2147483648 to 2147483647, got 1e+30"));
}

TEST_CASE("prepare: .npy per utterance equal to the front end, ctc lists of digits, frontend.json; refusals leave nothing")
{
    const std::string d = tmp_dir("prepare");
    write_corpus(d + "/corpus");
    std::size_t last = 0;
    const std::size_t n = xs::prepare_corpus(d + "/corpus", d + "/feat", xs::FrontendConfig{}, 2,
                                             [&](std::size_t done, std::size_t) { last = done; });
    CHECK(n == 8);
    CHECK(last == 8); // counted over all lists
    std::ifstream list(d + "/feat/train.list");
    std::string l1, l7, extra;
    std::getline(list, l1);
    for (int i = 0; i < 6; ++i)
        std::getline(list, l7);
    CHECK(l1 == "npy/train/train_t0.npy\t0");
    CHECK(l7 == "npy/train/train_isolated_i0.npy\t1");
    CHECK(!std::getline(list, extra));
    const auto m = xrnn::seq::read_npy_features(d + "/feat/npy/train/train_t0.npy");
    const auto want = xs::Frontend(xs::FrontendConfig{}).compute_file(d + "/corpus/wav/t0.wav");
    CHECK(m.rows == want.frames);
    CHECK(m.cols == 117);
    CHECK(m.data == want.data);
    CHECK(fs::exists(d + "/feat/test.list"));
    CHECK(!fs::exists(d + "/feat/test_accent.list")); // the corpus has no such list
    CHECK(xs::frontend_from_json([&] {
              std::ifstream f(d + "/feat/frontend.json");
              std::stringstream s;
              s << f.rdbuf();
              return s.str();
          }()).dims() == 117);

    CHECK(has(error_of([&] { xs::prepare_corpus(d + "/corpus", d + "/feat", xs::FrontendConfig{}, 1); }),
              "feat exists; remove it or choose another --out"));
    CHECK(has(error_of([&] { xs::prepare_corpus(d + "/nocorpus", d + "/f2", xs::FrontendConfig{}, 1); }),
              "not a corpus folder"));
    write_corpus(d + "/bad", true);
    CHECK(has(error_of([&] { xs::prepare_corpus(d + "/bad", d + "/f3", xs::FrontendConfig{}, 2); }),
              "test.tsv:2: "));
    CHECK(!fs::exists(d + "/f3"));
    for (const auto& e : fs::directory_iterator(d))
        CHECK_MESSAGE(e.path().filename().string().find(".tmp-") == std::string::npos, "left behind: " << e.path());
}

TEST_CASE("a trained acoustic model carries its front end: recognise WAV files, score a corpus, refuse other models")
{
    const std::string d = tmp_dir("recognizer");
    write_corpus(d + "/corpus");
    xs::prepare_corpus(d + "/corpus", d + "/feat", xs::FrontendConfig{}, 1);
    xrnn::seq::SeqTrainConfig base;
    base.cell = "gru";
    base.hidden_size = 8;
    base.bidirectional = true;
    base.epochs = 3;
    base.batch_size = 4;
    base.threads = 1;
    base.val_fraction = 0.2;
    base.out = d + "/run";
    CHECK(has(error_of([&] { xs::speech_train_config(d + "/corpus", base); }), "not a prepared feature folder"));
    const auto tc = xs::speech_train_config(d + "/feat", base);
    CHECK(tc.task == xrnn::seq::Task::ctc);
    xrnn::seq::SeqTrainer trainer(tc);
    std::ostringstream progress;
    std::atomic<bool> stop{false};
    REQUIRE(trainer.run(progress, stop) == 0);

    xs::Recognizer r(d + "/run/best.ckpt");
    CHECK(r.frontend().dims() == 117);
    const auto digits = r.recognize(d + "/corpus/wav/x0.wav");
    for (const auto& g : digits)
        CHECK((g == "0" || g == "1" || g == "2"));
    CHECK(r.recognize(d + "/corpus/wav/x0.wav", 4).size() <= 10);
    CHECK(has(error_of([&] { r.recognize(d + "/corpus/nothing.wav"); }), "nothing.wav"));

    const auto scores = xs::score_corpus(r, d + "/corpus", 0, 2);
    REQUIRE(scores.size() == 1);
    CHECK(scores[0].split.name == "test");
    CHECK(scores[0].result.count == 1);
    CHECK(scores[0].result.tokens == 1);
    CHECK(scores[0].result.error_rate >= 0);
    CHECK(has(xs::score_report(scores), "held-out voices, connected digits"));
    CHECK(has(xs::score_json(scores), "{\"test\":{\"digit_error_rate\":"));
    CHECK(has(xs::score_json(scores), "\"utts\":1}"));
    CHECK(has(error_of([&] { xs::score_corpus(r, d + "/feat", 0, 1); }), "no test lists"));

    // a ctc model trained by xrnn-seq on bare features has no front end to read WAV with
    auto plain = tc;
    plain.frontend.clear();
    plain.out = d + "/plain";
    xrnn::seq::SeqTrainer t2(plain);
    REQUIRE(t2.run(progress, stop) == 0);
    CHECK(has(error_of([&] { xs::Recognizer(d + "/plain/best.ckpt"); }), "has no speech front end"));
    CHECK(has(error_of([&] { xs::Recognizer(d + "/feat/train.list"); }), "train.list"));
}
