"""xrnn.gradflow: the probe and training sweeps of `xrnn-gradflow`, called from Python.

Both run the C++ sweep (the gradflow wing) with the GIL released, write the same files as the
CLI (<stem>.csv, <stem>_summary.csv, <stem>.jsonl) into `out` (a temporary folder when None),
and return them read back: one dict per run, with the summary row's fields, the per-step
curve as NumPy arrays and the monitor's JSON report(s). Every option takes one value or a
list, and lists are swept over (every combination), as the CLI's comma-separated flags.

    runs = xrnn.gradflow.probe(cell='rnn', activation=['tanh', 'relu'], seq_len=100)
    runs[0]['dh']          # ||dL/dh_t|| for t = 1..T, loss on the final step only
    runs[0]['diagnosis']   # 'healthy' / 'vanishing' / 'exploding'
"""
import csv
import json
import math
import os
import tempfile

import numpy as np

from . import _xrnn

# columns of the CSVs that are text; every other column is a number (empty: None)
_TEXT = {"config", "cell", "activation", "recurrent_activation", "init", "diagnosis", "diagnosis_init",
         "diagnosis_final", "flags"}


def _values(v):
    return [v] if isinstance(v, (str, bytes, int, float)) else list(v)


def _cell(key, text):
    if key in _TEXT:
        return text.split(";") if key == "flags" and text else ([] if key == "flags" else text)
    if text == "":
        return None
    if text in ("yes", "no"):  # train_summary.csv's solved, exploded
        return text == "yes"
    x = float(text)  # fmt_num writes nan, inf, -inf as such
    return int(x) if x.is_integer() and key in ("seq_len", "seed", "t", "lag", "step", "steps_run",
                                                 "steps_to_solve", "horizon", "monitored") else x


def _rows(path):
    with open(path, newline="") as f:
        return [{k: _cell(k, v) for k, v in row.items()} for row in csv.DictReader(f)]


def _key(row):  # a run: its config label (gain, sigma_gamma, forget_bias in it), length and seed
    return (row["config"], int(row["seq_len"]), int(row["seed"]))


def _jsonl(path):
    out = {}
    with open(path) as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                out.setdefault(_key(r), []).append(r)
    return out


def _pow10(v):
    return 0.0 if v is None or v == -math.inf else 10.0 ** v


def _read(folder, stem):
    summary = _rows(os.path.join(folder, stem + "_summary.csv"))
    per_step = {}
    for row in _rows(os.path.join(folder, stem + ".csv")):
        per_step.setdefault(_key(row), []).append(row)
    reports = _jsonl(os.path.join(folder, stem + ".jsonl"))
    runs = []
    for s in summary:
        run = dict(s)
        rows = per_step.get(_key(s), [])
        if stem == "probe":
            run["t"] = np.array([r["t"] for r in rows], dtype=np.int64)
            run["dh"] = np.array([_pow10(r["log10_dh"]) for r in rows])
            run["dc"] = np.array([_pow10(r["log10_dc"]) for r in rows]) if rows and rows[0]["log10_dc"] is not None else None
            run["report"] = reports.get(_key(s), [None])[0]
        else:
            run["evals"] = rows
            run["reports"] = reports.get(_key(s), [])
        runs.append(run)
    return runs


def _run(fn, stem, options, out):
    options = {k: v for k, v in options.items() if v is not None}
    for k in ("cell", "activation", "recurrent_activation", "init", "gain", "sigma_gamma", "forget_bias",
              "seq_len", "seed"):
        if k in options:
            options[k] = _values(options[k])
    if out is not None:
        options["out"] = os.fspath(out)
        fn(options)
        return _read(options["out"], stem)
    with tempfile.TemporaryDirectory(prefix="xrnn-gradflow-") as tmp:
        options["out"] = os.path.join(tmp, stem)
        fn(options)
        return _read(options["out"], stem)


def probe(*, cell=("rnn", "gru", "lstm"), activation="tanh", recurrent_activation="sigmoid", init="uniform",
          gain=1.0, sigma_gamma=None, forget_bias=0.0, seq_len=200, seed=1, hidden_size=128, num_layers=1,
          batch_size=16, epsilon=1e-3, task="adding", threads=1, max_memory=0, out=None):
    """Untrained networks, one per combination: ||dL/dh_t|| (and ||dL/dc_t||) of a loss on the final
    step only, in double precision, with the monitor's static check and diagnosis
    (`xrnn-gradflow probe`, same defaults). Returns one dict per run: the probe_summary.csv row
    (sigma_max, gamma, log10_decay, per_step_rate, horizon, diagnosis, flags, ...), 't', 'dh' and
    'dc' (NumPy, t = 1..T; dc None without a cell state) and 'report' (the monitor's JSON)."""
    return _run(_xrnn._gradflow_probe, "probe", dict(
        task=task, cell=cell, activation=activation, recurrent_activation=recurrent_activation, init=init,
        gain=gain, sigma_gamma=sigma_gamma, forget_bias=forget_bias, seq_len=seq_len, seed=seed,
        hidden_size=hidden_size, num_layers=num_layers, batch_size=batch_size, epsilon=epsilon,
        threads=threads, max_memory=max_memory), out)


def train(*, task="adding", cell=("rnn", "gru", "lstm"), activation="tanh", recurrent_activation="sigmoid",
          init="uniform", gain=1.0, sigma_gamma=None, forget_bias=0.0, seq_len=100, seed=1, hidden_size=128,
          num_layers=1, batch_size=50, steps=2000, lr=1e-3, clip_norm=1.0, eval_every=100, monitor_every=100,
          test_size=1000, stop_when_solved=False, epsilon=1e-3, threads=1, max_memory=0, out=None):
    """Each combination trained on a synthetic long-range task (adding or temporal_order) with Adam
    and global-norm clipping (`xrnn-gradflow train`, same defaults). Returns one dict per run: the
    train_summary.csv row (test_loss, solved, steps_to_solve, clip_fraction, diagnosis_init,
    diagnosis_final, ...), 'evals' (the train.csv rows: one per evaluation) and 'reports' (the
    monitor's JSON of every monitored step)."""
    return _run(_xrnn._gradflow_train, "train", dict(
        task=task, cell=cell, activation=activation, recurrent_activation=recurrent_activation, init=init,
        gain=gain, sigma_gamma=sigma_gamma, forget_bias=forget_bias, seq_len=seq_len, seed=seed,
        hidden_size=hidden_size, num_layers=num_layers, batch_size=batch_size, steps=steps, lr=lr,
        clip_norm=clip_norm, eval_every=eval_every, monitor_every=monitor_every, test_size=test_size,
        stop_when_solved=stop_when_solved, epsilon=epsilon, threads=threads, max_memory=max_memory), out)
