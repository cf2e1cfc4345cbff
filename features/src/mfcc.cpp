// mfcc.cpp -- MfccComputer: log mel energies -> DCT -> lifter (Kaldi MfccComputer::Compute).
#include "xrnn/features/mfcc.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "mel_energies.hpp"

namespace xrnn::features
{
    namespace
    {
        constexpr double pi = 3.14159265358979323846;

        FbankOptions log_power_fbank(const MfccOptions& m)
        {
            if (m.num_ceps < 1 || m.num_ceps > m.num_mel_bins)
                throw std::invalid_argument("features: num_ceps must be in [1, num_mel_bins = " +
                                            std::to_string(m.num_mel_bins) + "], got " + std::to_string(m.num_ceps));
            if (!(m.cepstral_lifter >= 0))
                throw std::invalid_argument("features: cepstral_lifter must be >= 0");
            FbankOptions f;
            static_cast<FrameOptions&>(f) = m;
            static_cast<MelOptions&>(f) = m;
            static_cast<EnergyOptions&>(f) = m;
            f.use_log_fbank = true;
            f.use_power = true;
            return f;
        }
    }

    std::vector<double> make_dct_matrix(int num_ceps, int num_mel_bins)
    {
        const auto c = static_cast<std::size_t>(num_ceps), m = static_cast<std::size_t>(num_mel_bins);
        std::vector<double> d(c * m);
        for (std::size_t j = 0; j < m; ++j)
            d[j] = std::sqrt(1.0 / num_mel_bins);
        for (std::size_t k = 1; k < c; ++k)
            for (std::size_t j = 0; j < m; ++j)
                d[k * m + j] = std::sqrt(2.0 / num_mel_bins) *
                               std::cos(pi / num_mel_bins * (static_cast<double>(j) + 0.5) * static_cast<double>(k));
        return d;
    }

    std::vector<double> make_lifter(int num_ceps, double cepstral_lifter)
    {
        std::vector<double> l(static_cast<std::size_t>(num_ceps), 1.0);
        if (cepstral_lifter != 0)
            for (std::size_t i = 0; i < l.size(); ++i)
                l[i] = 1.0 + 0.5 * cepstral_lifter * std::sin(pi * static_cast<double>(i) / cepstral_lifter);
        return l;
    }

    struct MfccComputer::Impl
    {
        MfccOptions opts;
        detail::MelEnergies mel;
        std::vector<double> dct;    // (num_ceps, num_mel_bins)
        std::vector<double> lifter; // (num_ceps,)
        std::vector<double> row;    // (num_mel_bins,) log mel energies of one frame
        explicit Impl(const MfccOptions& o)
            : opts(o), mel(log_power_fbank(o)), dct(make_dct_matrix(o.num_ceps, o.num_mel_bins)),
              lifter(make_lifter(o.num_ceps, o.cepstral_lifter)), row(static_cast<std::size_t>(o.num_mel_bins))
        {
        }
    };

    MfccComputer::MfccComputer(const MfccOptions& opts) : impl_(std::make_unique<Impl>(opts)) {}
    MfccComputer::~MfccComputer() = default;
    MfccComputer::MfccComputer(MfccComputer&&) noexcept = default;
    MfccComputer& MfccComputer::operator=(MfccComputer&&) noexcept = default;

    const MfccOptions& MfccComputer::options() const { return impl_->opts; }

    FeatureMatrix MfccComputer::compute(const float* samples, std::size_t n)
    {
        Impl& m = *impl_;
        m.mel.begin(n);
        FeatureMatrix out;
        out.frames = m.mel.num_frames(n);
        out.dims = dims();
        out.data.resize(out.frames * out.dims);
        const std::size_t bins = m.row.size();
        for (std::size_t t = 0; t < out.frames; ++t)
        {
            const double energy = m.mel.frame(samples, n, t, m.row.data());
            float* r = out.row(t);
            for (std::size_t k = 0; k < out.dims; ++k)
            {
                const double* d = m.dct.data() + k * bins;
                double c = 0;
                for (std::size_t j = 0; j < bins; ++j)
                    c += d[j] * m.row[j];
                r[k] = static_cast<float>(c * m.lifter[k]);
            }
            if (m.opts.use_energy)
                r[0] = static_cast<float>(energy);
        }
        return out;
    }

    FeatureMatrix compute_mfcc(const std::vector<float>& samples, const MfccOptions& opts)
    {
        return MfccComputer(opts).compute(samples);
    }
}
