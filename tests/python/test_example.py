"""examples/gradflow_activations.py runs (with a tiny setting) and writes its PNG."""
import os
import subprocess
import sys

import pytest

from conftest import ROOT


def test_gradflow_activations_example(tmp_path):
    pytest.importorskip("matplotlib", reason="SKIP: python3-matplotlib is not installed")
    out = tmp_path / "act.png"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "gradflow_activations.py"), "--seq-len", "20",
                        "--hidden-size", "8", "--batch-size", "2", "--activation", "tanh,sigmoid", "--out", str(out)],
                       capture_output=True, text=True, env=dict(os.environ))
    assert r.returncode == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    rates = {line.split(":")[0].strip(): float(line.split("per-step rate ")[1].split(",")[0])
             for line in r.stdout.splitlines() if "per-step rate" in line}
    assert set(rates) == {"tanh", "sigmoid"} and rates["sigmoid"] < rates["tanh"]  # sigmoid' <= 1/4
