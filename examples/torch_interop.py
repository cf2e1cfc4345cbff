#!/usr/bin/python3
"""PyTorch <-> xrnn through state_dict folders (Debian's python3-torch).

`xrnn-charlm export` / `xrnn-seq export` write a folder: config.json and one float32 .npy per
state_dict key. This script builds the matching torch.nn model from such a folder, and writes
folders from torch.nn models that `xrnn-charlm import` / `xrnn-seq import` read.

  torch_interop.py show DIR                 the torch.nn model of an export folder
  torch_interop.py score DIR --text FILE    char-LM: nats/char of a text, computed as `xrnn-charlm eval`
  torch_interop.py make-charlm DIR --text FILE [--cell lstm --hidden-size 64 --layers 1 --embed-size 32]
                                            a fresh torch char-LM for a text's bytes, written as a folder
  torch_interop.py check DIR                xrnn's outputs in DIR/<case>.check against torch (tests)
  torch_interop.py make-cases DIR           torch models and their outputs, for xrnn to import (tests)

Cells: nn.RNN / nn.GRU / nn.LSTM where torch has the cell with the folder's activations (RNN: tanh
or relu; GRU and LSTM: tanh candidate, sigmoid gates); any other activation, and the peephole LSTM,
run as an explicit loop over time (`ExplicitRecurrent`, the same equations and parameter names), so
the state_dict loads into it as well.
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


# ---- activations: xrnn's names (activation.hpp) as torch functions

def activation(name):
    base, _, arg = name.partition(":")
    alpha = float(arg) if arg else None
    table = {
        "tanh": torch.tanh,
        "sigmoid": torch.sigmoid,
        "relu": F.relu,
        "leaky_relu": lambda x: F.leaky_relu(x, 0.01 if alpha is None else alpha),
        "elu": lambda x: F.elu(x, 1.0 if alpha is None else alpha),
        "softsign": F.softsign,
        "hard_sigmoid": F.hardsigmoid,  # relu6(x + 3) / 6, as xrnn's
        "swish": F.silu, "silu": F.silu,
        "mish": F.mish,
        "gelu": F.gelu,  # the exact erf form, as xrnn's
        "softplus": lambda x: F.softplus(x, threshold=1e9),
        "identity": lambda x: x, "linear": lambda x: x,
    }
    if base not in table:
        raise ValueError(f"unknown activation '{name}'; valid: {', '.join(sorted(table))}")
    return table[base]


GATES = {"rnn": 1, "gru": 3, "lstm": 4, "lstm_peephole": 4}


def native_module(rnn):
    """nn.RNN / nn.GRU / nn.LSTM when torch has this cell with these activations, else None."""
    cell, act, ract = rnn["cell"], rnn["activation"], rnn["recurrent_activation"]
    kw = dict(input_size=rnn["input_size"], hidden_size=rnn["hidden_size"], num_layers=rnn["num_layers"],
              bidirectional=rnn["bidirectional"])
    if cell == "rnn" and act in ("tanh", "relu"):
        return nn.RNN(nonlinearity=act, **kw)
    if cell == "gru" and act == "tanh" and ract == "sigmoid":
        return nn.GRU(**kw)
    if cell == "lstm" and act == "tanh" and ract == "sigmoid":
        return nn.LSTM(**kw)
    return None


class ExplicitRecurrent(nn.Module):
    """A stack of RNN/GRU/LSTM/peephole-LSTM layers with any activations, as a loop over time.
    Parameters and shapes are PyTorch's (weight_ih_l0, ..., _reverse); variable lengths as
    pack_padded_sequence: outputs past a length are 0, the reverse direction runs over each
    sequence's own steps, h_n is the state after the last valid step."""

    def __init__(self, rnn):
        super().__init__()
        self.cell, self.H, self.L = rnn["cell"], rnn["hidden_size"], rnn["num_layers"]
        self.D = 2 if rnn["bidirectional"] else 1
        self.act, self.ract = activation(rnn["activation"]), activation(rnn["recurrent_activation"])
        G = GATES[self.cell] * self.H
        k = 1 / math.sqrt(self.H)
        for l in range(self.L):
            inp = rnn["input_size"] if l == 0 else self.D * self.H
            for d in range(self.D):
                s = f"_l{l}" + ("_reverse" if d else "")
                for name, shape in (("weight_ih", (G, inp)), ("weight_hh", (G, self.H)), ("bias_ih", (G,)),
                                    ("bias_hh", (G,))):
                    self.register_parameter(name + s, nn.Parameter(torch.empty(shape).uniform_(-k, k)))
                if self.cell == "lstm_peephole":
                    self.register_parameter("weight_peephole" + s, nn.Parameter(torch.empty(3 * self.H).uniform_(-k, k)))

    def step(self, s, x_t, h, c):
        gi = x_t @ getattr(self, "weight_ih" + s).T + getattr(self, "bias_ih" + s)
        gh = h @ getattr(self, "weight_hh" + s).T + getattr(self, "bias_hh" + s)
        if self.cell == "rnn":
            return self.act(gi + gh), c
        if self.cell == "gru":
            ir, iz, inn = gi.chunk(3, -1)
            hr, hz, hn = gh.chunk(3, -1)
            r, z = self.ract(ir + hr), self.ract(iz + hz)
            n = self.act(inn + r * hn)
            return (1 - z) * n + z * h, c
        gates = gi + gh
        i, f, g, o = gates.chunk(4, -1)
        if self.cell == "lstm_peephole":  # ONNX's P: i, f see c; o sees the new c
            pi, pf, po = getattr(self, "weight_peephole" + s).chunk(3)
            i, f = i + pi * c, f + pf * c
        i, f, g = self.ract(i), self.ract(f), self.act(g)
        c = f * c + i * g
        if self.cell == "lstm_peephole":
            o = o + po * c
        return self.ract(o) * self.act(c), c

    def forward(self, x, lengths, state=None):
        T, B, _ = x.shape
        valid = (torch.arange(T)[:, None] < lengths[None, :]).to(x.dtype)[..., None]  # (T, B, 1)
        hn, cn = [], []
        for l in range(self.L):
            outs = []
            for d in range(self.D):
                u = l * self.D + d
                s = f"_l{l}" + ("_reverse" if d else "")
                h = x.new_zeros(B, self.H) if state is None else state[0][u]
                c = x.new_zeros(B, self.H) if state is None or state[1] is None else state[1][u]
                y = [None] * T
                for t in (range(T) if d == 0 else range(T - 1, -1, -1)):
                    h2, c2 = self.step(s, x[t], h, c)
                    m = valid[t]  # rows past their length keep their state
                    h, c = m * h2 + (1 - m) * h, m * c2 + (1 - m) * c
                    y[t] = m * h
                outs.append(torch.stack(y))
                hn.append(h)
                cn.append(c)
            x = torch.cat(outs, -1)
        has_c = self.cell in ("lstm", "lstm_peephole")
        return x, (torch.stack(hn), torch.stack(cn) if has_c else None)


def run_stack(rnn, x, lengths, state=None):
    """y (T, B, D*H) zero past each length, and the final state (h, c or None)."""
    if isinstance(rnn, ExplicitRecurrent):
        return rnn(x, lengths, state)
    T = x.shape[0]
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths, enforce_sorted=False)
    if isinstance(rnn, nn.LSTM):
        y, (h, c) = rnn(packed, state)
    else:
        y, h = rnn(packed, None if state is None else state[0])
        c = None
    y, _ = nn.utils.rnn.pad_packed_sequence(y, total_length=T)
    return y, (h, c)


def make_stack(rnn):
    return native_module(rnn) or ExplicitRecurrent(rnn)


# ---- the two model kinds

class CharLM(nn.Module):
    """embedding -> stack -> linear head: logits per step (time-major, as xrnn)."""

    def __init__(self, config):
        super().__init__()
        V, E, H = len(config["vocab"]), config["embed_size"], config["rnn"]["hidden_size"]
        self.vocab = config["vocab"]
        self.embedding = nn.Embedding(V, E)
        self.rnn = make_stack(config["rnn"])
        self.head = nn.Linear(H, V)

    def forward(self, tokens, state=None):
        T, B = tokens.shape
        y, state = run_stack(self.rnn, self.embedding(tokens), torch.full((B,), T, dtype=torch.long), state)
        return self.head(y), state


class SeqNet(nn.Module):
    """xrnn-seq's model: standardizer, input layer, stack, pooling (last/mean/max) or per step, head."""

    def __init__(self, config, standardize):
        super().__init__()
        m = config["model"]
        self.task, self.pool, self.kind = m["task"], m["pool"], m["input"]
        if standardize:
            self.standardizer = nn.Module()
            self.standardizer.register_buffer("mean", torch.zeros(m["features"]))
            self.standardizer.register_buffer("std", torch.ones(m["features"]))
        else:
            self.standardizer = None
        if self.kind == "linear":
            self.input = nn.Linear(m["features"], m["input_size"])
        elif self.kind == "embedding":
            self.embedding = nn.Embedding(m["vocab"], m["input_size"])
        rnn = dict(m["rnn"])
        self.H, self.D = rnn["hidden_size"], 2 if rnn["bidirectional"] else 1
        self.rnn = make_stack(rnn)
        self.head = nn.Linear(self.D * self.H, m["outputs"])

    def forward(self, x, lengths):
        """x (T, B, features), lengths (B) -> outputs: (B, C) many-to-one, (T*B, C) per step."""
        if self.standardizer is not None:
            x = (x - self.standardizer.mean) / self.standardizer.std
        if self.kind == "linear":
            x = self.input(x)
        elif self.kind == "embedding":
            x = self.embedding(x[..., 0].long())
        y, (h, _) = run_stack(self.rnn, x, lengths)
        T, B, R = y.shape
        if self.task in ("tag", "ctc"):
            return self.head(y.reshape(T * B, R))
        valid = (torch.arange(T)[:, None] < lengths[None, :])[..., None]
        if self.pool == "last":  # h_n of the top layer, forward then reverse (PyTorch's)
            pooled = torch.cat([h[-self.D + d] for d in range(self.D)], -1)
        elif self.pool == "mean":
            pooled = (y * valid).sum(0) / lengths[:, None].to(y.dtype)
        else:
            pooled = y.masked_fill(~valid, -math.inf).max(0).values
        return self.head(pooled)


# ---- folders

def load_folder(folder):
    with open(os.path.join(folder, "config.json")) as f:
        config = json.load(f)
    if config.get("format") != "xrnn-state-dict":
        sys.exit(f"{folder}: not an xrnn state_dict export (config.json's format is {config.get('format')!r})")
    state = {k: torch.from_numpy(np.load(os.path.join(folder, k + ".npy")).astype(np.float32))
             for k in config["tensors"]}
    if config["kind"] == "charlm":
        model = CharLM(config)
    else:
        model = SeqNet(config, "standardizer.mean" in state)
    model.load_state_dict(state, strict=True)
    return config, model.eval()


def save_folder(folder, config, model):
    """A torch model as a folder xrnn imports (config.json + one .npy per state_dict key)."""
    os.makedirs(folder)
    state = {k: v.detach().cpu().numpy().astype(np.float32) for k, v in model.state_dict().items()}
    config = dict(config, format="xrnn-state-dict", version=1, tensors={k: list(v.shape) for k, v in state.items()})
    for k, v in state.items():
        np.save(os.path.join(folder, k + ".npy"), v)
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(config, f, indent=1)


def rnn_config(cell, input_size, hidden, layers, bidirectional=False, act="tanh", ract="sigmoid"):
    return dict(cell=cell, input_size=input_size, hidden_size=hidden, num_layers=layers,
                bidirectional=bidirectional, activation=act, recurrent_activation=ract)


def seq_config(task, features, outputs, rnn, input="none", input_size=0, vocab=0, pool="last"):
    classes = [] if task == "regress" else [f"c{i}" for i in range(outputs - (task == "ctc"))]
    rnn = dict(rnn, dropout=0.0, weight_drop=0.0)
    return dict(kind="seq", classes=classes,
                model=dict(task=task, features=features, outputs=outputs, input=input, input_size=input_size,
                           vocab=vocab, pool=pool, zero_infinity=False, rnn=rnn))


# ---- char-LM scoring exactly as xrnn-charlm eval (charlm/src/char_train.cpp evaluate_tokens)

@torch.no_grad()
def score_text(config, model, data, streams=64):
    index = {b: i for i, b in enumerate(config["vocab"])}
    missing = sorted(set(data) - set(index))
    if missing:
        sys.exit(f"byte {missing[0]} of the text is not in the model's vocabulary")
    tokens = torch.tensor([index[b] for b in data])
    seq_len = config.get("xrnn_config", {}).get("seq_len", 64)
    n = len(tokens)
    S = max(1, min(streams, (n - 1) // max(seq_len, 1)))
    L = (n - 1) // S
    x = torch.stack([tokens[b * L:b * L + L] for b in range(S)], 1)
    y = torch.stack([tokens[b * L + 1:b * L + L + 1] for b in range(S)], 1)
    logits, (h, c) = model(x)
    total = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1), reduction="sum").item()
    if (n - 1) - S * L > 0:  # the rest continues the last stream
        state = (h[:, S - 1:S].contiguous(), None if c is None else c[:, S - 1:S].contiguous())
        logits, _ = model(tokens[S * L:n - 1, None], state)
        total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tokens[S * L + 1:], reduction="sum").item()
    return total / (n - 1)


# ---- the test's two directions

def max_diff(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return math.inf
    return float(np.max(np.abs(a - b) / (1 + np.abs(b))))


@torch.no_grad()
def outputs_of(config, model, check):
    x = torch.from_numpy(np.load(os.path.join(check, "x.npy")))
    if config["kind"] == "charlm":
        tokens = x.long()
        logits, _ = model(tokens[:, :1])  # stream 0, all steps
        out, _ = model(tokens[:-1])
        loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), tokens[1:].reshape(-1))
        return {"logits.npy": logits[:, 0].numpy(), "loss.npy": np.array([loss.item()], np.float32)}
    lengths = torch.from_numpy(np.load(os.path.join(check, "lengths.npy"))).long()
    return {"outputs.npy": model(x, lengths).numpy()}


def check(folder, tol=2e-4):
    """Every DIR/<case>: the torch model's outputs against xrnn's in DIR/<case>.check."""
    cases = sorted(d for d in os.listdir(folder) if not d.endswith(".check"))
    failed = 0
    for case in cases:
        config, model = load_folder(os.path.join(folder, case))
        got = outputs_of(config, model, os.path.join(folder, case + ".check"))
        diff = max(max_diff(np.load(os.path.join(folder, case + ".check", k)), v) for k, v in got.items())
        kind = "nn." + type(model.rnn).__name__ if not isinstance(model.rnn, ExplicitRecurrent) else "explicit loop"
        ok = diff <= tol
        failed += not ok
        print(f"{case:34s} xrnn -> torch ({kind:13s}) max |diff|/(1+|xrnn|) {diff:.2e}  {'ok' if ok else 'FAIL'}")
    if not cases:
        sys.exit(f"no cases in {folder}")
    return 1 if failed else 0


def make_cases(folder):
    """Torch models with torch's own initialisation (biases moved off zero), their folders and outputs."""
    torch.manual_seed(5)
    T, B = 9, 3
    vocab = list(range(ord("a"), ord("a") + 11))
    cases = []
    for name, cell, layers, act, ract in [("char_lstm", "lstm", 2, "tanh", "sigmoid"), ("char_gru", "gru", 1, "tanh", "sigmoid"),
                                          ("char_rnn_relu", "rnn", 1, "relu", "sigmoid"),
                                          ("char_gru_softsign", "gru", 1, "softsign", "hard_sigmoid")]:
        config = dict(kind="charlm", vocab=vocab, embed_size=7, rnn=rnn_config(cell, 7, 12, layers, act=act, ract=ract))
        cases.append((name, config, CharLM(config), torch.randint(0, len(vocab), (T, B)).float(), None))
    for name, config, std in [
            ("seq_lstm_bi_classify_last", seq_config("classify", 5, 4, rnn_config("lstm", 5, 10, 2, True)), True),
            ("seq_gru_bi_tag_linear", seq_config("tag", 5, 4, rnn_config("gru", 6, 10, 1, True), "linear", 6), False),
            ("seq_rnn_regress_mean", seq_config("regress", 5, 2, rnn_config("rnn", 5, 10, 1), pool="mean"), True),
            ("seq_lstm_ctc_embedding", seq_config("ctc", 1, 4, rnn_config("lstm", 6, 10, 1), "embedding", 6, 8), False),
            ("seq_gru_max_elu", seq_config("classify", 5, 3, rnn_config("gru", 6, 10, 1, True, "elu:0.5", "hard_sigmoid"),
                                           "linear", 6, pool="max"), True)]:
        m = config["model"]
        x = torch.randint(0, 8, (T, B, 1)).float() if m["input"] == "embedding" else torch.randn(T, B, m["features"])
        cases.append((name, config, SeqNet(config, std), x, torch.tensor([T, 4, 7])))
    os.makedirs(folder, exist_ok=True)
    for name, config, model, x, lengths in cases:
        with torch.no_grad():
            for k, p in model.named_parameters():
                if "bias" in k:
                    p.uniform_(-0.5, 0.5)
            if getattr(model, "standardizer", None) is not None:
                model.standardizer.mean.uniform_(-0.5, 0.5)
                model.standardizer.std.uniform_(0.5, 1.5)
        model.eval()
        save_folder(os.path.join(folder, name), config, model)
        check_dir = os.path.join(folder, name + ".check")
        os.makedirs(check_dir)
        np.save(os.path.join(check_dir, "x.npy"), x.numpy().astype(np.float32))
        if lengths is not None:
            np.save(os.path.join(check_dir, "lengths.npy"), lengths.numpy().astype(np.float32))
        for k, v in outputs_of(config, model, check_dir).items():
            np.save(os.path.join(check_dir, k), v.astype(np.float32))
    print(f"wrote {len(cases)} torch models with their outputs to {folder}")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("command", choices=["show", "score", "make-charlm", "check", "make-cases"])
    ap.add_argument("dir")
    ap.add_argument("--text", help="a text file (score, make-charlm)")
    ap.add_argument("--cell", default="lstm", choices=sorted(GATES))
    ap.add_argument("--hidden-size", type=int, default=64)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--embed-size", type=int, default=32)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(1)
    if a.command == "show":
        config, model = load_folder(a.dir)
        print(model)
        print(f"{sum(p.numel() for p in model.parameters())} parameters")
        return 0
    if a.command == "score":
        if not a.text:
            sys.exit("score needs --text FILE")
        config, model = load_folder(a.dir)
        with open(a.text, "rb") as f:
            nats = score_text(config, model, f.read())
        print(f"{a.text}: {nats:.4f} nats/char, {nats / math.log(2):.4f} bits/char (torch)")
        return 0
    if a.command == "make-charlm":
        if not a.text:
            sys.exit("make-charlm needs --text FILE")
        torch.manual_seed(a.seed)
        with open(a.text, "rb") as f:
            vocab = sorted(set(f.read()))
        config = dict(kind="charlm", vocab=vocab, embed_size=a.embed_size,
                      rnn=rnn_config(a.cell, a.embed_size, a.hidden_size, a.layers))
        save_folder(a.dir, config, CharLM(config))
        print(f"wrote {a.dir}: a torch {a.cell} char-LM over {len(vocab)} symbols")
        return 0
    if a.command == "check":
        return check(a.dir)
    return make_cases(a.dir)


if __name__ == "__main__":
    sys.exit(main())
