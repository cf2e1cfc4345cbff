#!/usr/bin/python3
"""PyTorch peer of xrnn's connected-digit recogniser (`xrnn-speech train` + `eval`), for a
same-wall-time side-by-side comparison on the same prepared feature folder.

Same model and training as xrnn: a bidirectional GRU/LSTM over standardised (T, 117) MFCC stacks,
a linear layer per step, CTC (blank 0, class = token index + 1, loss = per-utterance loss / label
count, averaged); Adam, global-norm clipping, length-bucketed batches, a seeded validation split,
training for a wall-time budget, keeping the state with the lowest validation loss; then greedy CTC
decoding of each test list, scored by digit error rate and string accuracy.

usage:
  /usr/bin/python3 benchmarks/speech_torch.py --features /work/data/digits_feat --time-budget 180 --threads 1
  [--dropout 0.3 --lr-schedule cosine --feature-noise 0.1 --time-masks 2 --time-mask-width 5] (xrnn's recipe)
  [--cell gru|lstm] [--hidden-size 128] [--num-layers 2] [--batch-size 32] [--lr 2e-3] [--clip-norm 5]
  [--val-fraction 0.05] [--seed 1] [--threads 0 (time 1 vs 2 threads, keep the faster)] [--json out.json]
"""
import argparse, copy, json, os, sys, time
import numpy as np
import torch, torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
p.add_argument("--features", required=True); p.add_argument("--time-budget", type=float, default=180)
p.add_argument("--threads", type=int, default=None); p.add_argument("--cell", choices=["gru", "lstm"], default="gru")
p.add_argument("--hidden-size", type=int, default=128); p.add_argument("--num-layers", type=int, default=2)
p.add_argument("--batch-size", type=int, default=32); p.add_argument("--lr", type=float, default=2e-3)
p.add_argument("--clip-norm", type=float, default=5.0); p.add_argument("--val-fraction", type=float, default=0.05)
p.add_argument("--seed", type=int, default=1); p.add_argument("--beam", type=int, default=0, choices=[0],
                                                              help="0 = greedy (the only decoder here)")
p.add_argument("--dropout", type=float, default=0.0, help="between recurrent layers, as xrnn's --dropout")
p.add_argument("--lr-schedule", choices=["step", "cosine"], default="step",
               help="cosine: from --lr to --lr-min over the time budget (xrnn decays over its steps; "
                    "the peer cannot know its step count in advance, so it decays over its training seconds)")
p.add_argument("--lr-min", type=float, default=0.0)
p.add_argument("--feature-noise", type=float, default=0.0, help="as xrnn-speech train --feature-noise")
p.add_argument("--time-masks", type=int, default=0, help="as xrnn-speech train --time-masks")
p.add_argument("--time-mask-width", type=int, default=0)
p.add_argument("--json")
a = p.parse_args()


def die(msg):
    print(f"speech_torch.py: {msg}", file=sys.stderr); sys.exit(2)


def read_list(path):
    """[(features (T, F) float32, [token str])] of a list file; paths are relative to its folder."""
    out, root = [], os.path.dirname(path)
    for n, line in enumerate(open(path), 1):
        if not line.strip():
            continue
        rel, _, labels = line.rstrip("\n").partition("\t")
        f = os.path.join(root, rel)
        if not os.path.isfile(f):
            die(f"{path}:{n}: missing feature file {f}")
        x = np.load(f)
        if x.ndim != 2 or x.dtype != np.float32:
            die(f"{f}: expected a float32 (T, F) array, got {x.dtype} {x.shape}")
        out.append((x, labels.split()))
    if not out:
        die(f"{path}: no utterances")
    return out


if not os.path.isdir(a.features):
    die(f"features folder {a.features} does not exist")
if not os.path.isfile(os.path.join(a.features, "train.list")):
    die(f"{a.features}: no train.list")
torch.manual_seed(a.seed)
train = read_list(os.path.join(a.features, "train.list"))
vocab = sorted({t for _, toks in train for t in toks})
cls = {t: i + 1 for i, t in enumerate(vocab)}  # class 0 is the CTC blank
F, C = train[0][0].shape[1], len(vocab) + 1


def encode(data, name):
    for x, toks in data:
        if x.shape[1] != F:
            die(f"{name}: an utterance has {x.shape[1]} features, train has {F}")
        if any(t not in cls for t in toks):
            die(f"{name}: token(s) {sorted(set(toks) - set(cls))} not in the training vocabulary {vocab}")
    return [(x, [cls[t] for t in toks]) for x, toks in data]


train = encode(train, "train.list")
# seeded held-out validation utterances, as xrnn's split_validation (a seeded permutation's first n)
perm = np.random.RandomState(a.seed).permutation(len(train))
n_val = max(1, round(a.val_fraction * len(train))) if a.val_fraction > 0 else 0
is_val = np.zeros(len(train), bool); is_val[perm[:n_val]] = True
val = [u for u, v in zip(train, is_val) if v]
train = [u for u, v in zip(train, is_val) if not v]

# per-dimension standardisation from the training steps (two passes in float64, std floor 1e-8)
steps = sum(len(x) for x, _ in train)
mean = sum(x.sum(0, dtype=np.float64) for x, _ in train) / steps
std = np.maximum(np.sqrt(sum(((x - mean) ** 2).sum(0) for x, _ in train) / steps), 1e-8)
norm = lambda data: [(torch.from_numpy(((x - mean) / std).astype(np.float32)), y) for x, y in data]
train, val = norm(train), norm(val)
tests = []
for name, desc in [("test", "held-out voices, connected"), ("test_isolated", "held-out voices, isolated"),
                   ("test_accent", "held-out accent, connected"), ("test_accent_isolated", "held-out accent, isolated")]:
    path = os.path.join(a.features, name + ".list")
    if os.path.isfile(path):
        tests.append((name, desc, norm(encode(read_list(path), name + ".list"))))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = {"gru": nn.GRU, "lstm": nn.LSTM}[a.cell](F, a.hidden_size, a.num_layers, bidirectional=True,
                                                           dropout=a.dropout)
        self.out = nn.Linear(2 * a.hidden_size, C)

    def forward(self, x, lengths):  # x (T, B, F) padded -> log-probs (T, B, C)
        h, _ = self.rnn(pack_padded_sequence(x, lengths, enforce_sorted=False))
        h, _ = pad_packed_sequence(h, total_length=x.shape[0])
        return self.out(h).log_softmax(-1)


def batch(data, idx):
    xs = [data[i][0] for i in idx]; ys = [data[i][1] for i in idx]
    lengths = torch.tensor([len(x) for x in xs])
    return (nn.utils.rnn.pad_sequence(xs), lengths, torch.tensor([c for y in ys for c in y]),
            torch.tensor([len(y) for y in ys]), ys)


def plan(epoch):
    """The epoch's batches as xrnn's Batcher: shuffle, sort by length within windows of 50 batches
    (so batches are length-homogeneous yet differ between epochs), cut, shuffle the batch order."""
    rng = np.random.default_rng([a.seed, epoch])
    idx, lens, w = rng.permutation(len(train)), [len(x) for x, _ in train], 50 * a.batch_size
    idx = [i for s in range(0, len(idx), w) for i in sorted(idx[s:s + w], key=lambda i: lens[i])]
    batches = [idx[s:s + a.batch_size] for s in range(0, len(idx), a.batch_size)]
    return [batches[k] for k in rng.permutation(len(batches))]


ctc = nn.CTCLoss(blank=0, reduction="mean", zero_infinity=False)


aug_rng = np.random.default_rng([a.seed, 7])


def augment(x, lengths):
    """xrnn's training-time augmentation (seq_train.hpp): noise on the valid steps, then per
    utterance time masks of up to time_mask_width steps (at most a fifth of it) set to 0."""
    if a.feature_noise > 0:
        noise = torch.from_numpy(aug_rng.standard_normal(x.shape).astype(np.float32)) * a.feature_noise
        valid = (torch.arange(x.shape[0])[:, None] < lengths[None, :]).float()[:, :, None]
        x = x + noise * valid
    for b, n in enumerate(lengths.tolist()):
        widest = min(a.time_mask_width, n // 5)
        for _ in range(a.time_masks if widest > 0 else 0):
            w = int(aug_rng.integers(0, widest + 1)); t0 = int(aug_rng.integers(0, n - w + 1))
            x[t0:t0 + w, b] = 0
    return x


def step(model, opt, idx):
    x, lengths, y, ylen, _ = batch(train, idx)
    x = augment(x, lengths)
    loss = ctc(model(x, lengths), y, lengths, ylen)
    opt.zero_grad(); loss.backward()
    nn.utils.clip_grad_norm_(model.parameters(), a.clip_norm)
    opt.step()
    return loss.item()


def evaluate(model, data):
    """Validation-style loss (mean over utterances) and greedy-decoded sequences, in length-sorted batches."""
    order = sorted(range(len(data)), key=lambda i: len(data[i][0]))
    total, hyps = 0.0, {}
    with torch.no_grad():
        for s in range(0, len(order), a.batch_size):
            idx = order[s:s + a.batch_size]
            x, lengths, y, ylen, _ = batch(data, idx)
            lp = model(x, lengths)
            total += ctc(lp, y, lengths, ylen).item() * len(idx)
            best = lp.argmax(-1)  # greedy: argmax per step, collapse repeats, drop blanks
            for b, i in enumerate(idx):
                path = best[: lengths[b], b].tolist()
                hyps[i] = [c for t, c in enumerate(path) if c != 0 and (t == 0 or c != path[t - 1])]
    return total / len(data), [hyps[i] for i in range(len(data))]


def edit_distance(h, r):
    d = list(range(len(r) + 1))
    for i, hc in enumerate(h, 1):
        prev, d[0] = d[0], i
        for j, rc in enumerate(r, 1):
            prev, d[j] = d[j], min(d[j] + 1, d[j - 1] + 1, prev + (hc != rc))
    return d[-1]


if a.threads == 0:  # search: 20 timed steps at 1 and 2 threads on a throwaway model, after warm-up
    probe = plan(0)[:25]; timing = {}
    for n in (1, 2):
        torch.set_num_threads(n); m = Model(); o = torch.optim.Adam(m.parameters(), lr=a.lr)
        for idx in probe[:5]: step(m, o, idx)
        t0 = time.perf_counter()
        for idx in probe[5:]: step(m, o, idx)
        timing[n] = time.perf_counter() - t0
        print(f"threads {n}: 20 steps in {timing[n]:.2f} s")
    a.threads = min(timing, key=timing.get)
if a.threads:
    torch.set_num_threads(a.threads)
threads = torch.get_num_threads()

torch.manual_seed(a.seed)
model = Model(); opt = torch.optim.Adam(model.parameters(), lr=a.lr)
params = sum(q.numel() for q in model.parameters())
print(f"torch {torch.__version__}, {threads} thread(s); {a.cell} {a.num_layers}x{a.hidden_size} bidirectional, "
      f"{params} parameters; {len(train)} train / {len(val)} val utterances, {F} features, {C} outputs")
n_steps = epoch = utts = 0; train_s = 0.0; best = (float("inf"), None, 0)
while train_s < a.time_budget:
    epoch += 1; losses = []
    for idx in plan(epoch - 1):
        t0 = time.perf_counter()
        if a.lr_schedule == "cosine":
            for g in opt.param_groups:
                g["lr"] = a.lr_min + (a.lr - a.lr_min) * (1 + np.cos(np.pi * min(1.0, train_s / a.time_budget))) / 2
        losses.append(step(model, opt, idx))
        train_s += time.perf_counter() - t0; n_steps += 1; utts += len(idx)
        if train_s >= a.time_budget:
            break  # like xrnn: stop mid-epoch and still validate the partial epoch
    model.eval(); val_loss, _ = evaluate(model, val); model.train()  # not counted in the budget
    if val_loss < best[0]:
        best = (val_loss, copy.deepcopy(model.state_dict()), epoch)
    print(f"epoch {epoch}  step {n_steps}  {train_s:.1f} s  train {np.mean(losses):.4f}  val {val_loss:.4f}"
          f"  {utts / train_s:.0f} utt/s{'  (best)' if best[2] == epoch else ''}", flush=True)

model.load_state_dict(best[1]); model.eval()
results, rows = {}, []
for name, desc, data in tests:
    _, hyps = evaluate(model, data)
    refs = [y for _, y in data]
    digits = sum(len(r) for r in refs)
    der = sum(edit_distance(h, r) for h, r in zip(hyps, refs)) / digits
    acc = sum(h == r for h, r in zip(hyps, refs)) / len(refs)
    results[name] = {"utts": len(refs), "digits": digits, "der": der, "string_acc": acc}
    rows.append((f"{name} ({desc})", len(refs), digits, der, acc))
w = max([len(r[0]) for r in rows] + [36])
print(f"{'test set':<{w}} {'utts':>7} {'digits':>7} {'digit error':>12} {'string acc':>10}")
for label, n, d, der, acc in rows:
    print(f"{label:<{w}} {n:>7} {d:>7} {100 * der:>11.2f}% {100 * acc:>9.2f}%")

record = {"impl": "torch", "torch": torch.__version__, "threads": threads, "cell": a.cell, "hidden_size": a.hidden_size,
          "num_layers": a.num_layers, "dropout": a.dropout, "lr_schedule": a.lr_schedule,
          "feature_noise": a.feature_noise, "time_masks": a.time_masks, "time_mask_width": a.time_mask_width,
          "parameters": params, "steps": n_steps, "epochs": epoch,
          "train_seconds": round(train_s, 3), "utts_per_s": round(utts / train_s, 2), "best_val_loss": best[0],
          "best_epoch": best[2], "tests": results}
print(json.dumps(record))
if a.json:
    with open(a.json, "w") as f:
        f.write(json.dumps(record, indent=1) + "\n")
