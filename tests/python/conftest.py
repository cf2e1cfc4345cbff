"""Shared paths for the Python module's tests (tests/python/meson.build runs them with the build's
python folder on PYTHONPATH; XRNN_CHARLM / XRNN_GRADFLOW name the built CLIs when there are)."""
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")


def tool(name):
    """Path of a built CLI from the environment, or a visible skip."""
    path = os.environ.get(name, "")
    if not path or not os.access(path, os.X_OK):
        pytest.skip(f"SKIP: {name} is not set to a built tool (meson test sets it when -Dtools=true)")
    return path


def max_rel_diff(a, b):
    """max |a - b| / (1 + |b|), the measure the C++ torch fixture tests use"""
    import numpy as np
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b) / (1 + np.abs(b)))) if a.size else 0.0
