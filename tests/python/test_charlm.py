"""xrnn.load_char_model (python/src/charlm.cpp) on the committed checkpoint tests/fixtures/charlm_v1.ckpt
(a 2x16 LSTM trained 6 steps on the first 3000 bytes of tinyshakespeare): sample() equals
`xrnn-charlm sample`, evaluate() equals PyTorch's score of the exported model and `xrnn-charlm eval`."""
import importlib.util
import math
import os
import re
import subprocess

import pytest

import xrnn
from conftest import FIXTURES, ROOT, tool

CKPT = os.path.join(FIXTURES, "charlm_v1.ckpt")


@pytest.fixture(scope="module")
def lm():
    return xrnn.load_char_model(CKPT)


@pytest.fixture(scope="module")
def text():
    with open(os.path.join(ROOT, "examples", "data", "tinyshakespeare.txt"), "rb") as f:
        return f.read(3000)


def test_checkpoint_metadata(lm):
    assert lm.step == 6 and lm.averaged
    cfg = lm.config
    assert (cfg["cell"], cfg["hidden_size"], cfg["num_layers"], cfg["embed_size"]) == ("lstm", 16, 2, 8)
    assert len(lm.vocab) == 52 and lm.vocab == bytes(sorted(lm.vocab))


def test_sample_properties(lm):
    s = lm.sample(length=400, temperature=1.0, seed=3)
    assert len(s) == 400 and set(s.encode()) <= set(lm.vocab)
    assert lm.sample(length=400, seed=3) == s  # the seed fixes the draw
    assert lm.sample(length=400, seed=4) != s
    p = lm.sample(prime="First", length=50, seed=3)
    assert p.startswith("First") and len(p) == 55
    # temperature 0 is argmax: the same text for every seed
    assert lm.sample(length=80, temperature=0, seed=1) == lm.sample(length=80, temperature=0, seed=2)
    assert lm.sample_bytes(length=10, seed=3) == s[:10].encode()
    assert lm.sample(length=0) == ""


def test_sample_equals_the_cli(lm):
    cli = tool("XRNN_CHARLM")
    for prime, length, temperature, seed in (("First", 300, 0.8, 5), ("", 200, 1.0, 11), ("All:", 100, 0.0, 1)):
        out = subprocess.run([cli, "sample", "--checkpoint", CKPT, "--prime", prime, "--length", str(length),
                              "--temperature", str(temperature), "--seed", str(seed)],
                             check=True, capture_output=True).stdout
        assert out == lm.sample_bytes(prime=prime, length=length, temperature=temperature, seed=seed) + b"\n"


def test_evaluate_equals_pytorch_and_the_cli(lm, text, tmp_path):
    cli = tool("XRNN_CHARLM")
    torch = pytest.importorskip("torch", reason="SKIP: python3-torch is not installed")
    got = lm.evaluate(text)
    assert got["chars"] == 2999 and got["bpc"] == pytest.approx(got["loss"] / math.log(2), rel=1e-15)
    assert got == lm.evaluate(text.decode())  # str is encoded as UTF-8: the same bytes here
    # the CLI's number (4 decimals)
    out = subprocess.run([cli, "eval", "--checkpoint", CKPT, "--data", str(write(tmp_path / "t.txt", text))],
                         check=True, capture_output=True, text=True).stdout
    assert float(re.search(r": ([0-9.]+) nats/char", out).group(1)) == pytest.approx(got["loss"], abs=5e-5)
    # PyTorch on the exported state_dict (examples/torch_interop.py scores as xrnn-charlm eval does)
    folder = tmp_path / "export"
    subprocess.run([cli, "export", "--checkpoint", CKPT, "--out", str(folder)], check=True, capture_output=True)
    spec = importlib.util.spec_from_file_location("torch_interop", os.path.join(ROOT, "examples", "torch_interop.py"))
    interop = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(interop)
    torch.set_num_threads(1)
    config, model = interop.load_folder(str(folder))
    want = interop.score_text(config, model, text)
    print(f"\nevaluate: xrnn {got['loss']:.9f} nats/char, torch {want:.9f}, rel diff {abs(got['loss'] - want) / want:.2g}")
    assert got["loss"] == pytest.approx(want, rel=2e-6)


def write(path, data):
    path.write_bytes(data)
    return path


def test_errors(lm):
    with pytest.raises(ValueError, match=r"byte 120 \('x'\) at offset 2 is not in the model's vocabulary of 52 symbols"):
        lm.evaluate("Fix")
    with pytest.raises(ValueError, match="need at least 2 to evaluate"):
        lm.evaluate("F")
    with pytest.raises(TypeError, match="text must be str or bytes, got list"):
        lm.evaluate(["First"])
    with pytest.raises(ValueError, match="length must be a whole number from 0"):
        lm.sample(length=-1)
    with pytest.raises(ValueError, match="temperature"):
        lm.sample(temperature=float("nan"))
    with pytest.raises(xrnn.CheckpointError, match="does not exist"):
        xrnn.load_char_model(os.path.join(FIXTURES, "no_such.ckpt"))
    with pytest.raises(xrnn.CheckpointError, match="bad magic number"):
        xrnn.load_char_model(os.path.join(ROOT, "README.md"))
