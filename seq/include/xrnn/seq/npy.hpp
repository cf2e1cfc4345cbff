// xrnn/seq/npy.hpp -- read and write NumPy .npy files (format versions 1.0, 2.0, 3.0).
//
// Reads 2-D float32/float64 C-order arrays as features (a 1-D array of shape (T,) is (T,1)) and
// 1-D integer arrays as per-step tags; writes float32 of any shape and int32 1-D. Not a general npy
// library: no Fortran order, no big-endian, no structured or object dtypes.
// Format reference: https://numpy.org/doc/stable/reference/generated/numpy.lib.format.html
#ifndef XRNN_SEQ_NPY_HPP
#define XRNN_SEQ_NPY_HPP

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace xrnn::seq
{
    // Every problem with users' data files: a one-line message naming the file and what is valid.
    struct DataError : std::runtime_error
    {
        using std::runtime_error::runtime_error;
    };

    struct Matrix
    {
        std::vector<float> data; // (rows, cols) row-major
        std::size_t rows = 0;
        std::size_t cols = 0;
    };

    // A parsed .npy: its dtype and shape, values widened to double (exact for int32 and float32).
    struct NpyArray
    {
        std::string descr;              // e.g. "<f4"
        char kind = 0;                  // 'f' float, 'i' signed, 'u' unsigned, 'b' bool
        std::vector<std::size_t> shape; // () for a scalar
        std::vector<double> values;     // C order
    };

    // `name` is the file name used in messages; `bytes` the whole file.
    NpyArray parse_npy(const std::string& bytes, const std::string& name);
    Matrix features_from_npy(const NpyArray& a, const std::string& name);
    std::vector<std::int64_t> ints_from_npy(const NpyArray& a, const std::string& name);

    Matrix read_npy_features(const std::string& path);
    std::vector<std::int64_t> read_npy_ints(const std::string& path);

    void write_npy(const std::string& path, const Matrix& m);                  // float32 (rows, cols)
    void write_npy(const std::string& path, const std::vector<std::int32_t>& v); // int32 (n,)
    // float32 of any shape (a state_dict tensor); C order
    void write_npy(const std::string& path, const std::vector<std::size_t>& shape, const float* data);
    NpyArray read_npy(const std::string& path); // any supported dtype and shape, regular files only
}

#endif
