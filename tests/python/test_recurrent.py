"""xrnn.Recurrent (python/src/recurrent.cpp): forward/backward against PyTorch's outputs and gradients
(tests/fixtures, written by make_torch_reference.py / make_torch_packed_reference.py) and against
finite differences, the argument checks, the no-copy input path and the parameter views."""
import gc
import os

import numpy as np
import pytest

import xrnn
from conftest import FIXTURES, max_rel_diff

# ---- PyTorch fixtures: 2 layers, input 5, hidden 6, seq_len 7; dense (batch 3) and packed
# (batch 4, lengths [3, 7, 1, 5]; uni, bi; bi with full lengths)

CASES = [("rnn", ""), ("gru", ""), ("lstm", "")] + [
    (cell, "packed/" + cell + "_" + v) for cell in ("rnn", "gru", "lstm") for v in ("uni", "bi", "bi_full")]

# largest differences seen, printed at the end of the run (pytest -s) and checked per case
WORST = {}


def load(folder):
    d = os.path.join(FIXTURES, folder)
    return {f[:-4]: np.load(os.path.join(d, f)) for f in os.listdir(d) if f.endswith(".npy")}


@pytest.mark.parametrize("dtype,tol", [(np.float64, 2e-7), (np.float32, 4e-6)])
@pytest.mark.parametrize("cell,sub", CASES)
def test_forward_backward_equal_pytorch(cell, sub, dtype, tol):
    f = load(sub or cell)
    bi = "_reverse" in "".join(f)
    rnn = xrnn.Recurrent(cell, input_size=5, hidden_size=6, num_layers=2, bidirectional=bi, dtype=dtype)
    names = [n for n, _ in rnn.named_parameters()]
    assert sorted(names) == sorted(k for k in f if k.replace("grad_", "", 1) == k and k.startswith(("weight", "bias")))
    for name, view in rnn.named_parameters():
        view[...] = f[name]  # through the views: the model's own memory
    cast = lambda k: np.ascontiguousarray(f[k], dtype=dtype)
    lengths = f["lengths"].tolist() if "lengths" in f else None
    lstm = cell == "lstm"
    y, (h, c) = rnn.forward(cast("x"), cast("h0"), cast("c0") if lstm else None, lengths=lengths)
    rnn.zero_grad()
    dx, dh0, dc0 = rnn.backward(cast("ry"), cast("rh"), cast("rc") if lstm else None)
    got = {"y": y, "hT": h, "grad_x": dx, "grad_h0": dh0}
    if lstm:
        got.update(cT=c, grad_c0=dc0)
    else:
        assert c is None and dc0 is None
    got.update({"grad_" + k: v for k, v in rnn.named_grads().items()})
    worst = max((max_rel_diff(v, f[k]), k) for k, v in got.items())
    WORST[(cell, sub, np.dtype(dtype).name)] = worst
    assert worst[0] < tol, worst
    assert len(got) == len([k for k in f if k in got]), "every output and gradient compared"
    assert np.abs(got["grad_weight_hh_l1"]).max() > 1e-2  # the comparison is not between zeros


def test_report_largest_differences():
    if not WORST:
        pytest.skip("no fixture cases ran")
    for dt in ("float64", "float32"):
        cases = {k: v for k, v in WORST.items() if k[2] == dt}
        k, v = max(cases.items(), key=lambda kv: kv[1][0])
        print(f"\nlargest difference vs PyTorch, {dt}: {v[0]:.3g} ({k[0]} {k[1] or 'dense'}, {v[1]})")


# ---- finite differences in float64 through the binding (every cell, non-default activations)

def loss_and_grads(rnn, x, h0, c0, lengths, ry, rh, rc, backward=True):
    y, (h, c) = rnn.forward(x, h0, c0, lengths=lengths)
    loss = float(np.sum(y * ry) + np.sum(h * rh) + (np.sum(c * rc) if c is not None else 0.0))
    if not backward:
        return loss
    rnn.zero_grad()
    dx, dh0, dc0 = rnn.backward(ry, rh, rc if c is not None else None)
    return loss, dx, dh0, dc0


@pytest.mark.parametrize("cell,act,ract,bi,lengths", [
    ("rnn", "softsign", "sigmoid", False, None),
    ("gru", "tanh", "sigmoid", True, [4, 2, 5]),
    ("lstm", "elu", "sigmoid", False, [5, 1, 3]),
    ("lstm_peephole", "tanh", "softsign", True, None),
])
def test_gradients_match_finite_differences(cell, act, ract, bi, lengths):
    rng = np.random.default_rng(7)
    rnn = xrnn.Recurrent(cell, input_size=3, hidden_size=4, num_layers=2, activation=act,
                         recurrent_activation=ract, bidirectional=bi, dtype=np.float64, seed=3)
    U, T, B = 2 * (2 if bi else 1), 5, 3
    x = rng.standard_normal((T, B, 3))
    h0 = 0.5 * rng.standard_normal((U, B, 4))
    has_c = cell.startswith("lstm")
    c0 = 0.5 * rng.standard_normal((U, B, 4)) if has_c else None
    ry = rng.standard_normal((T, B, rnn.output_size))
    rh = rng.standard_normal((U, B, 4))
    rc = rng.standard_normal((U, B, 4)) if has_c else None
    _, dx, dh0, dc0 = loss_and_grads(rnn, x, h0, c0, lengths, ry, rh, rc)
    grads = {k: v.copy() for k, v in rnn.named_grads().items()}
    eps, worst = 1e-6, 0.0

    def numeric(arr):
        g = np.zeros_like(arr)
        it = np.nditer(arr, flags=["multi_index"], op_flags=["readwrite"])
        for v in it:
            old = float(v)
            v[...] = old + eps
            lp = loss_and_grads(rnn, x, h0, c0, lengths, ry, rh, rc, backward=False)
            v[...] = old - eps
            lm = loss_and_grads(rnn, x, h0, c0, lengths, ry, rh, rc, backward=False)
            v[...] = old
            g[it.multi_index] = (lp - lm) / (2 * eps)
        return g

    for name, view in rnn.state_dict().items():  # perturbing the views perturbs the model
        worst = max(worst, max_rel_diff(grads[name], numeric(view)))
    worst = max(worst, max_rel_diff(dx, numeric(x)), max_rel_diff(dh0, numeric(h0)))
    if has_c:
        worst = max(worst, max_rel_diff(dc0, numeric(c0)))
    if lengths:  # padded inputs get no gradient
        for b, n in enumerate(lengths):
            assert not dx[n:, b].any()
    print(f"\nfinite differences, {cell} {act}/{ract}{' bidirectional' if bi else ''}: max rel diff {worst:.3g}")
    assert worst < 1e-7, worst


# ---- argument checks: one-line errors naming the argument, nothing converted implicitly

@pytest.fixture
def lstm32():
    return xrnn.Recurrent("lstm", input_size=5, hidden_size=6, num_layers=2, seed=1)


def test_bad_inputs_are_refused_with_clear_messages(lstm32):
    x = np.zeros((7, 3, 5), np.float32)
    cases = [
        (x.astype(np.float16), TypeError, "x has dtype float16 but this model is float32: pass x.astype(np.float32)"),
        (x.astype(np.float64), TypeError, "x has dtype float64 but this model is float32"),
        (x.astype(">f4"), TypeError, "x has dtype >f4"),
        (np.asfortranarray(np.ones((7, 3, 5), np.float32)), ValueError, "x is not C-contiguous (it is Fortran-ordered)"),
        (np.zeros((7, 6, 5), np.float32)[:, ::2], ValueError, "x is not C-contiguous (it is a strided view)"),
        (np.zeros((7, 5), np.float32), ValueError, "x must be 3-D (seq_len, batch, input_size) = (*, *, 5); got 2-D shape (7, 5)"),
        (np.zeros((7, 3, 4), np.float32), ValueError,
         "x has shape (7, 3, 4); expected (seq_len, batch, input_size) = (*, *, 5): input_size must be 5"),
        (np.zeros((0, 3, 5), np.float32), ValueError, "seq_len must be > 0"),
        (x.tolist(), TypeError, "x must be a C-contiguous float32 numpy.ndarray of shape (seq_len, batch, input_size) = (*, *, 5); got list"),
    ]
    for arg, exc, message in cases:
        with pytest.raises(exc) as e:
            lstm32.forward(arg)
        assert message in str(e.value), (str(e.value), message)
    with pytest.raises(ValueError, match=r"h0 has shape \(1, 3, 6\); expected \(num_layers, batch, hidden_size\) = \(2, 3, 6\): num_layers must be 2"):
        lstm32.forward(x, np.zeros((1, 3, 6), np.float32))
    with pytest.raises(TypeError, match="c0 has dtype float64"):
        lstm32.forward(x, None, np.zeros((2, 3, 6)))
    with pytest.raises(ValueError, match=r"lengths\[1\] = 8 is outside 1..7"):
        lstm32.forward(x, lengths=[7, 8, 1])
    with pytest.raises(ValueError, match=r"lengths\[0\] = -1 is outside 1..7"):
        lstm32.forward(x, lengths=np.array([-1, 2, 3]))
    with pytest.raises(TypeError, match=r"lengths\[2\] must be a whole number, got 1.5"):
        lstm32.forward(x, lengths=[1, 2, 1.5])
    with pytest.raises(ValueError, match="lengths has 2 entries but x has batch 3"):
        lstm32.forward(x, lengths=[1, 2])
    gru = xrnn.Recurrent("gru", input_size=5, hidden_size=6)
    with pytest.raises(ValueError, match="c0 is given but gru cells have no cell state"):
        gru.forward(x, None, np.zeros((1, 3, 6), np.float32))
    bi = xrnn.Recurrent("rnn", input_size=5, hidden_size=6, bidirectional=True)
    with pytest.raises(ValueError, match=r"expected \(2\*num_layers, batch, hidden_size\) = \(2, 3, 6\)"):
        bi.forward(x, np.zeros((1, 3, 6), np.float32))


def test_bad_constructor_arguments():
    for kwargs, exc, message in [
        (dict(dtype=np.float16), TypeError, "dtype must be np.float32 or np.float64, got float16"),
        (dict(cell="transformer"), ValueError, "valid cells: rnn, gru, lstm"),
        (dict(activation="sine"), ValueError, "sine"),
        (dict(hidden_size=0), ValueError, "hidden_size must be a whole number >= 1, got 0"),
        (dict(num_layers=-2), ValueError, "num_layers must be a whole number >= 1, got -2"),
        (dict(seed=-1), ValueError, "seed must be a whole number from 0 to 2**64 - 1, got -1"),
        (dict(init="xavier"), ValueError, "xavier"),
        (dict(cell="gru", forget_bias=1.0), ValueError, "forget_bias applies to cells with a forget gate"),
        (dict(dropout=1.5), ValueError, "dropout must be in [0, 1)"),
    ]:
        args = dict(cell="lstm", input_size=5, hidden_size=6)
        args.update(kwargs)
        with pytest.raises(exc) as e:
            xrnn.Recurrent(**args)
        assert message in str(e.value), (str(e.value), message)


def test_backward_checks(lstm32):
    x = np.zeros((7, 3, 5), np.float32)
    with pytest.raises(ValueError, match=r"run forward\(\) first"):
        lstm32.backward(np.zeros((7, 3, 6), np.float32))
    y, _ = lstm32.forward(x)
    with pytest.raises(ValueError, match=r"dy has shape \(7, 3, 5\); expected \(seq_len, batch, output_size\) = \(\*, 3, 6\)"):
        lstm32.backward(np.zeros((7, 3, 5), np.float32))
    with pytest.raises(ValueError, match=r"dy has shape \(6, 3, 6\) but the last forward produced outputs of shape \(7, 3, 6\)"):
        lstm32.backward(np.zeros((6, 3, 6), np.float32))
    with pytest.raises(ValueError, match=r"dh has shape \(2, 4, 6\)"):
        lstm32.backward(np.ones_like(y), np.zeros((2, 4, 6), np.float32))
    lstm32.backward(np.ones_like(y))
    # the backward consumed the forward's cache: a second one would differentiate garbage
    with pytest.raises(ValueError, match=r"backward\(\) differentiates the last forward\(\), once"):
        lstm32.backward(np.ones_like(y))


# ---- no copy on the way in

def test_c_contiguous_input_is_not_copied():
    rnn = xrnn.Recurrent("gru", input_size=5, hidden_size=6, seed=2)
    x = np.random.default_rng(0).standard_normal((9, 4, 5)).astype(np.float32)
    y, _ = rnn.forward(x)
    assert rnn.last_input_address == x.ctypes.data
    part = x[2:]  # a C-contiguous view into x: still read in place, at its offset
    assert part.flags.c_contiguous and part.base is x
    y2, _ = rnn.forward(part)
    assert rnn.last_input_address == x.ctypes.data + 2 * 4 * 5 * 4
    rnn.forward(part.copy())
    assert rnn.last_input_address != x.ctypes.data + 2 * 4 * 5 * 4  # the check can tell a copy
    # outputs are arrays owning the C++ result (no copy out either), writable, C order
    assert y.flags.c_contiguous and y.flags.writeable and not y.flags.owndata


# ---- parameters as views of the model's memory

def test_parameter_views_share_memory():
    rnn = xrnn.Recurrent("lstm", input_size=3, hidden_size=4, num_layers=1, seed=5, dtype=np.float64)
    x = np.random.default_rng(1).standard_normal((6, 2, 3))
    y1, _ = rnn.forward(x)
    sd = rnn.state_dict()
    assert [k for k, _ in rnn.named_parameters()] == list(sd)
    assert [p.shape for p in rnn.parameters()] == [(16, 3), (16, 4), (16,), (16,)]
    w = sd["weight_hh_l0"]
    assert np.shares_memory(w, rnn.state_dict()["weight_hh_l0"])  # every call views the same buffer
    saved = {k: v.copy() for k, v in sd.items()}
    w[...] = 0.0  # a write through the view...
    y2, _ = rnn.forward(x)
    assert np.abs(y2 - y1).max() > 1e-3  # ...changes the model
    ref = xrnn.Recurrent("lstm", input_size=3, hidden_size=4, num_layers=1, seed=99, dtype=np.float64)
    ref.load_state_dict(dict(saved, weight_hh_l0=np.zeros((16, 4))))
    np.testing.assert_array_equal(ref.forward(x)[0], y2)  # exactly the model with W_hh = 0
    # gradients: views too; zero_grad clears what the views show
    g = rnn.named_grads()["bias_ih_l0"]
    rnn.backward(np.ones_like(y2))
    assert np.abs(g).max() > 0
    once = g.copy()
    rnn.forward(x)
    rnn.backward(np.ones_like(y2))
    np.testing.assert_allclose(g, 2 * once)  # backward accumulates
    rnn.zero_grad()
    assert not g.any()
    # a view keeps the model alive
    del rnn, sd
    gc.collect()
    assert w.sum() == 0.0 and g.sum() == 0.0
    w[0, 0] = 1.0


def test_load_state_dict_checks_names_and_shapes():
    rnn = xrnn.Recurrent("gru", input_size=3, hidden_size=4)
    sd = {k: v.copy() for k, v in rnn.state_dict().items()}
    before = rnn.state_dict()["weight_ih_l0"].copy()
    with pytest.raises(KeyError, match="missing bias_hh_l0; unexpected bias_hh_l9"):
        rnn.load_state_dict({**{k: v for k, v in sd.items() if k != "bias_hh_l0"}, "bias_hh_l9": sd["bias_hh_l0"]})
    with pytest.raises(ValueError, match=r"'weight_hh_l0' has shape \(4, 12\); the model's is \(12, 4\)"):
        rnn.load_state_dict(dict(sd, weight_ih_l0=sd["weight_ih_l0"] + 1, weight_hh_l0=sd["weight_hh_l0"].T.copy()))
    np.testing.assert_array_equal(rnn.state_dict()["weight_ih_l0"], before)  # a refused load wrote nothing
    rnn.load_state_dict({"bias_ih_l0": np.ones(12)}, strict=False)
    assert (rnn.state_dict()["bias_ih_l0"] == 1).all()


def test_properties_and_modes():
    rnn = xrnn.Recurrent("gru", input_size=3, hidden_size=4, num_layers=2, bidirectional=True, dropout=0.5,
                         dtype="float64")
    assert (rnn.cell, rnn.input_size, rnn.hidden_size, rnn.num_layers, rnn.bidirectional) == ("gru", 3, 4, 2, True)
    assert rnn.dtype == np.float64 and rnn.output_size == 8 and rnn.training
    x = np.random.default_rng(2).standard_normal((5, 2, 3))
    a = rnn.eval().forward(x)[0]
    assert not rnn.training
    np.testing.assert_array_equal(a, rnn.forward(x)[0])  # eval: no dropout, deterministic
    assert np.abs(rnn.train().forward(x)[0] - a).max() > 1e-3  # training: dropout between the layers
    assert "gru" in xrnn.cells() and "softsign" in xrnn.activations() and "orthogonal" in xrnn.inits()
