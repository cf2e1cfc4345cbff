// tests/fuzz/fuzz_checksum.hpp -- for the checkpoint harnesses: an input with its checksum
// made right.
#ifndef XRNN_FUZZ_CHECKSUM_HPP
#define XRNN_FUZZ_CHECKSUM_HPP

#include "xrnn/checkpoint.hpp"

#include <cstdint>
#include <cstring>
#include <string>

namespace fuzz
{
    // A checkpoint's last 8 bytes are the FNV-1a of the rest: almost every mutation breaks it and
    // the loader stops there, so the checkpoint harnesses also try each input with it recomputed
    // to reach what follows a successful load. Inputs shorter than magic + version + checksum
    // are returned as they are.
    inline std::string with_checksum(const std::uint8_t* data, std::size_t size)
    {
        std::string b(reinterpret_cast<const char*>(data), size);
        if (b.size() >= 20)
        {
            const std::uint64_t h = xrnn::fnv1a(b.data(), b.size() - 8);
            std::memcpy(&b[b.size() - 8], &h, 8);
        }
        return b;
    }
}

#endif
