// fbank.cpp -- FbankComputer: mel energies per frame, plus the energy column.
#include "xrnn/features/fbank.hpp"

#include "mel_energies.hpp"

namespace xrnn::features
{
    struct FbankComputer::Impl
    {
        detail::MelEnergies mel;
        std::vector<double> row; // (num_mel_bins,)
        explicit Impl(const FbankOptions& o) : mel(o), row(static_cast<std::size_t>(o.num_mel_bins)) {}
    };

    FbankComputer::FbankComputer(const FbankOptions& opts) : impl_(std::make_unique<Impl>(opts)) {}
    FbankComputer::~FbankComputer() = default;
    FbankComputer::FbankComputer(FbankComputer&&) noexcept = default;
    FbankComputer& FbankComputer::operator=(FbankComputer&&) noexcept = default;

    const FbankOptions& FbankComputer::options() const { return impl_->mel.options(); }

    std::size_t FbankComputer::dims() const
    {
        return static_cast<std::size_t>(options().num_mel_bins) + (options().use_energy ? 1 : 0);
    }

    FeatureMatrix FbankComputer::compute(const float* samples, std::size_t n)
    {
        impl_->mel.begin(n);
        FeatureMatrix out;
        out.frames = impl_->mel.num_frames(n);
        out.dims = dims();
        out.data.resize(out.frames * out.dims);
        const std::size_t bins = impl_->row.size();
        const std::size_t first = options().use_energy ? 1 : 0;
        for (std::size_t t = 0; t < out.frames; ++t)
        {
            const double energy = impl_->mel.frame(samples, n, t, impl_->row.data());
            float* r = out.row(t);
            if (options().use_energy)
                r[0] = static_cast<float>(energy);
            for (std::size_t b = 0; b < bins; ++b)
                r[first + b] = static_cast<float>(impl_->row[b]);
        }
        return out;
    }

    FeatureMatrix compute_fbank(const std::vector<float>& samples, const FbankOptions& opts)
    {
        return FbankComputer(opts).compute(samples);
    }
}
