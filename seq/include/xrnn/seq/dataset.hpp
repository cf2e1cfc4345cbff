// xrnn/seq/dataset.hpp -- variable-length sequences with a label per sequence (classify, regress),
// per step (tag) or an unaligned label sequence (ctc), loaded from a list file or an .npz (not
// ctc); validation split and standardization.
//
// List file, one sequence a line:  path/to/features.npy<TAB>label
//   classify: label is a class name; regress: a float or several separated by commas;
//   tag: a path to a 1-D integer .npy with one label per step;
//   ctc: label tokens separated by spaces (utt1.npy<TAB>three five oh), at least one.
// Relative paths are resolved against the list file's directory; blank lines and '#' lines are skipped.
#ifndef XRNN_SEQ_DATASET_HPP
#define XRNN_SEQ_DATASET_HPP

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "xrnn/seq/npy.hpp"

namespace xrnn::seq
{
    enum class Task
    {
        classify,
        regress,
        tag,
        ctc, // a label sequence per sequence, not aligned to the steps: CTC loss (xrnn/ctc.hpp)
    };
    const char* task_name(Task t);
    Task task_from_name(const std::string& name); // std::invalid_argument naming the valid values

    // Class names <-> ids, ids in sorted order of names so that a data set always maps the same way.
    class ClassTable
    {
    public:
        ClassTable() = default;
        explicit ClassTable(std::vector<std::string> names); // sorted and deduplicated here
        int id(const std::string& name) const;               // -1 if unknown
        const std::string& name(std::size_t id) const { return names_.at(id); }
        std::size_t size() const { return names_.size(); }
        const std::vector<std::string>& names() const { return names_; }

    private:
        std::vector<std::string> names_;
    };

    struct Sequence
    {
        std::vector<float> x;           // (steps, features) row-major
        std::size_t steps = 0;
        std::vector<std::int32_t> tags; // (steps,) tag
        std::int32_t label = -1;        // classify: class id
        std::vector<float> target;      // regress: one or more floats
        std::vector<std::int32_t> tokens; // ctc: token ids into Dataset::classes (the model's class id + 1)
        std::string source;             // "list.txt:7" or "data.npz:x_3", for messages
    };

    struct Dataset
    {
        Task task = Task::classify;
        std::size_t features = 0; // per step, the same for all sequences
        std::size_t outputs = 0;  // classify/tag: class count; regress: target size; ctc: tokens + 1 (blank 0)
        ClassTable classes;       // classify: the classes; ctc: the token vocabulary
        std::vector<Sequence> items;
        std::size_t size() const { return items.size(); }
    };

    // classes == nullptr: build the class table from this file (training); otherwise labels must be in it.
    // (ctc: the same for the token vocabulary.)
    Dataset load_list(const std::string& path, Task task, const ClassTable* classes = nullptr);
    // Members x_0, y_0, x_1, y_1, ...; y_i a scalar (class id or target), a 1-D target vector
    // (regress) or a 1-D per-step tag array (tag). Class names of an .npz are the ids as text.
    // Not for ctc (DataError: ctc needs a list file).
    Dataset load_npz(const std::string& path, Task task);

    // Moves round(fraction * size) random sequences (at least 1 when fraction > 0) into the result.
    Dataset split_validation(Dataset& train, double fraction, std::uint64_t seed);

    // Per-feature mean and std over all steps of a training set (computed in double, std floor 1e-8).
    struct Standardizer
    {
        std::vector<float> mean;
        std::vector<float> std;
        static Standardizer fit(const Dataset& d);
        void apply(Dataset& d) const; // x = (x - mean) / std, in place
    };
}

#endif
