// test_features.cpp -- the features wing against torchaudio (fixtures from
// tests/fixtures/make_torchaudio_features.py), and every refused file or option with its message.
//
// Agreement measure, per element with an absolute floor of 1:
//     rel = max_i |ours_i - torchaudio_i| / max(|torchaudio_i|, 1)  <= 1e-4
// (log energies are O(1..30); below 1 in magnitude this is an absolute error). Each case is also
// checked to be non-trivial, and a wrong option must fail the same check.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <sndfile.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "xrnn/features/features.hpp"
#include "xrnn/seq/npy.hpp" // the test's .npy reader only; the wing does not use it

namespace xf = xrnn::features;
using nlohmann::json;

namespace
{
    constexpr double tolerance = 1e-4;
    const std::string fixture_dir = std::string(XRNN_FIXTURES) + "/features";

    std::string read_bytes(const std::string& path)
    {
        std::ifstream f(path, std::ios::binary);
        REQUIRE_MESSAGE(f, "cannot open " << path);
        std::ostringstream s;
        s << f.rdbuf();
        return s.str();
    }

    struct Expected
    {
        std::vector<double> values; // (frames, dims) row-major
        std::size_t frames = 0, dims = 0;
    };

    Expected read_expected(const std::string& file)
    {
        const auto a = xrnn::seq::parse_npy(read_bytes(fixture_dir + "/" + file), file);
        REQUIRE(a.descr == "<f8");
        REQUIRE(a.shape.size() == 2);
        return {a.values, a.shape[0], a.shape[1]};
    }

    double max_rel_diff(const xf::FeatureMatrix& got, const Expected& want)
    {
        double worst = 0;
        for (std::size_t i = 0; i < want.values.size(); ++i)
        {
            const double b = want.values[i];
            worst = std::max(worst, std::abs(static_cast<double>(got.data[i]) - b) / std::max(std::abs(b), 1.0));
        }
        return worst;
    }

    xf::FeatureMatrix as_matrix(const Expected& e)
    {
        xf::FeatureMatrix m;
        m.frames = e.frames;
        m.dims = e.dims;
        m.data.assign(e.values.begin(), e.values.end()); // rounded to float, as the script's input is
        return m;
    }

    // Options shared by fbank and mfcc, under torchaudio's names.
    template <class Options>
    bool set_common(Options& o, const std::string& key, const json& v)
    {
        if (key == "num_mel_bins") o.num_mel_bins = v.get<int>();
        else if (key == "window_type") o.window_type = xf::window_type_from_name(v.get<std::string>());
        else if (key == "use_energy") o.use_energy = v.get<bool>();
        else if (key == "raw_energy") o.raw_energy = v.get<bool>();
        else if (key == "energy_floor") o.energy_floor = v.get<double>();
        else if (key == "snip_edges") o.snip_edges = v.get<bool>();
        else if (key == "low_freq") o.low_freq = v.get<double>();
        else if (key == "high_freq") o.high_freq = v.get<double>();
        else if (key == "round_to_power_of_two") o.round_to_power_of_two = v.get<bool>();
        else if (key == "remove_dc_offset") o.remove_dc_offset = v.get<bool>();
        else if (key == "preemphasis_coefficient") o.preemphasis_coefficient = v.get<double>();
        else return false;
        return true;
    }

    xf::FbankOptions fbank_options(const json& opts)
    {
        xf::FbankOptions o;
        for (const auto& [key, v] : opts.items())
        {
            if (set_common(o, key, v)) continue;
            else if (key == "use_log_fbank") o.use_log_fbank = v.get<bool>();
            else if (key == "use_power") o.use_power = v.get<bool>();
            else FAIL("fixture option not mapped: " << key);
        }
        return o;
    }

    xf::MfccOptions mfcc_options(const json& opts)
    {
        xf::MfccOptions o;
        for (const auto& [key, v] : opts.items())
        {
            if (set_common(o, key, v)) continue;
            else if (key == "num_ceps") o.num_ceps = v.get<int>();
            else if (key == "cepstral_lifter") o.cepstral_lifter = v.get<double>();
            else FAIL("fixture option not mapped: " << key);
        }
        return o;
    }

    const json& cases()
    {
        static const json j = json::parse(read_bytes(fixture_dir + "/cases.json"));
        return j.at("cases");
    }

    const json& case_named(const std::string& name)
    {
        for (const auto& c : cases())
            if (c.at("name") == name)
                return c;
        FAIL("no fixture case " << name);
        static const json none;
        return none;
    }

    xf::FeatureMatrix compute_case(const json& c)
    {
        const std::string kind = c.at("kind");
        if (kind == "fbank")
            return xf::fbank_from_wav(fixture_dir + "/" + c.at("wav").get<std::string>(), fbank_options(c.at("options")));
        if (kind == "mfcc")
            return xf::mfcc_from_wav(fixture_dir + "/" + c.at("wav").get<std::string>(), mfcc_options(c.at("options")));
        const xf::FeatureMatrix input = as_matrix(read_expected(case_named(c.at("input")).at("expected")));
        const json& o = c.at("options");
        if (kind == "deltas")
        {
            xf::DeltaOptions d;
            d.order = o.at("order");
            d.window = o.at("window");
            d.edges = o.at("edges") == "kaldi" ? xf::DeltaEdges::kaldi : xf::DeltaEdges::torchaudio;
            return xf::compute_deltas(input, d);
        }
        REQUIRE(kind == "cmvn");
        xf::FeatureMatrix m = input;
        xf::CmvnOptions cm;
        cm.norm_vars = o.at("norm_vars");
        xf::apply_cmvn(m, cm);
        return m;
    }

    // --------------------------------------------------------------------------------------------
    // Files for the refusal tests.

    std::string tmp_dir(const std::string& name)
    {
        const auto d = std::filesystem::path(XRNN_TEST_TMP) / ("features_" + name);
        std::filesystem::remove_all(d);
        std::filesystem::create_directories(d);
        return d.string();
    }

    void write_sound(const std::string& path, int format, int channels, int rate, std::size_t frames)
    {
        SF_INFO info{};
        info.format = format;
        info.channels = channels;
        info.samplerate = rate;
        SNDFILE* f = sf_open(path.c_str(), SFM_WRITE, &info);
        REQUIRE_MESSAGE(f, "libsndfile cannot write " << path << ": " << sf_strerror(nullptr));
        std::vector<short> s(frames * static_cast<std::size_t>(channels));
        for (std::size_t i = 0; i < s.size(); ++i)
            s[i] = static_cast<short>((i * 37) % 2000 - 1000);
        CHECK(sf_writef_short(f, s.data(), static_cast<sf_count_t>(frames)) == static_cast<sf_count_t>(frames));
        sf_close(f);
    }

    void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

    template <class F>
    std::string data_error_of(F&& f)
    {
        try
        {
            f();
        }
        catch (const xf::DataError& e)
        {
            return e.what();
        }
        FAIL("no DataError thrown");
        return "";
    }

    template <class F>
    std::string invalid_argument_of(F&& f)
    {
        try
        {
            f();
        }
        catch (const std::invalid_argument& e)
        {
            return e.what();
        }
        FAIL("no std::invalid_argument thrown");
        return "";
    }

    bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}

TEST_SUITE("features")
{
    TEST_CASE("features: every fixture case equals torchaudio within 1e-4")
    {
        REQUIRE(cases().size() >= 40);
        std::map<std::string, double> worst_by_set; // option set -> largest rel diff over clips
        for (const auto& c : cases())
        {
            const std::string name = c.at("name");
            CAPTURE(name);
            const Expected want = read_expected(c.at("expected"));
            REQUIRE(want.frames == c.at("frames").get<std::size_t>());
            REQUIRE(want.frames >= 1);
            const xf::FeatureMatrix got = compute_case(c);
            REQUIRE(got.frames == want.frames);
            REQUIRE(got.dims == want.dims);
            REQUIRE(got.data.size() == want.values.size());
            for (float v : got.data)
                REQUIRE(std::isfinite(v));

            // non-trivial: the reference varies (silence is checked against its exact value below)
            const auto [lo, hi] = std::minmax_element(want.values.begin(), want.values.end());
            if (!contains(name, "silence"))
                CHECK_MESSAGE(*hi - *lo > 0.5, name << " fixture is nearly constant");

            const double rel = max_rel_diff(got, want);
            CHECK_MESSAGE(rel <= tolerance, name << ": max rel diff " << rel);
            const std::string set = name.substr(name.find('.') + 1);
            worst_by_set[set] = std::max(worst_by_set[set], rel);
        }
        for (const auto& [set, rel] : worst_by_set)
            MESSAGE(set << ": max rel diff vs torchaudio " << rel);
    }

    TEST_CASE("features: the comparison fails for a wrong option or a small error")
    {
        const json& c = case_named("tones_noise.fbank.default");
        const Expected want = read_expected(c.at("expected"));
        xf::FbankOptions o;
        o.window_type = xf::WindowType::hamming;
        const auto hamming = xf::fbank_from_wav(fixture_dir + "/tones_noise.wav", o);
        CHECK(max_rel_diff(hamming, want) > 100 * tolerance);
        o = {};
        o.low_freq = 25;
        CHECK(max_rel_diff(xf::fbank_from_wav(fixture_dir + "/tones_noise.wav", o), want) > 10 * tolerance);

        xf::FeatureMatrix right = xf::fbank_from_wav(fixture_dir + "/tones_noise.wav");
        CHECK(max_rel_diff(right, want) <= tolerance);
        right.data[right.data.size() / 2] *= 1.001f; // log-mel ~10-25: a 1e-2..2.5e-2 error
        CHECK(max_rel_diff(right, want) > tolerance);
    }

    TEST_CASE("features: silence gives log(FLT_EPSILON), finite, not -inf")
    {
        const double floor = std::log(static_cast<double>(FLT_EPSILON));
        CHECK(xf::log_floor == static_cast<double>(FLT_EPSILON));
        xf::FbankOptions o;
        o.use_energy = true;
        const auto f = xf::fbank_from_wav(fixture_dir + "/silence.wav", o);
        REQUIRE(f.frames == 18);
        for (float v : f.data)
            CHECK(v == doctest::Approx(floor).epsilon(1e-7));
        // torchaudio's fixture holds the same constant
        const Expected want = read_expected("silence.fbank.energy.npy");
        for (double v : want.values)
            CHECK(v == doctest::Approx(floor).epsilon(1e-12));

        // all-zero samples given directly, and with energy_floor = 1: log(1) = 0 on the energy column
        o.energy_floor = 1.0;
        const auto g = xf::compute_fbank(std::vector<float>(800, 0.0f), o);
        CHECK(g.frames == 3);
        CHECK(g(0, 0) == 0.0f);
        CHECK(g(2, 5) == doctest::Approx(floor));

        // dither makes silence non-degenerate, reproducibly for a seed
        xf::MfccOptions m;
        m.dither = 1.0;
        const std::vector<float> zeros(1600, 0.0f);
        const auto d1 = xf::compute_mfcc(zeros, m), d2 = xf::compute_mfcc(zeros, m);
        CHECK(d1.data == d2.data);
        m.dither_seed = 7;
        CHECK(xf::compute_mfcc(zeros, m).data != d1.data);
        for (float v : d1.data)
            CHECK(std::isfinite(v));
        xf::FbankOptions fd;
        fd.dither = 1.0;
        CHECK(xf::compute_fbank(zeros, fd)(0, 0) > floor + 5);
    }

    TEST_CASE("features: WAV samples are on Kaldi's int16 scale")
    {
        const xf::Waveform w = xf::read_wav(fixture_dir + "/loud.wav");
        CHECK(w.sample_rate == 16000);
        CHECK(w.channels == 1);
        REQUIRE(w.samples.size() == 4800);
        CHECK(*std::min_element(w.samples.begin(), w.samples.end()) == -32768.0f);
        CHECK(*std::max_element(w.samples.begin(), w.samples.end()) == 32767.0f);
        for (float s : w.samples)
            CHECK(s == std::round(s));
        CHECK(xf::read_wav(fixture_dir + "/one_frame.wav").samples.size() == 400);
    }

    TEST_CASE("features: computers are reusable and agree with the free functions")
    {
        const auto w = xf::read_wav(fixture_dir + "/chirp.wav");
        xf::MfccOptions o;
        o.use_energy = true;
        xf::MfccComputer mc(o);
        const auto a = mc.compute(w.samples);
        const auto b = mc.compute(w.samples);
        CHECK(a.data == b.data);
        CHECK(a.data == xf::compute_mfcc(w.samples, o).data);
        CHECK(mc.dims() == 13);
        xf::FbankComputer fc(xf::FbankOptions{});
        CHECK(fc.dims() == 23);
        CHECK(fc.compute(w.samples).frames == xf::num_frames(w.samples.size(), fc.options()));
    }

    TEST_CASE("features: frame arithmetic")
    {
        xf::FrameOptions o;
        CHECK(xf::window_size(o) == 400);
        CHECK(xf::window_shift(o) == 160);
        CHECK(xf::padded_window_size(o) == 512);
        CHECK(xf::num_frames(399, o) == 0);
        CHECK(xf::num_frames(400, o) == 1);
        CHECK(xf::num_frames(720, o) == 3);
        CHECK(xf::num_frames(16000, o) == 98);
        o.snip_edges = false;
        CHECK(xf::num_frames(16000, o) == 100);
        CHECK(xf::num_frames(720, o) == 5);
        o.round_to_power_of_two = false;
        CHECK(xf::padded_window_size(o) == 400);
    }

    TEST_CASE("features: deltas on tiny inputs and CMVN on a constant column")
    {
        xf::FeatureMatrix one;
        one.frames = 1;
        one.dims = 2;
        one.data = {3.0f, -1.0f};
        const auto d = xf::compute_deltas(one);
        REQUIRE(d.dims == 6);
        CHECK(d(0, 0) == 3.0f);
        CHECK(d(0, 1) == -1.0f);
        for (std::size_t k = 2; k < 6; ++k) // n (c - c) summed in floating point: ~1e-16, not 0
            CHECK(std::abs(d(0, k)) < 1e-6f);
        xf::FeatureMatrix none;
        none.dims = 4;
        CHECK(xf::compute_deltas(none).frames == 0);
        CHECK(xf::compute_deltas(none).dims == 12);

        xf::FeatureMatrix m;
        m.frames = 3;
        m.dims = 2;
        m.data = {5.f, 1.f, 5.f, 2.f, 5.f, 3.f};
        xf::CmvnOptions c;
        c.norm_vars = true;
        xf::apply_cmvn(m, c);
        CHECK(m(0, 0) == 0.0f);
        CHECK(m(2, 0) == 0.0f);
        CHECK(m(0, 1) == doctest::Approx(-std::sqrt(1.5)));
        CHECK(m(2, 1) == doctest::Approx(std::sqrt(1.5)));
    }

    TEST_CASE("features: refused files name the file and the problem")
    {
        const std::string d = tmp_dir("bad_files");
        const int wav16 = SF_FORMAT_WAV | SF_FORMAT_PCM_16;

        std::string e = data_error_of([&] { xf::read_wav(d + "/missing.wav"); });
        CHECK(contains(e, "missing.wav"));
        CHECK(contains(e, "no such file"));

        e = data_error_of([&] { xf::read_wav(d); });
        CHECK(contains(e, "is a directory"));

        write_text(d + "/empty.wav", "");
        e = data_error_of([&] { xf::read_wav(d + "/empty.wav"); });
        CHECK(contains(e, "empty.wav"));
        CHECK(contains(e, "is empty (0 bytes)"));

        write_text(d + "/text.wav", "this is not audio, just some text in a file\n");
        e = data_error_of([&] { xf::read_wav(d + "/text.wav"); });
        CHECK(contains(e, "text.wav: not a readable WAV file"));

        write_sound(d + "/tone.aiff", SF_FORMAT_AIFF | SF_FORMAT_PCM_16, 1, 16000, 1000);
        e = data_error_of([&] { xf::read_wav(d + "/tone.aiff"); });
        CHECK(contains(e, "tone.aiff: is AIFF"));
        CHECK(contains(e, "not WAV"));

        // header intact, data chunk cut: libsndfile would read it silently
        write_sound(d + "/cut.wav", wav16, 1, 16000, 2000);
        std::filesystem::resize_file(d + "/cut.wav", 44 + 1000);
        e = data_error_of([&] { xf::read_wav(d + "/cut.wav"); });
        CHECK(contains(e, "cut.wav: truncated WAV file"));
        CHECK(contains(e, "declares 4000 bytes but only 1000"));
        // cut inside the header
        write_sound(d + "/cut_header.wav", wav16, 1, 16000, 2000);
        std::filesystem::resize_file(d + "/cut_header.wav", 30);
        e = data_error_of([&] { xf::read_wav(d + "/cut_header.wav"); });
        CHECK(contains(e, "cut_header.wav: not a readable WAV file"));
        // a LIST chunk past the end of the file: libsndfile 1.2's sf_open looped on it (fuzz_wav,
        // libsndfile issues #873 and #1118); refused before libsndfile opens it
        const std::string hang = std::string("RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0\xf2\xe9\0\x80\x3e\x02\0\0\x7d\0", 32)
                                 + std::string("\0\x02\0\x10LIST\0data", 13) + std::string(11, '\xff') + '\xf7'
                                 + std::string(5, '\xff') + '\0';
        write_text(d + "/list.wav", hang);
        e = data_error_of([&] { xf::read_wav(d + "/list.wav"); });
        CHECK(contains(e, "list.wav: corrupt WAV file: its LIST chunk at byte 36 declares 1952539648 bytes, past the end"));
        // a well-formed LIST chunk (INFO with a title) reads as before
        write_sound(d + "/titled.wav", wav16, 1, 16000, 1000);
        std::ifstream in(d + "/titled.wav", std::ios::binary);
        std::string titled{std::istreambuf_iterator<char>(in), {}};
        const std::string list("LIST\x12\0\0\0INFOINAM\x06\0\0\0hello\0", 26);
        titled.insert(titled.find("data"), list);
        titled[4] = static_cast<char>(titled[4] + 26); // the RIFF size (small: no carry)
        write_text(d + "/titled.wav", titled);
        CHECK(xf::read_wav(d + "/titled.wav").samples.size() == 1000);

        write_sound(d + "/stereo.wav", wav16, 2, 16000, 1000);
        e = data_error_of([&] { xf::read_wav(d + "/stereo.wav"); });
        CHECK(contains(e, "stereo.wav: has 2 channels"));
        CHECK(contains(e, "only mono"));

        write_sound(d + "/rate8k.wav", wav16, 1, 8000, 1000);
        e = data_error_of([&] { xf::read_wav(d + "/rate8k.wav"); });
        CHECK(contains(e, "rate8k.wav: sample rate is 8000 Hz, expected 16000 Hz"));
        xf::WavOptions any_rate;
        any_rate.sample_rate = 0;
        CHECK(xf::read_wav(d + "/rate8k.wav", any_rate).sample_rate == 8000);

        write_sound(d + "/no_samples.wav", wav16, 1, 16000, 0);
        e = data_error_of([&] { xf::read_wav(d + "/no_samples.wav"); });
        CHECK(contains(e, "no_samples.wav: has no samples"));

        write_sound(d + "/short.wav", wav16, 1, 16000, 399);
        CHECK(xf::read_wav(d + "/short.wav").samples.size() == 399);
        e = data_error_of([&] { xf::mfcc_from_wav(d + "/short.wav"); });
        CHECK(contains(e, "short.wav: only 399 samples; at least 400 are needed (one whole feature frame)"));
        e = data_error_of([&] { xf::fbank_from_wav(d + "/short.wav"); });
        CHECK(contains(e, "only 399 samples"));
        // the same without a file
        e = data_error_of([&] { xf::compute_fbank(std::vector<float>(399, 1.0f)); });
        CHECK(contains(e, "399 samples is shorter than one frame (400 samples"));
        xf::FbankOptions no_snip;
        no_snip.snip_edges = false;
        CHECK_THROWS_AS(xf::compute_fbank(std::vector<float>(399, 1.0f), no_snip), xf::DataError);
    }

    TEST_CASE("features: bad options are std::invalid_argument naming the option")
    {
        CHECK(contains(invalid_argument_of([] { xf::window_type_from_name("hann"); }),
                       "unknown window_type 'hann' (valid: hamming, hanning, povey, rectangular, blackman)"));
        xf::FbankOptions f;
        f.num_mel_bins = 2;
        CHECK(contains(invalid_argument_of([&] { xf::FbankComputer c(f); }), "num_mel_bins must be >= 3"));
        f = {};
        f.num_mel_bins = 200; // the lowest triangles fall between FFT bins of a 512-point FFT
        CHECK(contains(invalid_argument_of([&] { xf::FbankComputer c(f); }), "num_mel_bins is too large"));
        f = {};
        f.high_freq = 9000;
        CHECK(contains(invalid_argument_of([&] { xf::FbankComputer c(f); }), "bad low_freq"));
        f = {};
        f.high_freq = -7990;
        CHECK(contains(invalid_argument_of([&] { xf::FbankComputer c(f); }), "need 0 <= low < high"));
        f = {};
        f.preemphasis_coefficient = 1.5;
        CHECK(contains(invalid_argument_of([&] { xf::FbankComputer c(f); }), "preemphasis_coefficient"));
        f = {};
        f.frame_length = 25.0625; // 401 samples
        f.round_to_power_of_two = false;
        CHECK(contains(invalid_argument_of([&] { xf::FbankComputer c(f); }), "FFT length 401 is odd"));
        xf::MfccOptions m;
        m.num_ceps = 24;
        CHECK(contains(invalid_argument_of([&] { xf::MfccComputer c(m); }), "num_ceps must be in [1, num_mel_bins = 23]"));
        xf::DeltaOptions d;
        d.window = 0;
        CHECK(contains(invalid_argument_of([&] { xf::compute_deltas(xf::FeatureMatrix{}, d); }), "window >= 1"));
        xf::FeatureMatrix x;
        xf::CmvnOptions c;
        c.norm_means = false;
        c.norm_vars = true;
        CHECK(contains(invalid_argument_of([&] { xf::apply_cmvn(x, c); }), "without means"));
    }
}
