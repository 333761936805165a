"""Constructed learning curves for the fitting-lab tests.

Each builder returns a Keras-style ``history.history`` dict (keys sorted as
Keras sorts them) with deterministic, seeded noise, shaped like the real
MNIST runs the default thresholds were checked against.
"""

import math
import os
import types

import numpy as np
import pytest

LN10 = math.log(10)


def _noise(n, scale, seed):
    return np.random.default_rng(seed).normal(0.0, scale, n)


def decay(n, start, end, rate=0.35):
    """start -> end exponentially, per epoch."""
    t = np.arange(n)
    return end + (start - end) * np.exp(-rate * t)


def history(**curves):
    """A history dict with sorted keys and Python floats (None stays None)."""
    return {k: [None if v is None else float(v) for v in curves[k]] for k in sorted(curves)}


def overfitting(n=30, best=8, rise=0.4, seed=0):
    """Training loss falls to ~0; validation loss bottoms at `best` (1-based) and rises."""
    train = decay(n, 1.2, 0.002, 0.4)
    val = np.empty(n)
    val[:best] = decay(best, 0.8, 0.45, 0.6)
    vmin = val[best - 1]
    val[best:] = vmin * (1 + rise * np.arange(1, n - best + 1) / (n - best))
    val += _noise(n, 0.003, seed)
    val[best - 1] = vmin - 0.01  # make the minimum unambiguous
    acc = 1 - 0.5 * train / train[0]
    val_acc = np.full(n, 0.86) + _noise(n, 0.003, seed + 1)
    return history(loss=train, val_loss=val, accuracy=acc, val_accuracy=val_acc)


def underfitting(n=20, level=1.6, seed=0):
    """Both losses flat high above zero (70% of ln 10), the gap small."""
    train = decay(n, 2.2, level, 0.5) + _noise(n, 0.004, seed)
    val = train + 0.05 + _noise(n, 0.004, seed + 1)
    acc = 0.45 + 0.1 * (1 - np.exp(-0.5 * np.arange(n)))
    return history(loss=train, val_loss=val, accuracy=acc, val_accuracy=acc - 0.01)


def good_fit(n=20, seed=0):
    """Both losses settle; small gap; accuracy train 0.97, validation 0.955."""
    train = decay(n, 0.9, 0.10, 0.5) + _noise(n, 0.002, seed)
    val = decay(n, 0.8, 0.14, 0.6) + _noise(n, 0.003, seed + 1)
    acc = 0.97 - 0.3 * np.exp(-0.5 * np.arange(n))
    val_acc = 0.955 - 0.3 * np.exp(-0.6 * np.arange(n))
    return history(loss=train, val_loss=val, accuracy=acc, val_accuracy=val_acc)


def still_improving(n=10):
    """Both losses still falling steadily at the last epoch."""
    train = 2.0 * np.exp(-0.12 * np.arange(n)) + 0.05
    val = 2.1 * np.exp(-0.11 * np.arange(n)) + 0.08
    return history(loss=train, val_loss=val)


def unstable(n=24, seed=0):
    """A falling training loss with repeated 40-80% jumps, and a zigzag validation loss."""
    train = decay(n, 1.4, 0.15, 0.5)
    for t, jump in ((6, 1.8), (11, 1.6), (15, 1.7), (20, 1.5)):
        train[t] *= jump
    val = 0.45 + 0.05 * np.arange(n) / n + _noise(n, 0.01, seed)
    for t in (7, 12, 16, 21):
        val[t] *= 1.6
    return history(loss=train, val_loss=val)


def diverged_nan(n=8, at=4):
    """Finite for `at` epochs, then NaN (as Keras records it after the blow-up)."""
    train = list(decay(at, 2.0, 0.6)) + [float("nan")] * (n - at)
    val = list(decay(at, 2.0, 0.7)) + [float("nan")] * (n - at)
    return history(loss=train, val_loss=val)


@pytest.fixture
def curves():
    """The builders, as one namespace: ``curves.overfitting(...)`` etc."""
    return types.SimpleNamespace(
        decay=decay,
        history=history,
        overfitting=overfitting,
        underfitting=underfitting,
        good_fit=good_fit,
        still_improving=still_improving,
        unstable=unstable,
        diverged_nan=diverged_nan,
        LN10=LN10,
    )


@pytest.fixture
def mpl():
    """matplotlib, skipped when missing unless CI is set (then a failure)."""
    try:
        import matplotlib
    except ImportError as exc:  # pragma: no cover - depends on the environment
        if os.environ.get("CI"):
            pytest.fail(f"matplotlib is required for the plot tests in CI: {exc}")
        pytest.skip("matplotlib is not installed")
    return matplotlib
