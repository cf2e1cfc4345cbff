// wav.cpp -- read_wav on libsndfile, with a one-line DataError for each way a file can be wrong.
#include "xrnn/features/wav.hpp"

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
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

        // libsndfile 1.2 can loop (for minutes, or for good) inside sf_open on a LIST chunk whose
        // sizes overrun it (libsndfile issues #873 and #1118; found by tests/fuzz/fuzz_wav with a
        // 63-byte file), so the RIFF/WAVE chunks before 'data' are walked first: a LIST chunk past
        // the end of the file, or a LIST entry past the end of its chunk, refuses the file.
        bool list_chunk_overruns(const std::string& path, std::uint64_t file_size, std::string& detail)
        {
            std::ifstream in(path, std::ios::binary);
            auto read_at = [&](std::uint64_t pos, char* out, std::size_t n) {
                in.clear();
                in.seekg(static_cast<std::streamoff>(pos));
                return static_cast<bool>(in.read(out, static_cast<std::streamsize>(n)));
            };
            auto u32 = [](const char* b) {
                std::uint32_t v = 0;
                for (int i = 3; i >= 0; --i)
                    v = (v << 8) | static_cast<unsigned char>(b[i]);
                return std::uint64_t{v};
            };
            char h[12];
            if (!read_at(0, h, 12) || std::memcmp(h, "RIFF", 4) != 0 || std::memcmp(h + 8, "WAVE", 4) != 0)
                return false; // RIFX, RF64 or not WAV: libsndfile says which
            for (std::uint64_t pos = 12; pos + 8 <= file_size;)
            {
                char c[8];
                if (!read_at(pos, c, 8) || std::memcmp(c, "data", 4) == 0)
                    return false;
                const std::uint64_t end = pos + 8 + u32(c + 4);
                if (std::memcmp(c, "LIST", 4) == 0)
                {
                    if (end > file_size)
                    {
                        detail = "its LIST chunk at byte " + std::to_string(pos) + " declares " + std::to_string(u32(c + 4))
                                 + " bytes, past the end of the file (" + std::to_string(file_size) + " bytes)";
                        return true;
                    }
                    for (std::uint64_t sub = pos + 12; sub + 8 <= end;) // entries after the list type
                    {
                        char e[8];
                        if (!read_at(sub, e, 8))
                            return false;
                        if (sub + 8 + u32(e + 4) > end)
                        {
                            detail = "an entry of its LIST chunk at byte " + std::to_string(sub) + " declares "
                                     + std::to_string(u32(e + 4)) + " bytes, past the end of the chunk";
                            return true;
                        }
                        sub += 8 + u32(e + 4) + (u32(e + 4) & 1);
                    }
                }
                pos = end + (u32(c + 4) & 1); // chunks are padded to even sizes
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
        const std::uint64_t bytes = fs::file_size(path, ec);
        if (bytes == 0)
            fail(path, "is empty (0 bytes), not a WAV file");
        if (std::string overrun; list_chunk_overruns(path, bytes, overrun))
            fail(path, "corrupt WAV file: " + overrun);

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
