// npz.cpp -- reading .npz members with libzip.
#include "xrnn/seq/npz.hpp"

#include <zip.h>

#include "xrnn/seq/npy.hpp"

namespace xrnn::seq
{
    std::map<std::string, std::string> read_npz(const std::string& path)
    {
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
            std::string bytes(st.size, '\0');
            const zip_int64_t got = zip_fread(f, bytes.data(), st.size);
            zip_fclose(f);
            std::string name = st.name;
            if (got != static_cast<zip_int64_t>(st.size))
            {
                zip_close(z);
                throw DataError(path + ": truncated .npz member " + name);
            }
            if (name.size() > 4 && name.compare(name.size() - 4, 4, ".npy") == 0)
                name.resize(name.size() - 4);
            out[name] = std::move(bytes);
        }
        zip_close(z);
        return out;
    }
}
