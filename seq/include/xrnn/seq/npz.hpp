// xrnn/seq/npz.hpp -- the members of an .npz (np.savez / np.savez_compressed) as raw .npy bytes, via libzip.
#ifndef XRNN_SEQ_NPZ_HPP
#define XRNN_SEQ_NPZ_HPP

#include <map>
#include <string>

namespace xrnn::seq
{
    // Member name without ".npy" -> bytes. DataError (seq/npy.hpp) when missing or not a zip.
    std::map<std::string, std::string> read_npz(const std::string& path);
}

#endif
