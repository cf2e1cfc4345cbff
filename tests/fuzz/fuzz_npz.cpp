// tests/fuzz/fuzz_npz.cpp -- libFuzzer harness of xrnn-seq's .npz data sets: read_npz (libzip)
// and load_data on an .npz for the classify, regress and tag tasks (ctc refuses an .npz), and
// load_unlabeled (predict). A DataError (or any std::exception) with a message is the right
// answer to a bad archive; a crash, a sanitizer report, a hang or an OOM is a bug.
#include "fuzz_file.hpp"

#include "xrnn/seq/seq_train.hpp"

#include <cstddef>
#include <cstdint>
#include <exception>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    using namespace xrnn::seq;
    const std::string path = fuzz::write_file("input.npz", data, size);
    for (Task task : {Task::classify, Task::regress, Task::tag})
    {
        try
        {
            (void)load_data(path, task);
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
