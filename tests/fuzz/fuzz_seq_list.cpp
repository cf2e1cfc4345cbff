// tests/fuzz/fuzz_seq_list.cpp -- libFuzzer harness of xrnn-seq's list-file loader: load_data
// (a list file: load_list) for every task, with and without a training class table, and
// load_unlabeled (predict). Lines name .npy files; this process writes a few valid ones next to
// the list (see the seeds in corpus/fuzz_seq_list). A DataError (or any std::exception) with a
// message is the right answer to a bad list; a crash, a sanitizer report or a hang is a bug.
#include "fuzz_file.hpp"

#include "xrnn/seq/seq_train.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>

namespace
{
    using namespace xrnn::seq;

    // f3x2.npy, f4x2.npy: features of 3 and 4 steps x 2; f2x3.npy: 2 steps x 3 features (a
    // different width); t3.npy, t4.npy: int32 tags of 3 and 4 steps; neg.npy: a negative tag.
    void write_npy_files()
    {
        const std::string d = fuzz::work_dir();
        write_npy(d + "/f3x2.npy", Matrix{{0.5f, 1, -1, 2, 0, 3}, 3, 2});
        write_npy(d + "/f4x2.npy", Matrix{{1, 2, 3, 4, 5, 6, 7, 8}, 4, 2});
        write_npy(d + "/f2x3.npy", Matrix{{1, 2, 3, 4, 5, 6}, 2, 3});
        write_npy(d + "/t3.npy", std::vector<std::int32_t>{0, 2, 1});
        write_npy(d + "/t4.npy", std::vector<std::int32_t>{1, 1, 0, 3});
        write_npy(d + "/neg.npy", std::vector<std::int32_t>{0, -1, 1});
    }
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    static const bool files = (write_npy_files(), true);
    (void)files;
    const std::string path = fuzz::write_file("list.txt", data, size);
    for (Task task : {Task::classify, Task::regress, Task::tag, Task::ctc})
    {
        try
        {
            const Dataset d = load_data(path, task);
            if (task == Task::classify || task == Task::ctc)
                (void)load_data(path, task, &d.classes); // evaluation: labels must be in training's table
        }
        catch (const xrnn::seq::DataError&)
        {
        }
        catch (const std::exception& e)
        {
            fuzz::undocumented(e);
        }
    }
    try
    {
        (void)load_unlabeled(path);
    }
    catch (const xrnn::seq::DataError&)
    {
    }
    catch (const std::exception& e)
    {
        fuzz::undocumented(e);
    }
    return 0;
}
