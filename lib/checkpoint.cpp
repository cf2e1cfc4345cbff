// lib/checkpoint.cpp -- see checkpoint.hpp.
#include "xrnn/checkpoint.hpp"

#include "xrnn/input_file.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace xrnn
{
    namespace
    {
        constexpr char kMagic[8] = {'X', 'R', 'N', 'N', 'C', 'K', 'P', 'T'};

        template <class V>
        void put(std::string& out, V v)
        {
            char b[sizeof(V)];
            std::memcpy(b, &v, sizeof(V));
            out.append(b, sizeof(V));
        }

        // Bounds-checked reader over the file's bytes.
        struct Reader
        {
            const std::string& buf;
            std::size_t pos;
            const std::string& path;
            std::size_t file_size; // for messages: buf may be the file less its checksum

            [[noreturn]] void truncated(const char* what) const
            {
                throw CheckpointError("xrnn: checkpoint '" + path + "' is truncated (ends inside " + what + ", "
                                      + std::to_string(file_size) + " bytes)");
            }
            template <class V>
            V get(const char* what)
            {
                if (buf.size() - pos < sizeof(V))
                    truncated(what);
                V v;
                std::memcpy(&v, buf.data() + pos, sizeof(V));
                pos += sizeof(V);
                return v;
            }
            std::string bytes(std::uint64_t n, const char* what)
            {
                if (buf.size() - pos < n)
                    truncated(what);
                std::string s = buf.substr(pos, n);
                pos += n;
                return s;
            }
        };

        std::string errno_text() { return std::strerror(errno); }

        std::string where(const Checkpoint& c) { return c.path.empty() ? "checkpoint" : "checkpoint '" + c.path + "'"; }

        bool known(std::uint32_t dtype) { return dtype <= static_cast<std::uint32_t>(DType::uint64); }
    }

    std::uint64_t fnv1a(const void* data, std::size_t n)
    {
        const auto* p = static_cast<const unsigned char*>(data);
        std::uint64_t h = 1469598103934665603ull;
        for (std::size_t i = 0; i < n; ++i)
        {
            h ^= p[i];
            h *= 1099511628211ull;
        }
        return h;
    }

    std::string dtype_name(DType d)
    {
        return d == DType::float32 ? "float32" : (d == DType::float64 ? "float64" : "uint64");
    }
    std::size_t dtype_size(DType d) { return d == DType::float32 ? 4 : 8; }

    bool Checkpoint::has(const std::string& name) const
    {
        for (const auto& t : tensors)
            if (t.first == name)
                return true;
        return false;
    }

    template <class T>
    std::vector<T> Checkpoint::tensor(const std::string& name) const
    {
        for (const auto& [n, t] : tensors)
            if (n == name)
            {
                if (t.dtype != dtype_of<T>())
                    throw CheckpointError("xrnn: " + where(*this) + " holds tensor '" + name + "' as "
                                          + dtype_name(t.dtype) + "; it was asked for as " + dtype_name(dtype_of<T>()));
                std::vector<T> v(t.size());
                if (!v.empty())
                    std::memcpy(v.data(), t.bytes.data(), t.bytes.size());
                return v;
            }
        throw CheckpointError("xrnn: " + where(*this) + " has no tensor '" + name + "'");
    }
    template std::vector<float> Checkpoint::tensor<float>(const std::string&) const;
    template std::vector<double> Checkpoint::tensor<double>(const std::string&) const;
    template std::vector<std::uint64_t> Checkpoint::tensor<std::uint64_t>(const std::string&) const;

    void put_rng(Checkpoint& c, const std::string& name, const Rng& rng)
    {
        const Rng::State s = rng.state();
        std::uint64_t spare;
        std::memcpy(&spare, &s.spare, sizeof(spare)); // the double's bits: exact
        c.tensors.emplace_back(name, std::vector<std::uint64_t>{s.s[0], s.s[1], s.s[2], s.s[3], spare, s.has_spare});
    }

    void get_rng(const Checkpoint& c, const std::string& name, Rng& rng)
    {
        const auto w = c.tensor<std::uint64_t>(name);
        if (w.size() != 6)
            detail::checkpoint_size_mismatch(c, name, w.size(), 6);
        Rng::State s;
        s.s = {w[0], w[1], w[2], w[3]};
        std::memcpy(&s.spare, &w[4], sizeof(s.spare));
        s.has_spare = w[5] != 0;
        rng.set_state(s);
    }

    void detail::checkpoint_size_mismatch(const Checkpoint& c, const std::string& name, std::size_t has,
                                          std::size_t needs)
    {
        throw CheckpointError("xrnn: " + where(c) + " has " + std::to_string(has) + " values in tensor '" + name
                              + "' but the model needs " + std::to_string(needs));
    }

    void save_checkpoint(const std::string& path, const Checkpoint& ckpt)
    {
        std::string out(kMagic, sizeof(kMagic));
        put(out, kCheckpointVersion);
        put(out, static_cast<std::uint64_t>(ckpt.meta_json.size()));
        out += ckpt.meta_json;
        put(out, static_cast<std::uint32_t>(ckpt.tensors.size()));
        for (const auto& [name, data] : ckpt.tensors)
        {
            put(out, static_cast<std::uint32_t>(name.size()));
            out += name;
            put(out, static_cast<std::uint32_t>(data.dtype));
            put(out, static_cast<std::uint64_t>(data.size()));
            out += data.bytes;
        }
        put(out, fnv1a(reinterpret_cast<const unsigned char*>(out.data()), out.size()));

        const std::string tmp = path + ".tmp-" + std::to_string(::getpid());
        const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0)
            throw CheckpointError("xrnn: cannot write checkpoint '" + tmp + "': " + errno_text());
        std::size_t done = 0;
        while (done < out.size())
        {
            const ssize_t w = ::write(fd, out.data() + done, out.size() - done);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
            {
                const std::string why = errno_text();
                ::close(fd);
                ::unlink(tmp.c_str());
                throw CheckpointError("xrnn: writing checkpoint '" + tmp + "' failed: " + why);
            }
            done += static_cast<std::size_t>(w);
        }
        if (::fsync(fd) != 0 || ::close(fd) != 0)
        {
            const std::string why = errno_text();
            ::unlink(tmp.c_str());
            throw CheckpointError("xrnn: flushing checkpoint '" + tmp + "' failed: " + why);
        }
        if (std::rename(tmp.c_str(), path.c_str()) != 0)
        {
            const std::string why = errno_text();
            ::unlink(tmp.c_str());
            throw CheckpointError("xrnn: cannot move checkpoint into place at '" + path + "': " + why);
        }
    }

    Checkpoint load_checkpoint(const std::string& path)
    {
        std::string buf;
        // regular files only, read under a cap: a FIFO would block and /dev/zero never ends
        const std::string problem = read_input_file(path, buf);
        if (!problem.empty())
            throw CheckpointError("xrnn: checkpoint '" + path + "' " + problem);

        if (buf.size() < sizeof(kMagic) || std::memcmp(buf.data(), kMagic, sizeof(kMagic)) != 0)
            throw CheckpointError("xrnn: '" + path + "' is not an xrnn checkpoint (bad magic number)");
        Reader r{buf, sizeof(kMagic), path, buf.size()};
        const auto version = r.get<std::uint32_t>("the header");
        if (version < 1 || version > kCheckpointVersion)
            throw CheckpointError("xrnn: checkpoint '" + path + "' has format version " + std::to_string(version)
                                  + "; this build reads version 1 to " + std::to_string(kCheckpointVersion));
        // verify the checksum before trusting any length field further
        if (buf.size() < r.pos + sizeof(std::uint64_t))
            r.truncated("the header");
        const std::size_t body = buf.size() - sizeof(std::uint64_t);
        std::uint64_t stored;
        std::memcpy(&stored, buf.data() + body, sizeof(stored));
        const bool checksum_ok = fnv1a(reinterpret_cast<const unsigned char*>(buf.data()), body) == stored;

        Checkpoint c;
        c.path = path;
        try
        {
            const std::string body_view = buf.substr(0, body);
            Reader br{body_view, r.pos, path, buf.size()};
            c.meta_json = br.bytes(br.get<std::uint64_t>("the metadata length"), "the metadata");
            const auto count = br.get<std::uint32_t>("the tensor count");
            for (std::uint32_t i = 0; i < count; ++i)
            {
                std::string name = br.bytes(br.get<std::uint32_t>("a tensor name length"), "a tensor name");
                TensorData data; // version 1: float32, no dtype field
                if (version >= 2)
                {
                    const auto dtype = br.get<std::uint32_t>("a tensor dtype");
                    if (!known(dtype))
                        throw CheckpointError("xrnn: checkpoint '" + path + "' stores tensor '" + name
                                              + "' with unknown dtype " + std::to_string(dtype)
                                              + "; valid: 0 float32, 1 float64, 2 uint64");
                    data.dtype = static_cast<DType>(dtype);
                }
                const auto k = br.get<std::uint64_t>("a tensor length");
                if (k > (body_view.size() - br.pos) / dtype_size(data.dtype))
                    br.truncated(("tensor '" + name + "'").c_str());
                data.bytes = br.bytes(k * dtype_size(data.dtype), "a tensor");
                c.tensors.emplace_back(std::move(name), std::move(data));
            }
            if (br.pos != body_view.size())
                throw CheckpointError("xrnn: checkpoint '" + path + "' has " + std::to_string(body_view.size() - br.pos)
                                      + " unexpected bytes after its tensors");
        }
        catch (const CheckpointError& e)
        {
            if (checksum_ok)
                throw;
            throw CheckpointError(std::string(e.what()) + "; its checksum does not match either");
        }
        if (!checksum_ok)
            throw CheckpointError("xrnn: checkpoint '" + path
                                  + "' is corrupted or truncated (checksum mismatch); use an earlier checkpoint");
        return c;
    }
}
