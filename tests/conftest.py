"""Shared fixtures: the Keras oracle and float64 helpers."""

import importlib
import os

import numpy as np
import pytest

# Keras reads its backend once, at import: the oracle is Keras on JAX.
os.environ.setdefault("KERAS_BACKEND", "jax")


@pytest.fixture(scope="session")
def keras():
    """Keras 3 on the JAX backend, the oracle for compatibility tests.

    When the environment variable CI is set, a missing Keras is a failure:
    the oracle tests must run in CI, never silently skip.
    """
    os.environ["KERAS_BACKEND"] = "jax"
    try:
        module = importlib.import_module("keras")
    except ImportError as exc:
        if os.environ.get("CI"):
            pytest.fail(f"Keras is required for the oracle tests in CI: {exc}")
        pytest.skip(f"Keras is not installed: {exc}")
    if module.backend.backend() != "jax":
        pytest.fail(f"the oracle runs Keras on JAX, not {module.backend.backend()}")
    return module


def numeric_gradient(f, x, eps=1e-6):
    """Central-difference gradient of the scalar function f at x (float64)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + eps
        hi = f(x)
        x[i] = old - eps
        lo = f(x)
        x[i] = old
        grad[i] = (hi - lo) / (2 * eps)
    return grad


@pytest.fixture
def num_grad():
    return numeric_gradient


@pytest.fixture(scope="session")
def compiled():
    """`compiled(found, what)`: `found` (a compiled module or helper), or a
    skip when it is None; with CI set, a failure (numba comes with the test
    extra, so CI runs these tests)."""
    def require(found, what):
        if found is None:
            reason = (f"{what} is unavailable: numba missing, or KERASNP_FUSED=0 / "
                      "KERASNP_SPIN=0 in the environment")
            if os.environ.get("CI"):
                pytest.fail(reason)
            pytest.skip(reason)
        return found
    return require
