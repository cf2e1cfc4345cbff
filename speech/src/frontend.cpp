// speech/src/frontend.cpp -- see frontend.hpp.
#include "xrnn/speech/frontend.hpp"

#include "xrnn/value_range.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace xrnn::speech
{
    using json = nlohmann::json;
    namespace xf = xrnn::features;

    xf::MfccOptions FrontendConfig::mfcc_options() const
    {
        xf::MfccOptions o; // Kaldi's defaults: 25 ms povey frames every 10 ms, pre-emphasis 0.97, lifter 22
        o.num_ceps = num_ceps;
        o.num_mel_bins = num_mel_bins;
        return o;
    }

    void FrontendConfig::validate() const
    {
        check_range(frontend_range::num_mel_bins, num_mel_bins);
        check_range(frontend_range::num_ceps, num_ceps);
        if (num_ceps > num_mel_bins)
            throw std::invalid_argument("num_ceps must be at most num_mel_bins (" + std::to_string(num_mel_bins)
                                        + "), got " + std::to_string(num_ceps));
        check_range(frontend_range::delta_order, delta_order);
        check_range(frontend_range::stack, stack);
        check_range(frontend_range::subsample, subsample);
    }

    std::string frontend_json(const FrontendConfig& c)
    {
        return json{{"type", "mfcc"}, {"num_ceps", c.num_ceps}, {"num_mel_bins", c.num_mel_bins},
                    {"delta_order", c.delta_order}, {"cmvn", c.cmvn}, {"stack", c.stack}, {"subsample", c.subsample}}
            .dump();
    }

    FrontendConfig frontend_from_json(const std::string& text)
    {
        FrontendConfig c;
        try
        {
            const json j = json::parse(text);
            if (j.value("type", std::string()) != "mfcc")
                throw std::invalid_argument("unknown feature type");
            for (const char* k : {"num_ceps", "num_mel_bins", "delta_order", "stack", "subsample"})
                check_json_fits<int>(j, std::string("/") + k, k); // validate() checks the ranges after
            j.at("num_ceps").get_to(c.num_ceps);
            j.at("num_mel_bins").get_to(c.num_mel_bins);
            j.at("delta_order").get_to(c.delta_order);
            j.at("cmvn").get_to(c.cmvn);
            j.at("stack").get_to(c.stack);
            j.at("subsample").get_to(c.subsample);
        }
        catch (const std::exception& e)
        {
            throw std::invalid_argument(std::string("not a speech front-end configuration (") + e.what() + ")");
        }
        c.validate();
        return c;
    }

    xf::FeatureMatrix stack_frames(const xf::FeatureMatrix& m, int stack, int subsample)
    {
        if (stack == 1 && subsample == 1)
            return m;
        const std::size_t S = std::size_t(stack), sub = std::size_t(subsample), D = m.dims;
        xf::FeatureMatrix out;
        out.frames = (m.frames + sub - 1) / sub;
        out.dims = D * S;
        out.data.resize(out.frames * out.dims);
        for (std::size_t t = 0; t < out.frames; ++t)
            for (std::size_t k = 0; k < S; ++k)
            {
                const float* src = m.row(std::min(t * sub + k, m.frames - 1));
                std::copy(src, src + D, out.row(t) + k * D);
            }
        return out;
    }

    Frontend::Frontend(const FrontendConfig& c) : config_(c)
    {
        c.validate();
        mfcc_ = std::make_unique<xf::MfccComputer>(c.mfcc_options());
    }

    xf::FeatureMatrix Frontend::compute(const std::vector<float>& samples, const std::string& source)
    {
        const xf::MfccOptions& o = mfcc_->options();
        if (xf::num_frames(samples.size(), o) == 0)
            throw xf::DataError(source + ": " + std::to_string(samples.size()) + " samples ("
                                + std::to_string(1000.0 * double(samples.size()) / o.sample_frequency).substr(0, 5)
                                + " ms) is shorter than one " + std::to_string(int(o.frame_length))
                                + " ms frame; nothing to recognise");
        float peak = 0;
        for (float s : samples)
            peak = std::max(peak, std::fabs(s));
        // below 4 int16 steps (-78 dBFS) there is no speech to hear, and the log-mel floor would
        // turn the clip into constant features that CMVN reduces to zeros
        if (peak < 4.0f)
            throw xf::DataError(source + ": the audio is silent (peak amplitude " + std::to_string(int(peak))
                                + " of 32768); nothing to recognise");
        xf::FeatureMatrix m = mfcc_->compute(samples);
        if (config_.delta_order > 0)
        {
            xf::DeltaOptions d;
            d.order = config_.delta_order;
            m = xf::compute_deltas(m, d);
        }
        if (config_.cmvn)
            xf::apply_cmvn(m);
        return stack_frames(m, config_.stack, config_.subsample);
    }

    xf::FeatureMatrix Frontend::compute_file(const std::string& wav_path)
    {
        xf::WavOptions w = xf::wav_options_for(mfcc_->options());
        w.min_samples = 1; // compute() says "shorter than one frame" itself
        return compute(xf::read_wav(wav_path, w).samples, wav_path);
    }
}
