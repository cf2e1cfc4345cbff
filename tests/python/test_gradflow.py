"""xrnn.gradflow.probe / train (python/src/gradflow.cpp, python/xrnn/gradflow.py): the files equal
the CLI's for the same options, the rows read back, and properties of the results."""
import csv
import os
import signal
import subprocess
import threading
import time

import numpy as np
import pytest

import xrnn
from conftest import tool


def test_probe_vanishing_and_flat_configurations():
    runs = xrnn.gradflow.probe(cell="rnn", activation=["tanh", "relu"], init=["orthogonal", "identity"],
                               gain=[0.5, 1.0], seq_len=50, hidden_size=16, batch_size=4)
    assert len(runs) == 8
    by = {(r["activation"], r["init"], r["gain"]): r for r in runs}
    for act in ("tanh", "relu"):
        r = by[(act, "orthogonal", 0.5)]  # sigma_max(W_hh) * gamma = 0.5: vanishing is guaranteed
        assert r["sigma_max"] == pytest.approx(0.5, rel=1e-6) and r["gamma"] == 1.0
        assert r["diagnosis"] == "vanishing" and "vanishing_guaranteed" in r["flags"]
        assert list(r["t"]) == list(range(1, 51)) and r["dc"] is None
        assert np.all(np.diff(r["dh"]) > 0)  # shrinking at every step back from the loss
        assert r["dh"][0] < 1e-14 * r["dh"][-1]
        assert r["per_step_rate"] <= 0.5
        assert r["log10_decay"] == pytest.approx(np.log10(r["dh"][0] / r["dh"][-1]), abs=1e-6)
        assert r["report"]["layers"][0]["log10_dh"] == pytest.approx(np.log10(r["dh"]), abs=1e-6)
    irnn = by[("relu", "identity", 1.0)]  # Le et al.'s IRNN keeps the gradient
    assert irnn["diagnosis"] == "healthy" and irnn["log10_decay"] > -1
    lstm = xrnn.gradflow.probe(cell="lstm", forget_bias=[0.0, 2.0], seq_len=40, hidden_size=16, batch_size=4)
    assert all(r["dc"] is not None and len(r["dc"]) == 40 for r in lstm)
    assert lstm[1]["forget_bias"] == 2.0 and lstm[1]["log10_decay"] > lstm[0]["log10_decay"]  # bias 2 flattens it


def read_csv(path, drop=()):
    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k not in drop} for row in csv.DictReader(f)]


def test_probe_and_train_equal_the_cli(tmp_path):
    cli = tool("XRNN_GRADFLOW")
    args = ["--cell", "rnn,gru,lstm", "--activation", "tanh,softsign", "--seq-len", "30", "--hidden-size", "12",
            "--batch-size", "5", "--seed", "1,2"]
    subprocess.run([cli, "probe", *args, "--out", str(tmp_path / "cli")], check=True, capture_output=True)
    runs = xrnn.gradflow.probe(cell=["rnn", "gru", "lstm"], activation=["tanh", "softsign"], seq_len=30,
                               hidden_size=12, batch_size=5, seed=[1, 2], out=tmp_path / "py")
    assert len(runs) == 12
    for name in ("probe.csv", "probe_summary.csv", "probe.jsonl"):
        with open(tmp_path / "cli" / name) as a, open(tmp_path / "py" / name) as b:
            assert a.read() == b.read(), name
    targs = ["--task", "adding", "--cell", "gru", "--seq-len", "10", "--hidden-size", "16", "--batch-size", "20",
             "--steps", "60", "--eval-every", "20", "--monitor-every", "20", "--test-size", "100"]
    subprocess.run([cli, "train", *targs, "--out", str(tmp_path / "tcli")], check=True, capture_output=True)
    (run,) = xrnn.gradflow.train(task="adding", cell="gru", seq_len=10, hidden_size=16, batch_size=20, steps=60,
                                 eval_every=20, monitor_every=20, test_size=100, out=tmp_path / "tpy")
    for name in ("train.csv", "train_summary.csv"):  # all but the wall-clock column
        assert read_csv(tmp_path / "tcli" / name, {"seconds"}) == read_csv(tmp_path / "tpy" / name, {"seconds"}), name
    assert run["steps_run"] == 60 and [e["step"] for e in run["evals"]] == [20, 40, 60]
    assert run["evals"][-1]["test_loss"] < run["evals"][0]["test_loss"]  # it learns
    assert run["solved"] in (True, False) and run["monitored"] == len(run["reports"]) == 3
    assert run["reports"][0]["layers"][0]["steps"] == 10


def test_bad_options():
    with pytest.raises(ValueError, match="transformer"):
        xrnn.gradflow.probe(cell="transformer")
    with pytest.raises(ValueError, match="seq_len"):
        xrnn.gradflow.probe(cell="rnn", seq_len=0)
    with pytest.raises(ValueError, match="hidden_size must be a whole number >= 0, got -4"):
        xrnn.gradflow.probe(cell="rnn", hidden_size=-4)
    with pytest.raises(ValueError, match="unknown gradflow option 'cells'"):
        xrnn._xrnn._gradflow_probe({"cells": ["rnn"]})


def test_ctrl_c_stops_a_sweep():
    # 40 runs of ~0.1 s; SIGINT after 0.3 s: the sweep stops at the next run and KeyboardInterrupt is raised
    # (Python's own handler, also where the suite was started with SIGINT ignored, as background jobs are)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.3, lambda: os.kill(os.getpid(), signal.SIGINT))
    t0 = time.perf_counter()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            xrnn.gradflow.probe(cell="lstm", seq_len=200, hidden_size=64, batch_size=16, seed=list(range(1, 41)))
        took = time.perf_counter() - t0
    finally:
        timer.join()
        signal.signal(signal.SIGINT, previous)
    assert took < 1.5, took
