// npz.cpp -- reading .npz members with libzip.
#include "xrnn/seq/npz.hpp"

#include <zip.h>

#include "xrnn/input_file.hpp"
#include "xrnn/seq/npy.hpp"

namespace xrnn::seq
{
    std::map<std::string, std::string> read_npz(const std::string& path)
    {
        // a FIFO, device or folder is named as such (libzip would say "Operation not supported")
        if (const std::string problem = input_file_problem(path); !problem.empty())
            throw DataError("'" + path + "' " + problem);
        int err = 0;
        zip_t* z = zip_open(path.c_str(), ZIP_RDONLY, &err);
        if (!z)
        {
            zip_error_t ze;
            zip_error_init_with_code(&ze, err);
            const std::string why = zip_error_strerror(&ze);
            zip_error_fini(&ze);
            throw DataError(path + ": cannot open as .npz (" + why + ")");
        }
        std::map<std::string, std::string> out;
        const zip_int64_t n = zip_get_num_entries(z, 0);
        for (zip_int64_t i = 0; i < n; ++i)
        {
            zip_stat_t st;
            zip_file_t* f = nullptr;
            if (zip_stat_index(z, i, 0, &st) != 0 || !(f = zip_fopen_index(z, i, 0)))
            {
                zip_close(z);
                throw DataError(path + ": corrupt .npz member " + std::to_string(i));
            }
            // st.size is what the archive declares: read what the member holds, in pieces, rather
            // than allocate the declared size first (a forged 2 GB in a 1 KB file)
            std::string bytes;
            char piece[65536];
            zip_int64_t got = 0;
            while (bytes.size() <= st.size && (got = zip_fread(f, piece, sizeof piece)) > 0)
                bytes.append(piece, static_cast<std::size_t>(got));
            const std::string why = got < 0 ? zip_error_strerror(zip_file_get_error(f)) : "";
            zip_fclose(f);
            std::string name = st.name;
            if (got < 0 || bytes.size() != st.size)
            {
                zip_close(z);
                throw DataError(path + ": corrupt .npz member " + name + " ("
                                + (got < 0 ? why
                                           : "the archive declares " + std::to_string(st.size) + " bytes, it holds "
                                                 + (bytes.size() > st.size ? "more" : std::to_string(bytes.size())))
                                + ")");
            }
            if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0)
                name.resize(name.size() - 4);
            out[name] = std::move(bytes);
        }
        zip_close(z);
        return out;
    }
}
