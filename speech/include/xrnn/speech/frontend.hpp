// xrnn/speech/frontend.hpp -- what an acoustic model reads: Kaldi MFCCs (features wing), deltas,
// per-utterance mean normalisation, then frame stacking and subsampling (the "low frame rate"
// input of Sak et al. 2015: `stack` neighbouring frames side by side, every `subsample`-th kept,
// so the recurrent stack runs 1/subsample as many steps).
//
// The configuration travels inside the trained model (as JSON), so that recognising a WAV file
// computes exactly the features the model was trained on.
#ifndef XRNN_SPEECH_FRONTEND_HPP
#define XRNN_SPEECH_FRONTEND_HPP

#include "xrnn/features/features.hpp"
#include "xrnn/value_range.hpp"

#include <cstddef>
#include <memory>
#include <string>

namespace xrnn::speech
{
    struct FrontendConfig
    {
        int num_ceps = 13;
        int num_mel_bins = 23;
        int delta_order = 2;  // 0: MFCCs only; 2: + deltas + delta-deltas
        bool cmvn = true;     // per-utterance mean removal
        int stack = 3;        // frames side by side (1 = none)
        int subsample = 3;    // keep every n-th stacked frame (1 = all)

        std::size_t dims() const { return std::size_t(num_ceps) * std::size_t(delta_order + 1) * std::size_t(stack); }
        double step_ms() const { return 10.0 * subsample; } // one model step
        features::MfccOptions mfcc_options() const;
        void validate() const; // std::invalid_argument naming the option and its valid range
    };
    // The valid values of FrontendConfig's numbers (value_range.hpp), for validate() and the
    // flags of xrnn-speech prepare; num_ceps is also at most num_mel_bins.
    namespace frontend_range
    {
        inline constexpr ValueRange num_ceps{"num_ceps", 1, 256, true};
        inline constexpr ValueRange num_mel_bins{"num_mel_bins", 3, 256, true};
        inline constexpr ValueRange delta_order{"delta_order", 0, 2, true};
        inline constexpr ValueRange stack{"stack", 1, 16, true};
        inline constexpr ValueRange subsample{"subsample", 1, 16, true};
    }
    std::string frontend_json(const FrontendConfig& c);
    FrontendConfig frontend_from_json(const std::string& json); // std::invalid_argument if malformed

    // Frame stacking and subsampling: output step t holds input frames t*subsample .. +stack-1
    // (the last frame repeated past the end); ceil(frames / subsample) steps.
    features::FeatureMatrix stack_frames(const features::FeatureMatrix& m, int stack, int subsample);

    // One per thread (it owns an MfccComputer).
    class Frontend
    {
    public:
        explicit Frontend(const FrontendConfig& c);
        const FrontendConfig& config() const { return config_; }
        // samples on Kaldi's int16 scale (features::read_wav); DataError when shorter than one frame
        features::FeatureMatrix compute(const std::vector<float>& samples, const std::string& source);
        // read_wav (16 kHz mono; DataError naming the file otherwise) + compute
        features::FeatureMatrix compute_file(const std::string& wav_path);

    private:
        FrontendConfig config_;
        std::unique_ptr<features::MfccComputer> mfcc_;
    };
}

#endif
