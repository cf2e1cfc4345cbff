"""The gradient-flow trace (Recurrent.set_flow_trace / flow_traces) and xrnn.GradMonitor
(python/src/monitor.cpp): the trace against adjoints computed independently by splitting the
sequence, the report's norms against NumPy on the gradient views, clipping."""
import numpy as np
import pytest

import xrnn


def test_trace_equals_the_adjoints_of_split_sequences():
    # ||dL/dh_s|| for a loss on the last step only: run steps s+1..T from the state at s and take
    # the gradient w.r.t. that initial state (dh0, dc0) -- the same quantity, computed another way
    T, B, H = 12, 3, 5
    rng = np.random.default_rng(4)
    rnn = xrnn.Recurrent("lstm", input_size=2, hidden_size=H, dtype=np.float64, seed=8)
    x = rng.standard_normal((T, B, 2))
    dy = np.zeros((T, B, H))
    dy[-1] = rng.standard_normal((B, H))
    rnn.set_flow_trace(True)
    rnn.forward(x)
    rnn.backward(dy)
    (tr,) = rnn.flow_traces()
    assert (tr["layer"], tr["direction"], tr["steps"]) == (0, 0, T)
    assert len(tr["h_total"]) == T + 1 and len(tr["c_total"]) == T + 1
    assert 0 < tr["forget_mean"] < 1
    ref = xrnn.Recurrent("lstm", input_size=2, hidden_size=H, dtype=np.float64, seed=8)
    for s in range(1, T):
        _, (h, c) = ref.forward(np.ascontiguousarray(x[:s]))
        ref.forward(np.ascontiguousarray(x[s:]), h, c)
        _, dh0, dc0 = ref.backward(np.ascontiguousarray(dy[s:]))
        want_h = np.linalg.norm(dh0[0], axis=1).mean()  # batch mean of per-sequence norms
        want_c = np.linalg.norm(dc0[0], axis=1).mean()
        assert tr["h_carry"][s] == pytest.approx(want_h, rel=1e-10)
        assert tr["h_total"][s] == pytest.approx(want_h, rel=1e-10)  # no direct gradient before T
        assert tr["c_carry"][s] == pytest.approx(want_c, rel=1e-10)
    assert tr["h_total"][T] == pytest.approx(np.linalg.norm(dy[-1], axis=1).mean(), rel=1e-12)
    # off: no trace is recorded
    rnn.set_flow_trace(False)
    rnn.forward(x)
    rnn.backward(dy)
    assert rnn.flow_traces() == []


def test_monitor_report():
    T = 60
    rng = np.random.default_rng(5)
    rnn = xrnn.Recurrent("rnn", input_size=3, hidden_size=16, init="orthogonal", gain=0.5, seed=2)
    x = rng.standard_normal((T, 4, 3)).astype(np.float32)
    dy = np.zeros((T, 4, 16), np.float32)
    dy[-1] = 1
    mon = xrnn.GradMonitor(dependency_length=T)
    with pytest.raises(ValueError, match=r"needs a backward run with set_flow_trace\(true\)"):
        rnn.forward(x)
        rnn.backward(dy)
        mon.report(rnn)
    rnn.set_flow_trace(True)
    rnn.zero_grad()
    rnn.forward(x)
    rnn.backward(dy)
    rep = mon.report(rnn, step=3, final_step_loss=True)
    grads = rnn.named_grads()
    # the norms, recomputed from the gradient views
    for name, g in grads.items():
        assert rep["tensor_norms"][name] == pytest.approx(np.linalg.norm(g.astype(np.float64)), rel=1e-6)
    total = np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads.values()))
    assert rep["global_norm"] == pytest.approx(total, rel=1e-9) and not rep["clipped"]
    (layer,) = rep["layers"]
    np.testing.assert_allclose(layer["dh"], rnn.flow_traces()[0]["h_total"][1:])
    # W_hh orthogonal x 0.5 and |tanh'| <= 1: sigma_max * gamma = 0.5, the gradient halves (or less) per step
    assert layer["sigma_max"] == pytest.approx(0.5, rel=1e-4) and layer["gamma"] == 1.0
    assert layer["per_step_rate"] <= 0.5
    assert layer["dh"][0] < 1e-12 * layer["dh"][-1]
    assert rep["diagnosis"] == "vanishing" and layer["diagnosis"] == "vanishing"
    assert "vanishing_guaranteed" in layer["flags"] and rep["step"] == 3
    assert rep["summary"].startswith("vanishing")


def test_clip_and_record_step():
    rnn = xrnn.Recurrent("gru", input_size=3, hidden_size=4, dtype=np.float64, seed=1)
    x = np.random.default_rng(6).standard_normal((5, 2, 3))
    y, _ = rnn.forward(x)
    rnn.set_flow_trace(True)
    rnn.forward(x)
    rnn.backward(10 * np.ones_like(y))
    before = {k: v.copy() for k, v in rnn.named_grads().items()}
    norm = np.sqrt(sum(np.sum(g ** 2) for g in before.values()))
    clip = rnn.clip_grad_norm_(0.1)
    assert float(clip) == pytest.approx(norm) and clip.clipped
    assert clip.norm_after == pytest.approx(0.1, rel=1e-4)
    scale = 0.1 / (norm + 1e-6)  # PyTorch's formula
    for k, g in rnn.named_grads().items():  # the views show the scaled gradients
        np.testing.assert_allclose(g, before[k] * scale, rtol=1e-12)
    mon = xrnn.GradMonitor(window=10)
    mon.record_step(clip)
    rep = mon.report(rnn, clip=clip)
    assert rep["clipped"] and rep["clip_count"] == 1 and mon.clip_count == 1 and mon.clip_fraction == 1.0
    assert rep["global_norm"] == pytest.approx(norm) and rep["global_norm_post"] == pytest.approx(0.1, rel=1e-4)
    assert not rnn.clip_grad_norm_(1e9).clipped
