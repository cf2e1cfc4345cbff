// xrnn/seq/example_data.hpp -- synthetic sequence tasks written as .npy files plus a list file.
//
//   adding (regress, Hochreiter & Schmidhuber 1997, "Long Short-Term Memory", experiment 4):
//       2 features per step, a value in [0,1) and a marker (1 at two steps, else 0);
//       target = sum of the two marked values.
//   temporal_order (classify, same paper, experiment 6a): one-hot over 6 symbols
//       {X, Y, a, b, c, d}; two steps hold X or Y, the rest distractors a..d;
//       class = the two relevant symbols in order: XX, XY, YX, YY.
//   tagging (tag): one-hot over 3 symbols {a, b, c}; the tag of step t is 1 when the count of
//       'a' in steps 0..t is odd, else 0.
//   spelled (ctc): 6 features, one per word of {one, two, three, four, five} and a 6th for
//       silence; the label is 1..5 words (repeats allowed), each rendered as 2..4 frames of its
//       one-hot, with 0..2 silence frames between words (at least 1 between a repeat), before
//       and after, all with uniform noise in [-0.3, 0.3]; the list gives the words by name.
// Lengths are uniform in [min_len, max_len] (min_len >= 2); spelled: they follow from the words.
#ifndef XRNN_SEQ_EXAMPLE_DATA_HPP
#define XRNN_SEQ_EXAMPLE_DATA_HPP

#include <cstddef>
#include <cstdint>
#include <string>

namespace xrnn::seq
{
    // Writes out_dir/seq_NNNNN.npy (and seq_NNNNN.tags.npy for tagging) and out_dir/list.txt;
    // returns the list file's path. kind: adding, temporal_order, tagging, spelled (else invalid_argument).
    std::string make_example_data(const std::string& kind, const std::string& out_dir, std::size_t count,
                                  std::uint64_t seed, std::size_t min_len, std::size_t max_len);
}

#endif
