// xrnn/features/data_error.hpp -- the error thrown for a bad audio file or clip.
#ifndef XRNN_FEATURES_DATA_ERROR_HPP
#define XRNN_FEATURES_DATA_ERROR_HPP

#include <stdexcept>

namespace xrnn::features
{
    // A problem with users' data (not with the calling code): a one-line message naming the
    // file, the problem and what is valid. Bad options throw std::invalid_argument instead.
    struct DataError : std::runtime_error
    {
        using std::runtime_error::runtime_error;
    };
}

#endif
