"""Small robust statistics on short, possibly gappy curves (NaN = not recorded)."""

from __future__ import annotations

import math

import numpy as np

MAD_TO_SIGMA = 1.4826  # makes the median absolute deviation estimate a normal sigma


def window_size(n: int, fraction: float, minimum: int) -> int:
    """Points in the recent window: ``max(minimum, ceil(fraction * n))``, at most n."""
    return max(0, min(n, max(minimum, math.ceil(fraction * n))))


def theil_sen(x: np.ndarray, y: np.ndarray) -> float:
    """Median of the pairwise slopes (robust to one outlier); NaN if fewer than 2 points.

    >>> theil_sen(np.arange(5.0), np.array([0.0, 1.0, 2.0, 30.0, 4.0]))
    1.0
    """
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if len(x) < 2:
        return float("nan")
    i, j = np.triu_indices(len(x), k=1)
    dx = x[j] - x[i]
    keep = dx != 0
    if not keep.any():
        return float("nan")
    return float(np.median((y[j] - y[i])[keep] / dx[keep]))


def step_noise(y: np.ndarray) -> float:
    """Robust sigma of one epoch-to-epoch step, after the first quarter of the curve.

    ``1.4826 * median(|d - median(d)|)`` of the first differences ``d``: a
    steady trend moves the median, not the spread, so it is not counted as
    noise. The first quarter is left out because the early, fast and curved
    drop would count as noise. Returns 0.0 when fewer than three steps remain.
    """
    y = y[np.isfinite(y)]
    d = np.diff(y[len(y) // 4 :])
    if len(d) < 3:
        return 0.0
    return float(MAD_TO_SIGMA * np.median(np.abs(d - np.median(d))))


def rises(y: np.ndarray, rel: float, floor: float) -> list[int]:
    """Indices ``t`` where ``y[t] - y[t-1] > max(rel * |y[t-1]|, floor)`` (finite pairs only)."""
    out = []
    for t in range(1, len(y)):
        a, b = y[t - 1], y[t]
        if np.isfinite(a) and np.isfinite(b) and b - a > max(rel * abs(a), floor):
            out.append(t)
    return out


def swings(y: np.ndarray, rel: float, floor: float) -> list[int]:
    """Rises (as in `rises`) that are followed, at the next point, by a fall of the same kind.

    A rise that is undone is an oscillation; a rise that stays is a trend.
    """
    out = []
    for t in rises(y, rel, floor):
        if t + 1 < len(y) and np.isfinite(y[t + 1]):
            fall = y[t] - y[t + 1]
            if fall > max(rel * abs(y[t]) * 0.5, floor):
                out.append(t)
    return out


def running_min(y: np.ndarray) -> np.ndarray:
    """Running minimum that ignores NaN (NaN until the first finite value)."""
    out = np.full(len(y), np.nan)
    best = np.inf
    for t, v in enumerate(y):
        if np.isfinite(v) and v < best:
            best = v
        out[t] = best if np.isfinite(best) else np.nan
    return out


def first_last_improvement(y: np.ndarray, k_max: int = 5) -> float:
    """Relative improvement of the median of the last k points over the first k.

    ``k = max(1, min(k_max, n // 4))`` so that the two windows never overlap.
    Positive when the curve went down.
    """
    y = y[np.isfinite(y)]
    if len(y) < 2:
        return float("nan")
    k = max(1, min(k_max, len(y) // 4))
    first, last = float(np.median(y[:k])), float(np.median(y[-k:]))
    if first == 0:
        return 0.0
    return (first - last) / abs(first)
