#!/usr/bin/python3
"""PyTorch peer for the char-LM quality benchmark: trains the same model the same way as
`xrnn-charlm train` for a fixed wall time and prints the validation loss.

Same data handling as xrnn: bytes, vocabulary = bytes seen, last 10% = validation, B contiguous
streams with T-step truncated BPTT and the hidden state carried across chunks (reset at each
epoch), Adam, global-norm clipping, validation over the whole split (64 streams, the leftover
tokens scored continuing the last stream).
usage: torch_charlm.py DATA SECONDS [--cell lstm] [--hidden-size 512] [--num-layers 1] ...
Run with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=2 (the best setting measured here).
"""
import argparse, math, time
import torch, torch.nn as nn

p = argparse.ArgumentParser()
p.add_argument("data"); p.add_argument("seconds", type=float)
p.add_argument("--cell", default="lstm"); p.add_argument("--hidden-size", type=int, default=512)
p.add_argument("--num-layers", type=int, default=1); p.add_argument("--embed-size", type=int, default=64)
p.add_argument("--batch-size", type=int, default=32); p.add_argument("--seq-len", type=int, default=64)
p.add_argument("--lr", type=float, default=2e-3); p.add_argument("--clip-norm", type=float, default=5.0)
p.add_argument("--dropout", type=float, default=0.0); p.add_argument("--threads", type=int, default=1)
p.add_argument("--seed", type=int, default=1)
p.add_argument("--lr-decay", type=float, default=1.0); p.add_argument("--lr-decay-every", type=int, default=1000)
p.add_argument("--lr-decay-start", type=int, default=0); p.add_argument("--lr-min", type=float, default=0.0)
p.add_argument("--weight-decay", type=float, default=0.0, help="decoupled (AdamW), as xrnn's")
p.add_argument("--ema", type=float, default=0.0, help="validate on a moving average of the weights, as xrnn's --ema")
p.add_argument("--like", help="an xrnn checkpoint: take cell, sizes, batch, seq_len, lr, schedule, clip, dropout, weight decay, ema from it")
a = p.parse_args()
if a.like:
    import json, struct
    buf = open(a.like, "rb").read()
    assert buf[:8] == b"XRNNCKPT", "not an xrnn checkpoint"
    (n,) = struct.unpack_from("<Q", buf, 12)
    c = json.loads(buf[20 : 20 + n])["config"]
    for k in ("cell", "hidden_size", "num_layers", "embed_size", "batch_size", "seq_len", "lr", "clip_norm", "dropout",
              "lr_decay", "lr_decay_every", "lr_decay_start", "lr_min"):
        setattr(a, k, c[k])
    a.weight_decay = c.get("weight_decay", 0.0)
    a.ema = c.get("ema", 0.0)  # absent in checkpoints older than --ema
    assert c.get("lr_schedule", "step") == "step" and c.get("weight_drop", 0.0) == 0.0, \
        "torch_charlm.py replicates the step lr schedule and no weight drop only"
    assert c.get("optimizer", "adam") == "adam", "torch_charlm.py replicates Adam only"
torch.set_num_threads(a.threads)  # 1 is best here: its GEMMs still get OPENBLAS_NUM_THREADS=2
torch.manual_seed(a.seed)

raw = open(a.data, "rb").read()
vocab = sorted(set(raw)); idx = {c: i for i, c in enumerate(vocab)}
ids = torch.tensor([idx[c] for c in raw], dtype=torch.long)
n_val = int(len(ids) * 0.1)
train, val = ids[: len(ids) - n_val], ids[len(ids) - n_val :]
V, B, T = len(vocab), a.batch_size, a.seq_len


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(V, a.embed_size)
        cls = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[a.cell]
        self.rnn = cls(a.embed_size, a.hidden_size, a.num_layers, dropout=a.dropout if a.num_layers > 1 else 0.0)
        self.drop = nn.Dropout(a.dropout)
        self.head = nn.Linear(a.hidden_size, V)

    def forward(self, x, h):
        y, h = self.rnn(self.emb(x), h)
        return self.head(self.drop(y)), h


def detach(h):
    return None if h is None else (tuple(t.detach() for t in h) if isinstance(h, tuple) else h.detach())


m = Model()
# AdamW with weight_decay 0 is Adam; with it, p -= lr * wd * p before the Adam step, as xrnn does
opt = torch.optim.AdamW(m.parameters(), lr=a.lr, weight_decay=a.weight_decay)
# xrnn's weight average: avg = d avg + (1 - d) p after step t, d = min(ema, (1 + t) / (10 + t))
# (the first step starts it at the weights)
avg = None
lossf = nn.CrossEntropyLoss()
L = (len(train) - 1) // B
chunks = L // T
starts = torch.arange(B) * L


def evaluate():
    if avg is not None:  # score the averaged weights, then put the trained ones back
        keep = [q.detach().clone() for q in m.parameters()]
        with torch.no_grad():
            for q, w in zip(m.parameters(), avg):
                q.copy_(w)
        v = evaluate_current()
        with torch.no_grad():
            for q, w in zip(m.parameters(), keep):
                q.copy_(w)
        return v
    return evaluate_current()


def evaluate_current():
    m.eval()
    n = len(val); S = max(1, min(64, (n - 1) // T)); Ls = (n - 1) // S
    total, count, h = 0.0, 0, None
    with torch.no_grad():
        for s in range(0, Ls, T):
            t = min(T, Ls - s)
            pos = torch.arange(S)[None, :] * Ls + s + torch.arange(t)[:, None]
            out, h = m(val[pos], h)
            total += nn.functional.cross_entropy(out.view(-1, V), val[pos + 1].view(-1), reduction="sum").item()
            count += t * S
        rest = (n - 1) - S * Ls
        if rest > 0:
            h = tuple(t[:, S - 1 : S].contiguous() for t in h) if isinstance(h, tuple) else h[:, S - 1 : S].contiguous()
            out, _ = m(val[S * Ls : n - 1].view(-1, 1), h)
            total += nn.functional.cross_entropy(out.view(-1, V), val[S * Ls + 1 :], reduction="sum").item()
            count += rest
    m.train()
    return total / count


h, k, step = None, 0, 0
t0 = time.perf_counter()
while time.perf_counter() - t0 < a.seconds:
    if k >= chunks:
        k, h = 0, None
    pos = starts[None, :] + k * T + torch.arange(T)[:, None]
    t = step + 1  # xrnn's step schedule: lr * decay^floor((t - start) / every), floored at lr_min
    lr = a.lr if a.lr_decay == 1.0 or t <= a.lr_decay_start else max(a.lr_min, a.lr * a.lr_decay ** ((t - a.lr_decay_start) // a.lr_decay_every))
    for g in opt.param_groups:
        g["lr"] = lr
    out, h = m(train[pos], detach(h))
    loss = lossf(out.view(-1, V), train[pos + 1].view(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(m.parameters(), a.clip_norm)
    opt.step()
    k += 1; step += 1
    if a.ema > 0 and avg is None:
        avg = [q.detach().clone() for q in m.parameters()]
    elif a.ema > 0:
        d = min(a.ema, (1 + step) / (10 + step))
        with torch.no_grad():
            for w, q in zip(avg, m.parameters()):
                w.mul_(d).add_(q, alpha=1 - d)
train_s = time.perf_counter() - t0
v = evaluate()
print(f"torch {torch.__version__} {a.cell} {a.num_layers}x{a.hidden_size} B={B} T={T} lr={a.lr} (decay {a.lr_decay}/{a.lr_decay_every} from {a.lr_decay_start}, min {a.lr_min}) dropout={a.dropout} weight_decay={a.weight_decay} ema={a.ema}: "
      f"{step} steps in {train_s:.0f} s ({step * B * T / train_s:.0f} tok/s), val {v:.4f} nats/char")
