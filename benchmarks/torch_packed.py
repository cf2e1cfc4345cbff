#!/usr/bin/python3
"""PyTorch peer of xrnn-seq-bench (issue 12): a bidirectional training step on packed sequences.

One step = zero_grad, pack_padded_sequence(x, lengths, enforce_sorted=False) -> nn.GRU / nn.LSTM
(F, H, L, bidirectional=True) -> pad_packed_sequence(total_length=T) -> loss = (y * r).sum()
with a fixed random r -> backward. No optimizer. The same random batch every step (x does not
require grad). Warm-up 3 steps, then >= 3 s.
Lengths: `equal` = all T; `uniform` = each in [min(10, T), T] from the 64-bit LCG that
benchmarks/seq_bench.cpp runs (seed 0, Knuth's MMIX constants, top 31 bits modulo the range).
usage: torch_packed.py CELL LENGTHS(equal|uniform) THREADS [H L B T F]
"""
import sys, time, torch, torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

cell, kind, th = sys.argv[1], sys.argv[2], int(sys.argv[3])
H, L, B, T, F = (list(map(int, sys.argv[4:9])) + [256, 2, 32, 100, 40][len(sys.argv[4:9]):])
assert kind in ("equal", "uniform"), kind


def make_lengths(kind, T, B):
    if kind == "equal":
        return [T] * B
    lo, s, out = min(10, T), 0, []
    for _ in range(B):
        s = (s * 6364136223846793005 + 1442695040888963407) % 2**64
        out.append(lo + (s >> 33) % (T - lo + 1))
    return out


torch.set_num_threads(th)
torch.manual_seed(0)
rnn = {"gru": nn.GRU, "lstm": nn.LSTM, "rnn": nn.RNN}[cell](F, H, L, bidirectional=True)
lengths = make_lengths(kind, T, B)
lens = torch.tensor(lengths, dtype=torch.int64)
x = torch.randn(T, B, F)
r = torch.randn(T, B, 2 * H)
t_fwd = t_bwd = 0.0


def step():
    global t_fwd, t_bwd
    a = time.perf_counter()
    rnn.zero_grad(set_to_none=True)
    packed = pack_padded_sequence(x, lens, enforce_sorted=False)
    out, _ = rnn(packed)
    y, _ = pad_packed_sequence(out, total_length=T)
    loss = (y * r).sum()
    b = time.perf_counter()
    loss.backward()
    c = time.perf_counter()
    t_fwd += b - a
    t_bwd += c - b
    return loss.item()


for _ in range(3):
    step()
t_fwd = t_bwd = 0.0
n, t0 = 0, time.perf_counter()
while time.perf_counter() - t0 < 3.0:
    loss = step()
    n += 1
dt = time.perf_counter() - t0
print(f"torch {torch.__version__} bi-{cell} H={H} L={L} B={B} T={T} F={F} threads={th} lengths={kind}: "
      f"{n} steps in {dt:.2f} s, loss {loss:.4g}")
print(f"lengths: sum {sum(lengths)}, mean {sum(lengths) / B:.2f}, valid-step fraction {sum(lengths) / (T * B):.3f}")
print(f"forward ms: {t_fwd / n * 1e3:.2f}  backward ms: {t_bwd / n * 1e3:.2f}")
print(f"ms/step: {dt / n * 1e3:.2f}")
print(f"sequences/s: {n * B / dt:.1f}")
