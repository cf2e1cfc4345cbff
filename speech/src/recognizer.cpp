// speech/src/recognizer.cpp -- see recognizer.hpp.
#include "xrnn/speech/recognizer.hpp"

#include "xrnn/checkpoint.hpp"
#include "xrnn/ctc.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>

namespace xrnn::speech
{
    namespace fs = std::filesystem;
    using json = nlohmann::json;
    using seq::DataError;

    seq::SeqTrainConfig speech_train_config(const std::string& dir, seq::SeqTrainConfig c)
    {
        const fs::path list = fs::path(dir) / "train.list", fe = fs::path(dir) / "frontend.json";
        std::error_code ec;
        if (!fs::is_regular_file(list, ec) || !fs::is_regular_file(fe, ec))
            throw DataError(dir + ": not a prepared feature folder (it needs train.list and frontend.json; make it with "
                                  "xrnn-speech prepare --corpus CORPUS --out " + dir + ")");
        std::ifstream in(fe);
        std::stringstream text;
        text << in.rdbuf();
        try
        {
            c.frontend = frontend_json(frontend_from_json(text.str())); // validated, normalised
        }
        catch (const std::invalid_argument& e)
        {
            throw DataError(fe.string() + ": " + e.what());
        }
        c.train = list.string();
        c.task = seq::Task::ctc;
        c.input = "none";
        return c;
    }

    namespace
    {
        seq::SavedModel load_ctc(const std::string& path)
        {
            seq::SavedModel s = seq::load_model(path);
            if (s.model->config().task != seq::Task::ctc)
                throw CheckpointError(path + ": a " + std::string(seq::task_name(s.model->config().task))
                                      + " model, not a ctc acoustic model (train one with xrnn-speech train)");
            return s;
        }

        FrontendConfig frontend_of(const seq::SavedModel& s, const std::string& path)
        {
            const json meta = json::parse(s.meta_json);
            if (!meta.contains("train_config") || !meta["train_config"].contains("frontend"))
                throw CheckpointError(path + ": this ctc model has no speech front end (it was trained on features "
                                             "by xrnn-seq, not by xrnn-speech train); recognise its .npy features "
                                             "with xrnn-seq predict");
            const FrontendConfig fc = frontend_from_json(meta["train_config"]["frontend"].dump());
            if (fc.dims() != s.model->config().features)
                throw CheckpointError(path + ": its front end makes " + std::to_string(fc.dims())
                                      + " features per step but the model reads "
                                      + std::to_string(s.model->config().features));
            return fc;
        }
    }

    Recognizer::Recognizer(const std::string& path)
        : saved_(load_ctc(path)), frontend_(frontend_of(saved_, path)), front_(frontend_)
    {
    }

    std::vector<std::string> Recognizer::recognize(const std::string& wav_path, std::size_t beam)
    {
        features::FeatureMatrix m;
        try
        {
            m = front_.compute_file(wav_path);
        }
        catch (const features::DataError& e)
        {
            throw DataError(e.what());
        }
        seq::Dataset d;
        d.task = seq::Task::ctc;
        d.features = m.dims;
        d.outputs = saved_.model->config().outputs;
        d.items.resize(1);
        d.items[0].x = std::move(m.data);
        d.items[0].steps = m.frames;
        if (!saved_.standardizer.mean.empty())
            saved_.standardizer.apply(d);
        Tensor3<float> x({m.frames, 1, m.dims});
        std::copy(d.items[0].x.begin(), d.items[0].x.end(), x.data());
        auto& model = *saved_.model;
        model.set_training(false);
        model.forward(x, {}, nullptr);
        const std::size_t C = model.config().outputs;
        const auto decoded = beam > 0 ? ctc_beam_search(model.outputs().data(), nullptr, m.frames, 1, C, beam, 0)
                                      : ctc_greedy_decode(model.outputs().data(), nullptr, m.frames, 1, C, 0);
        std::vector<std::string> out;
        for (auto k : decoded[0])
            out.push_back(saved_.classes.name(std::size_t(k - 1)));
        return out;
    }

    seq::EvalResult Recognizer::score(const std::vector<Utterance>& utts, std::size_t beam, int threads,
                                      const Progress& progress)
    {
        seq::Dataset d = utterance_dataset(utts, frontend_, &saved_.classes, threads, progress);
        if (!saved_.standardizer.mean.empty())
            saved_.standardizer.apply(d);
        return seq::evaluate(*saved_.model, d, 64, beam);
    }

    std::vector<SplitScore> score_corpus(Recognizer& r, const std::string& corpus_dir, std::size_t beam, int threads,
                                         const Progress& progress)
    {
        std::vector<SplitScore> out;
        std::error_code ec;
        if (!fs::is_directory(corpus_dir, ec))
            throw DataError(corpus_dir + ": not a corpus folder (scripts/make_digits.py makes one)");
        for (const auto& s : test_splits())
        {
            const fs::path list = fs::path(corpus_dir) / (s.name + ".tsv");
            if (!fs::exists(list, ec))
                continue;
            const auto t0 = std::chrono::steady_clock::now();
            SplitScore sc{s, r.score(read_corpus_list(list.string()), beam, threads, progress), 0};
            sc.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
            out.push_back(sc);
        }
        if (out.empty())
            throw DataError(corpus_dir + ": no test lists (test.tsv, test_isolated.tsv, test_accent.tsv, "
                                         "test_accent_isolated.tsv)");
        return out;
    }

    std::string score_report(const std::vector<SplitScore>& scores)
    {
        std::ostringstream os;
        char line[256];
        std::snprintf(line, sizeof line, "%-36s %6s %7s %12s %11s\n", "test set", "utts", "digits", "digit error",
                      "string acc");
        os << line;
        for (const auto& s : scores)
        {
            std::snprintf(line, sizeof line, "%-36s %6zu %7zu %11.2f%% %10.2f%%\n", s.split.title.c_str(),
                          s.result.count, s.result.tokens, 100 * s.result.error_rate, 100 * s.result.accuracy);
            os << line;
        }
        return os.str();
    }

    std::string score_json(const std::vector<SplitScore>& scores)
    {
        json j = json::object();
        for (const auto& s : scores)
            j[s.split.name] = {{"title", s.split.title}, {"utts", s.result.count}, {"digits", s.result.tokens},
                               {"digit_error_rate", s.result.error_rate}, {"string_accuracy", s.result.accuracy},
                               {"loss", std::isfinite(s.result.loss) ? json(s.result.loss) : json(nullptr)},
                               {"seconds", s.seconds}};
        return j.dump();
    }
}
