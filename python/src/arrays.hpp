// python/src/arrays.hpp -- NumPy arrays in and out of the module, without copies.
//
// In: an argument must already be an ndarray of the module's dtype, C-contiguous and aligned;
// anything else is refused with a one-line TypeError / ValueError naming the argument, what
// was given and what is expected, never converted silently (a silent conversion would be a
// copy the caller did not ask for). The check returns a View3 on the array's own memory.
// Out: a Tensor3 the core filled is moved into a capsule that owns it, and the ndarray is a
// view of its buffer (no copy); parameter views point into the ParamSet with the model's
// Python object as their base, so the model lives as long as any view of it.
#ifndef XRNN_PYTHON_ARRAYS_HPP
#define XRNN_PYTHON_ARRAYS_HPP

#include <xrnn/bptt.hpp>

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <array>
#include <string>
#include <vector>

namespace xrnn_py
{
    namespace py = pybind11;

    template <class T>
    const char* dtype_name()
    {
        return sizeof(T) == 4 ? "float32" : "float64";
    }

    inline std::string dtype_str(const py::dtype& dt)
    {
        return py::str(py::handle(dt)); // 'float16', '>f4' (a byte-swapped float32)
    }

    inline std::string shape_str(const py::array& a)
    {
        std::string s = "(";
        for (py::ssize_t i = 0; i < a.ndim(); ++i)
            s += (i ? ", " : "") + std::to_string(a.shape(i));
        return s + (a.ndim() == 1 ? ",)" : ")");
    }

    // One expected axis: its name and its size (0 = any size > 0).
    struct Axis
    {
        const char* name;
        std::size_t size;
    };

    // "(seq_len, batch, input_size) = (*, *, 5)"
    inline std::string expected_str(const std::array<Axis, 3>& want)
    {
        std::string names = "(", sizes = "(";
        for (std::size_t i = 0; i < 3; ++i)
        {
            names += std::string(i ? ", " : "") + want[i].name;
            sizes += (i ? ", " : "") + (want[i].size ? std::to_string(want[i].size) : std::string("*"));
        }
        return names + ") = " + sizes + ")";
    }

    // The array `obj` passed as argument `arg`, checked against dtype T and the shape `want`,
    // seen in place. Throws py::type_error / py::value_error with a one-line message.
    template <class T>
    xrnn::View3<T> view_in(const py::handle& obj, const char* arg, const std::array<Axis, 3>& want)
    {
        const std::string expect = std::string("a C-contiguous ") + dtype_name<T>() + " numpy.ndarray of shape "
                                 + expected_str(want);
        if (!py::isinstance<py::array>(obj))
            throw py::type_error(std::string(arg) + " must be " + expect + "; got "
                                 + std::string(py::str(py::type::of(obj).attr("__name__"))));
        const auto a = py::reinterpret_borrow<py::array>(obj);
        if (!a.dtype().equal(py::dtype::of<T>()))
            throw py::type_error(std::string(arg) + " has dtype " + dtype_str(a.dtype()) + " but this model is "
                                 + dtype_name<T>() + ": pass " + arg + ".astype(np." + dtype_name<T>()
                                 + ") (nothing is converted implicitly)");
        if (a.ndim() != 3)
            throw py::value_error(std::string(arg) + " must be 3-D " + expected_str(want) + "; got "
                                  + std::to_string(a.ndim()) + "-D shape " + shape_str(a));
        std::array<std::size_t, 3> shape{};
        for (std::size_t i = 0; i < 3; ++i)
        {
            shape[i] = static_cast<std::size_t>(a.shape(static_cast<py::ssize_t>(i)));
            if (shape[i] == 0 || (want[i].size && shape[i] != want[i].size))
                throw py::value_error(std::string(arg) + " has shape " + shape_str(a) + "; expected " + expected_str(want)
                                      + (shape[i] == 0 ? std::string(": ") + want[i].name + " must be > 0"
                                                       : std::string(": ") + want[i].name + " must be "
                                                             + std::to_string(want[i].size)));
        }
        if (!(a.flags() & py::array::c_style))
            throw py::value_error(std::string(arg) + " is not C-contiguous (it is "
                                  + (a.flags() & py::array::f_style ? "Fortran-ordered" : "a strided view")
                                  + "); pass np.ascontiguousarray(" + arg + ") (no copy is made implicitly)");
        if (!(a.flags() & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
            throw py::value_error(std::string(arg) + " is not aligned to its dtype; pass a copy ("
                                  + arg + ".copy())");
        return {static_cast<const T*>(a.data()), shape};
    }

    // An optional state argument (None = zeros).
    template <class T>
    xrnn::View3<T> view_in_optional(const py::handle& obj, const char* arg, const std::array<Axis, 3>& want)
    {
        return obj.is_none() ? xrnn::View3<T>{} : view_in<T>(obj, arg, want);
    }

    // A Tensor3 moved into an ndarray that owns it.
    template <class T>
    py::array array_out(xrnn::Tensor3<T>&& t)
    {
        auto* p = new xrnn::Tensor3<T>(std::move(t));
        py::capsule owner(p, [](void* q) { delete static_cast<xrnn::Tensor3<T>*>(q); });
        const std::vector<py::ssize_t> shape(p->shape().begin(), p->shape().end());
        return py::array_t<T>(shape, p->data(), owner);
    }

    // A writable view of `size` values at `data` with `shape`, kept alive by `base`.
    template <class T>
    py::array view_out(T* data, const std::vector<std::size_t>& shape, const py::handle& base)
    {
        const std::vector<py::ssize_t> s(shape.begin(), shape.end());
        return py::array_t<T>(s, data, base);
    }

    // A copy of a vector of doubles (traces, report rows: small, and owned by objects that change).
    inline py::array array_copy(const std::vector<double>& v)
    {
        py::array_t<double> a(static_cast<py::ssize_t>(v.size()));
        std::copy(v.begin(), v.end(), a.mutable_data());
        return std::move(a);
    }
}

#endif
