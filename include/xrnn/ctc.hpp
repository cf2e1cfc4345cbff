// xrnn/ctc.hpp -- Connectionist Temporal Classification: the CTC loss fused with log_softmax
// and its backward, best-path (greedy) and prefix beam search decoding, and edit distance.
//
// Layout: logits (T, B, V) time-major, logits[(t*B + b)*V + k], as PyTorch's log_probs
// (T, N, C); but these are logits: the log_softmax over V is part of the loss, so dlogits is
// the gradient with respect to the logits (softmax - posterior), as softmax_xent fuses softmax.
// Targets are PyTorch's 1-D form: every sequence's labels concatenated, with target_lengths (B).
// Frames t >= input_lengths[b] are padding: never read, zero gradient.
//
// reference: Graves, Fernandez, Gomez, Schmidhuber 2006, "Connectionist Temporal
// Classification: Labelling Unsegmented Sequence Data with Recurrent Neural Networks" (ICML),
// section 4.1 (the alpha-beta recursions, here in log space) and 4.2 (the gradient);
// https://pytorch.org/docs/stable/generated/torch.nn.CTCLoss.html for the interface;
// Hannun et al. 2014, arXiv:1408.2873, for prefix beam search (here without a language model).
// Not here: a language model or lexicon in the beam, batching for speed (one sequence at a
// time, O(T * (2S+1)) doubles of workspace), label smoothing.
#ifndef XRNN_CTC_HPP
#define XRNN_CTC_HPP

#include "xrnn/check.hpp"
#include "xrnn/detail/name_table.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace xrnn
{
    // How ctc_loss reduces the per-sequence losses -log p(target_b | x_b) (PyTorch's names):
    //   mean: each divided by its target length (clamped to >= 1), then the mean over the batch
    //   sum:  the sum over the batch
    //   none: the per-sequence losses (written into `losses`); the returned value and the
    //         gradient are those of their sum, as PyTorch's loss.sum().backward()
    enum class CtcReduction
    {
        mean,
        sum,
        none,
    };

    inline constexpr std::array<detail::Named<CtcReduction>, 3> ctc_reduction_table{
        {{CtcReduction::mean, "mean"}, {CtcReduction::sum, "sum"}, {CtcReduction::none, "none"}}};
    inline CtcReduction ctc_reduction_from_name(std::string_view name)
    {
        return detail::from_name(ctc_reduction_table, name, "CTC reduction");
    }
    inline std::string ctc_reduction_name(CtcReduction r) { return detail::name_of(ctc_reduction_table, r); }

    struct CtcOptions
    {
        std::int32_t blank = 0;
        CtcReduction reduction = CtcReduction::mean;
        // A sequence with no alignment (its target needs more frames than its input has) gets
        // loss 0 and zero gradient, as PyTorch's zero_infinity; without it that is an error.
        bool zero_infinity = false;
    };

    namespace detail
    {
        constexpr double kLogZero = -std::numeric_limits<double>::infinity();

        // log(exp(a) + exp(b)); -inf is log 0 and must not meet -inf in a subtraction
        inline double log_add(double a, double b)
        {
            if (a < b)
                std::swap(a, b);
            if (b == kLogZero)
                return a;
            return a + std::log1p(std::exp(b - a));
        }

        // out (V) = log_softmax(z) in double
        template <class T>
        void ctc_log_softmax(double* out, const T* z, std::size_t V)
        {
            double mx = static_cast<double>(z[0]);
            for (std::size_t k = 1; k < V; ++k)
                mx = std::max(mx, static_cast<double>(z[k]));
            double sum = 0;
            for (std::size_t k = 0; k < V; ++k)
                sum += std::exp(static_cast<double>(z[k]) - mx);
            const double log_sum = mx + std::log(sum);
            for (std::size_t k = 0; k < V; ++k)
                out[k] = static_cast<double>(z[k]) - log_sum;
        }

        // Adjacent equal labels: a path must put a blank between them, so a target of length S
        // needs S + repeats frames.
        inline std::size_t ctc_repeats(const std::int32_t* labels, std::size_t S)
        {
            std::size_t r = 0;
            for (std::size_t j = 1; j < S; ++j)
                r += labels[j] == labels[j - 1];
            return r;
        }

        inline void check_ctc_frames(const char* who, const std::int32_t* input_lengths, std::size_t steps,
                                     std::size_t batch, std::size_t V, std::int32_t blank)
        {
            const std::string w(who);
            XRNN_CHECK(blank >= 0 && static_cast<std::size_t>(blank) < V,
                       w + ": blank " + std::to_string(blank) + " is outside [0, V = " + std::to_string(V) + ")");
            if (!input_lengths)
                return;
            for (std::size_t b = 0; b < batch; ++b)
                XRNN_CHECK(input_lengths[b] >= 0 && static_cast<std::size_t>(input_lengths[b]) <= steps,
                           w + ": input length " + std::to_string(input_lengths[b]) + " of sequence "
                               + std::to_string(b) + " is outside [0, T = " + std::to_string(steps) + "]");
        }
    }

    // Throws std::invalid_argument naming the first bad input: blank outside [0, V), an input
    // length outside [0, T], a negative target length, target lengths not summing to
    // targets_size, a label outside [0, V) or equal to blank, and (without zero_infinity) a
    // sequence with no alignment. ctc_loss calls it (O(B + targets_size), once per call).
    // An input length of 0 is valid: with an empty target its loss is 0 (the empty labelling
    // has probability 1 over no frames), with a non-empty one it has no alignment. (PyTorch
    // 1.13's CPU kernel returns uninitialised memory for a 0-length input, so no fixture.)
    inline void check_ctc_inputs(const std::int32_t* targets, const std::int32_t* input_lengths,
                                 const std::int32_t* target_lengths, std::size_t steps, std::size_t batch,
                                 std::size_t V, std::size_t targets_size, const CtcOptions& opt)
    {
        detail::check_ctc_frames("ctc_loss", input_lengths, steps, batch, V, opt.blank);
        std::int64_t total = 0;
        for (std::size_t b = 0; b < batch; ++b)
        {
            XRNN_CHECK(target_lengths[b] >= 0, "ctc_loss: target length " + std::to_string(target_lengths[b])
                                                   + " of sequence " + std::to_string(b) + " is negative");
            total += target_lengths[b];
        }
        XRNN_CHECK(total == static_cast<std::int64_t>(targets_size),
                   "ctc_loss: the target lengths sum to " + std::to_string(total) + " but targets holds "
                       + std::to_string(targets_size) + " labels");
        std::size_t offset = 0;
        for (std::size_t b = 0; b < batch; ++b)
        {
            const std::size_t S = static_cast<std::size_t>(target_lengths[b]);
            const std::int32_t* l = targets + offset;
            for (std::size_t j = 0; j < S; ++j)
            {
                const std::string where = " at targets[" + std::to_string(offset + j) + "] (sequence "
                                          + std::to_string(b) + ", position " + std::to_string(j) + ")";
                XRNN_CHECK(l[j] >= 0 && static_cast<std::size_t>(l[j]) < V,
                           "ctc_loss: label " + std::to_string(l[j]) + where + " is outside [0, V = "
                               + std::to_string(V) + ")");
                XRNN_CHECK(l[j] != opt.blank, "ctc_loss: label " + std::to_string(l[j]) + where
                                                  + " is the blank index; targets hold labels only");
            }
            const std::size_t Tb = input_lengths ? static_cast<std::size_t>(input_lengths[b]) : steps;
            const std::size_t r = S ? detail::ctc_repeats(l, S) : 0;
            XRNN_CHECK(opt.zero_infinity || S + r <= Tb,
                       "ctc_loss: sequence " + std::to_string(b) + " has no alignment: its target of length "
                           + std::to_string(S) + " with " + std::to_string(r)
                           + " adjacent repeated label(s) needs at least " + std::to_string(S + r)
                           + " input frames (a blank between repeats), but its input length is "
                           + std::to_string(Tb)
                           + "; CtcOptions::zero_infinity = true gives it loss 0 and zero gradient");
            offset += S;
        }
    }

    // ---------------------------------------------------------------------------------------
    // the loss and its gradient

    // Returns the reduced loss (nats; for CtcReduction::none the sum of the per-sequence
    // losses). losses (B), when not null, receives each sequence's -log p(target | x), not
    // divided by anything (0 for a zero_infinity sequence). dlogits (T, B, V), when not null,
    // receives the gradient of the returned value: every entry is written, padded frames and
    // zero_infinity sequences get zeros; it may alias logits (overwriting them with their
    // gradient). input_lengths may be null: every sequence has T frames.
    // Everything runs in double; only dlogits is rounded to T. Non-finite logits are not
    // checked (a -inf logit can make a loss inf; zero_infinity then zeroes it, as PyTorch).
    template <class T>
    double ctc_loss(T* dlogits, double* losses, const T* logits, const std::int32_t* targets,
                    const std::int32_t* input_lengths, const std::int32_t* target_lengths, std::size_t steps,
                    std::size_t batch, std::size_t V, std::size_t targets_size, const CtcOptions& opt = {})
    {
        check_ctc_inputs(targets, input_lengths, target_lengths, steps, batch, V, targets_size, opt);
        using detail::kLogZero;
        using detail::log_add;
        // zeros into frames [from, T) of sequence b; written per sequence after its logits were
        // read, so dlogits may alias logits
        auto zero_frames = [&](std::size_t b, std::size_t from) {
            if (dlogits)
                for (std::size_t t = from; t < steps; ++t)
                    std::fill(dlogits + (t * batch + b) * V, dlogits + (t * batch + b + 1) * V, T(0));
        };
        std::vector<double> lp, alpha, beta, gamma(V);
        double total = 0;
        std::size_t offset = 0;
        for (std::size_t b = 0; b < batch; ++b)
        {
            const std::size_t S = static_cast<std::size_t>(target_lengths[b]);
            const std::size_t Tb = input_lengths ? static_cast<std::size_t>(input_lengths[b]) : steps;
            const std::int32_t* l = targets + offset;
            offset += S;
            if (losses)
                losses[b] = 0;
            // an empty input with an empty target: probability 1, loss 0, no frames to differentiate
            if (S + (S ? detail::ctc_repeats(l, S) : 0) > Tb || Tb == 0)
            {
                zero_frames(b, 0); // no alignment: only reached with zero_infinity (checked above)
                continue;
            }
            // d(returned value) / d(loss_b)
            const double w = opt.reduction == CtcReduction::mean
                                 ? 1.0 / (static_cast<double>(std::max<std::size_t>(S, 1)) * static_cast<double>(batch))
                                 : 1.0;

            // the extended sequence l' = (blank, l1, blank, l2, ..., lS, blank), length L = 2S+1
            const std::size_t L = 2 * S + 1;
            auto label = [&](std::size_t s) { return static_cast<std::size_t>(s % 2 ? l[s / 2] : opt.blank); };
            // a path may skip from s-2 to s only over a blank between two different labels
            auto skip = [&](std::size_t s) { return s % 2 == 1 && s >= 2 && l[s / 2] != l[s / 2 - 1]; };

            lp.resize(Tb * V);
            for (std::size_t t = 0; t < Tb; ++t)
                detail::ctc_log_softmax(lp.data() + t * V, logits + (t * batch + b) * V, V);

            // alpha[t][s] = log P(l'_1..s emitted by frames 0..t, at s at t) (with frame t's emission)
            alpha.assign(Tb * L, kLogZero);
            alpha[0] = lp[label(0)];
            if (L > 1)
                alpha[1] = lp[label(1)];
            for (std::size_t t = 1; t < Tb; ++t)
            {
                const double* prev = alpha.data() + (t - 1) * L;
                double* cur = alpha.data() + t * L;
                for (std::size_t s = 0; s < L; ++s)
                {
                    double a = prev[s];
                    if (s >= 1)
                        a = log_add(a, prev[s - 1]);
                    if (skip(s))
                        a = log_add(a, prev[s - 2]);
                    cur[s] = a + lp[t * V + label(s)];
                }
            }
            // beta[t][s] = log P(frames t+1.. emit the rest | at s at t) (without frame t's emission,
            // so alpha + beta is the log probability of the paths through s at t, no division)
            beta.assign(Tb * L, kLogZero);
            beta[(Tb - 1) * L + L - 1] = 0;
            if (L > 1)
                beta[(Tb - 1) * L + L - 2] = 0;
            for (std::size_t t = Tb - 1; t-- > 0;)
            {
                const double* next = beta.data() + (t + 1) * L;
                const double* e = lp.data() + (t + 1) * V;
                double* cur = beta.data() + t * L;
                for (std::size_t s = 0; s < L; ++s)
                {
                    double v = next[s] + e[label(s)];
                    if (s + 1 < L)
                        v = log_add(v, next[s + 1] + e[label(s + 1)]);
                    if (s + 2 < L && skip(s + 2))
                        v = log_add(v, next[s + 2] + e[label(s + 2)]);
                    cur[s] = v;
                }
            }
            const double* last = alpha.data() + (Tb - 1) * L;
            const double log_p = L > 1 ? log_add(last[L - 1], last[L - 2]) : last[0];
            const double nll = -log_p;
            if (opt.zero_infinity && std::isinf(nll))
            {
                zero_frames(b, 0);
                continue;
            }
            if (losses)
                losses[b] = nll;
            total += w * nll;
            if (!dlogits)
                continue;
            zero_frames(b, Tb);
            // d nll / d z[t][k] = softmax[t][k] - sum over s with l'_s = k of P(at s at t | target)
            for (std::size_t t = 0; t < Tb; ++t)
            {
                std::fill(gamma.begin(), gamma.end(), 0.0);
                for (std::size_t s = 0; s < L; ++s)
                    gamma[label(s)] += std::exp(alpha[t * L + s] + beta[t * L + s] - log_p);
                T* d = dlogits + (t * batch + b) * V;
                for (std::size_t k = 0; k < V; ++k)
                    d[k] = static_cast<T>(w * (std::exp(lp[t * V + k]) - gamma[k]));
            }
        }
        return total;
    }

    // ---------------------------------------------------------------------------------------
    // decoding: logits (T, B, V), input_lengths (B) or null (every sequence has T frames)

    // Best path: the most probable label of each frame t < input_lengths[b] (ties to the lowest
    // index), repeats collapsed, then blanks dropped. Not the most probable labelling in general.
    template <class T>
    std::vector<std::vector<std::int32_t>> ctc_greedy_decode(const T* logits, const std::int32_t* input_lengths,
                                                             std::size_t steps, std::size_t batch, std::size_t V,
                                                             std::int32_t blank = 0)
    {
        detail::check_ctc_frames("ctc_greedy_decode", input_lengths, steps, batch, V, blank);
        std::vector<std::vector<std::int32_t>> out(batch);
        for (std::size_t b = 0; b < batch; ++b)
        {
            const std::size_t Tb = input_lengths ? static_cast<std::size_t>(input_lengths[b]) : steps;
            std::int32_t prev = blank;
            for (std::size_t t = 0; t < Tb; ++t)
            {
                const T* z = logits + (t * batch + b) * V;
                const auto k = static_cast<std::int32_t>(std::max_element(z, z + V) - z);
                if (k != blank && k != prev)
                    out[b].push_back(k);
                prev = k;
            }
        }
        return out;
    }

    // Prefix beam search (Hannun et al. 2014, no language model): after each frame, keep the
    // beam_width most probable label prefixes, each with log P(prefix, last frame blank) and
    // log P(prefix, last frame its last label), so that paths collapsing to the same prefix are
    // summed, which best path does not do. Returns each sequence's most probable prefix after
    // its last frame; log_probs (B), when not null, receives its log probability as the beam
    // summed it (exact when nothing was pruned, a lower bound otherwise). A beam wider than
    // the number of prefixes is an exact search for the most probable labelling. Ties in
    // probability go to the lexicographically smaller prefix, so the result is deterministic.
    template <class T>
    std::vector<std::vector<std::int32_t>> ctc_beam_search(const T* logits, const std::int32_t* input_lengths,
                                                           std::size_t steps, std::size_t batch, std::size_t V,
                                                           std::size_t beam_width, std::int32_t blank = 0,
                                                           std::vector<double>* log_probs = nullptr)
    {
        detail::check_ctc_frames("ctc_beam_search", input_lengths, steps, batch, V, blank);
        XRNN_CHECK(beam_width >= 1, "ctc_beam_search: beam_width must be >= 1");
        using detail::kLogZero;
        using detail::log_add;
        using Prefix = std::vector<std::int32_t>;
        struct Probs
        {
            double blank = kLogZero, label = kLogZero; // the last frame was blank / the prefix's last label
            double total() const { return log_add(blank, label); }
        };
        std::vector<std::vector<std::int32_t>> out(batch);
        if (log_probs)
            log_probs->assign(batch, 0.0);
        std::vector<double> lp(V);
        std::vector<std::pair<Prefix, Probs>> beam, ranked;
        for (std::size_t b = 0; b < batch; ++b)
        {
            const std::size_t Tb = input_lengths ? static_cast<std::size_t>(input_lengths[b]) : steps;
            beam.assign(1, {Prefix{}, Probs{0.0, kLogZero}}); // the empty prefix, probability 1
            for (std::size_t t = 0; t < Tb; ++t)
            {
                detail::ctc_log_softmax(lp.data(), logits + (t * batch + b) * V, V);
                std::map<Prefix, Probs> next; // ordered: ties rank the same on every platform
                for (const auto& [prefix, p] : beam)
                {
                    const double all = p.total();
                    Probs& same = next[prefix];
                    same.blank = log_add(same.blank, all + lp[static_cast<std::size_t>(blank)]);
                    if (!prefix.empty()) // the last label again, collapsed into it
                        same.label = log_add(same.label, p.label + lp[static_cast<std::size_t>(prefix.back())]);
                    for (std::size_t k = 0; k < V; ++k)
                    {
                        const auto c = static_cast<std::int32_t>(k);
                        if (c == blank)
                            continue;
                        Prefix longer = prefix;
                        longer.push_back(c);
                        // after the label c itself, only a path through a blank starts a new c
                        const double from = !prefix.empty() && prefix.back() == c ? p.blank : all;
                        Probs& q = next[longer];
                        q.label = log_add(q.label, from + lp[k]);
                    }
                }
                ranked.assign(next.begin(), next.end());
                const std::size_t keep = std::min(beam_width, ranked.size());
                // stable on the map's lexicographic order: equal probabilities keep the smaller prefix
                std::stable_sort(ranked.begin(), ranked.end(), [](const auto& x, const auto& y) {
                    return x.second.total() > y.second.total();
                });
                ranked.resize(keep);
                beam.swap(ranked);
            }
            // the beam is ranked after every frame; with no frames it holds only the empty prefix
            out[b] = beam.front().first;
            if (log_probs)
                (*log_probs)[b] = beam.front().second.total();
        }
        return out;
    }

    // ---------------------------------------------------------------------------------------

    // Levenshtein distance: the fewest insertions, deletions and substitutions turning a into
    // b. The numerator of a label (digit, character) error rate: sum of distances to the
    // references over the sum of their lengths.
    inline std::size_t edit_distance(const std::vector<std::int32_t>& a, const std::vector<std::int32_t>& b)
    {
        // one row of the (|a|+1) x (|b|+1) table: row[j] = distance(a[0..i), b[0..j))
        std::vector<std::size_t> row(b.size() + 1);
        for (std::size_t j = 0; j <= b.size(); ++j)
            row[j] = j;
        for (std::size_t i = 1; i <= a.size(); ++i)
        {
            std::size_t diag = row[0]; // distance(a[0..i-1), b[0..j-1))
            row[0] = i;
            for (std::size_t j = 1; j <= b.size(); ++j)
            {
                const std::size_t up = row[j];
                row[j] = std::min({up + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
                diag = up;
            }
        }
        return row[b.size()];
    }
}

#endif
