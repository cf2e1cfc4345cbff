// wav.cpp -- read_wav on libsndfile, with a one-line DataError for each way a file can be wrong.
#include "xrnn/features/wav.hpp"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <sstream>
#include <system_error>

#include <sndfile.h>

namespace xrnn::features
{
    namespace
    {
        [[noreturn]] void fail(const std::string& path, const std::string& what)
        {
            throw DataError(path + ": " + what);
        }

        struct SndfileCloser
        {
            void operator()(SNDFILE* f) const { sf_close(f); }
        };

        std::string format_name(int format)
        {
            SF_FORMAT_INFO info{};
            info.format = format & SF_FORMAT_TYPEMASK;
            if (sf_command(nullptr, SFC_GET_FORMAT_INFO, &info, sizeof info) == 0 && info.name)
                return info.name;
            return "an unknown format";
        }

        // libsndfile opens a WAV whose data chunk is cut short and silently reads what is there;
        // its log is the only place that says so: "data : 1600 (should be 956)".
        bool data_chunk_truncated(SNDFILE* f, std::string& detail)
        {
            char log[4096] = {};
            sf_command(f, SFC_GET_LOG_INFO, log, sizeof log);
            std::istringstream lines(log);
            for (std::string line; std::getline(lines, line);)
            {
                if (line.rfind("data : ", 0) != 0)
                    continue;
                const auto should = line.find("(should be ");
                if (should == std::string::npos)
                    return false;
                const unsigned long long declared = std::strtoull(line.c_str() + 7, nullptr, 10);
                const unsigned long long actual = std::strtoull(line.c_str() + should + 11, nullptr, 10);
                // 0 and 0xFFFFFFFF are what streaming writers put when the length is unknown
                if (declared <= actual || declared == 0xFFFFFFFFull)
                    return false;
                detail = "its data chunk declares " + std::to_string(declared) + " bytes but only " +
                         std::to_string(actual) + " are in the file";
                return true;
            }
            return false;
        }
    }

    Waveform read_wav(const std::string& path, const WavOptions& opts)
    {
        namespace fs = std::filesystem;
        std::error_code ec;
        const fs::file_status st = fs::status(path, ec);
        if (!fs::exists(st))
            fail(path, "no such file");
        if (fs::is_directory(st))
            fail(path, "is a directory, not a WAV file");
        if (!fs::is_regular_file(st)) // a FIFO or device would block the read or never end
            fail(path, "is not a regular file (a FIFO, device or socket); give a WAV file");
        if (fs::file_size(path, ec) == 0)
            fail(path, "is empty (0 bytes), not a WAV file");

        SF_INFO info{};
        std::unique_ptr<SNDFILE, SndfileCloser> f(sf_open(path.c_str(), SFM_READ, &info));
        if (!f)
            fail(path, std::string("not a readable WAV file (libsndfile: ") + sf_strerror(nullptr) + ")");
        const int type = info.format & SF_FORMAT_TYPEMASK;
        if (type != SF_FORMAT_WAV && type != SF_FORMAT_WAVEX && type != SF_FORMAT_RF64)
            fail(path, "is " + format_name(info.format) + ", not WAV; convert it to WAV first");
        std::string truncation;
        if (data_chunk_truncated(f.get(), truncation))
            fail(path, "truncated WAV file: " + truncation);
        if (info.channels != 1)
            fail(path, "has " + std::to_string(info.channels) + " channels; only mono (1 channel) is supported, "
                       "downmix or pick a channel first");
        if (opts.sample_rate != 0 && info.samplerate != opts.sample_rate)
            fail(path, "sample rate is " + std::to_string(info.samplerate) + " Hz, expected " +
                           std::to_string(opts.sample_rate) + " Hz (no resampling here; resample the file)");
        if (info.frames <= 0)
            fail(path, "has no samples (an empty WAV)");
        const auto n = static_cast<std::size_t>(info.frames);
        if (n < opts.min_samples)
            fail(path, "only " + std::to_string(n) + " samples; at least " + std::to_string(opts.min_samples) +
                           " are needed (one whole feature frame)");

        Waveform w;
        w.sample_rate = info.samplerate;
        w.channels = info.channels;
        w.samples.resize(n);
        // normalised reads give int16 / 32768 exactly; times 32768 is Kaldi's scale
        const sf_count_t got = sf_readf_float(f.get(), w.samples.data(), info.frames);
        if (got != info.frames)
            fail(path, "truncated WAV file: read " + std::to_string(got) + " of " + std::to_string(info.frames) +
                           " samples");
        for (float& s : w.samples)
            s *= 32768.0f;
        return w;
    }
}
