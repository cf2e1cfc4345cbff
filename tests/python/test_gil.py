"""Long calls release the GIL: while one runs, another Python thread keeps running.

A spinning thread stamps the clock every millisecond it gets to run. During a call that holds
the GIL it cannot run at all (a C call is never interrupted to hand the GIL over), so its
stamps show a gap as long as the call; during a call that released the GIL they keep coming.
The control, a regular expression with catastrophic backtracking (CPython's re engine holds
the GIL), shows that the measurement tells the two apart."""
import os
import re
import threading
import time

import numpy as np
import pytest

import xrnn
from conftest import FIXTURES, ROOT


def longest_pause(call):
    """(duration of call(), longest stretch in it during which another Python thread did not run)"""
    stamps, stop = [], threading.Event()

    def spin():
        last = time.perf_counter()
        while not stop.is_set():
            t = time.perf_counter()
            if t - last >= 0.001:
                stamps.append(t)
                last = t

    th = threading.Thread(target=spin)
    th.start()
    time.sleep(0.02)
    t0 = time.perf_counter()
    call()
    t1 = time.perf_counter()
    stop.set()
    th.join()
    inside = [s for s in stamps if t0 < s < t1]
    return t1 - t0, float(np.diff([t0] + inside + [t1]).max())


def check_released(make_call, label):
    # grow the work until the call lasts long enough to be judged (machines differ in speed)
    for scale in (1, 2, 4, 8):
        duration, pause = longest_pause(make_call(scale))
        if duration >= 0.15:
            break
    assert duration >= 0.15, f"{label}: the call took only {duration:.3f} s"
    print(f"\n{label}: call {duration:.3f} s, other thread's longest pause {pause:.3f} s")
    assert pause < 0.4 * duration, f"{label}: the other thread stalled {pause:.3f} s of a {duration:.3f} s call"


def test_the_measurement_sees_a_call_that_holds_the_gil():
    duration, pause = longest_pause(lambda: re.match(r"(a+)+$", "a" * 22 + "b"))
    assert duration >= 0.05
    assert pause > 0.8 * duration, (duration, pause)


def test_forward_and_backward_release_the_gil():
    rnn = xrnn.Recurrent("lstm", input_size=64, hidden_size=256, seed=1)
    x = np.random.default_rng(0).standard_normal((1200, 32, 64)).astype(np.float32)
    rnn.forward(x[:10])  # first-call allocations out of the way
    rnn.backward(np.zeros((10, 32, 256), np.float32))
    check_released(lambda s: lambda: rnn.forward(x[:150 * s]), "forward")

    def backward(s):
        y, _ = rnn.forward(x[:150 * s])
        return lambda: rnn.backward(y)
    check_released(backward, "backward")


def test_probe_releases_the_gil():
    check_released(lambda s: lambda: xrnn.gradflow.probe(cell="lstm", seq_len=100 * s, hidden_size=128, batch_size=16),
                   "gradflow.probe")


def test_sample_and_evaluate_release_the_gil():
    lm = xrnn.load_char_model(os.path.join(FIXTURES, "charlm_v1.ckpt"))
    with open(os.path.join(ROOT, "examples", "data", "tinyshakespeare.txt"), "rb") as f:
        text = f.read(3000)  # the fixture's training text: every byte is in its vocabulary
    check_released(lambda s: lambda: lm.sample(length=50000 * s), "CharLM.sample")
    check_released(lambda s: lambda: lm.evaluate(text * 15 * s), "CharLM.evaluate")
