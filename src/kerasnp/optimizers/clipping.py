"""Gradient clipping, as Keras 3 applies it: by norm, by global norm, by value.

Each function writes into a buffer the caller owns (`out`) and returns the
array to use, which is the gradient itself when nothing changes, so a
step that clips nothing copies nothing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np


def squared_norm(grad: np.ndarray) -> float:
    """`sum(grad ** 2)`, without a temporary array."""
    flat = grad.reshape(-1)
    return float(np.dot(flat, flat))


def clip_by_norm(grad: np.ndarray, clipnorm: float, out: np.ndarray) -> np.ndarray:
    """`grad` rescaled so that its L2 norm is at most `clipnorm`.

    Example:
    >>> clip_by_norm(np.array([3.0, 4.0]), 1.0, np.empty(2))
    array([0.6, 0.8])
    """
    norm = math.sqrt(squared_norm(grad))
    if norm <= clipnorm:
        return grad
    return np.multiply(grad, clipnorm / norm, out=out)


def clip_by_value(grad: np.ndarray, clipvalue: float, out: np.ndarray) -> np.ndarray:
    """`grad` with every element clipped to `[-clipvalue, clipvalue]`.

    Example:
    >>> clip_by_value(np.array([2.0, -0.1, -7.0]), 0.5, np.empty(3))
    array([ 0.5, -0.1, -0.5])
    """
    return np.clip(grad, -clipvalue, clipvalue, out=out)


def clip_by_global_norm(
    grads: Sequence[np.ndarray], clipnorm: float, outs: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """All `grads` rescaled together so that the norm of their concatenation
    is at most `clipnorm`. An infinite or NaN norm makes every gradient NaN,
    as in Keras, so that the failure shows instead of a silent zero step.

    Example:
    >>> clip_by_global_norm([np.array([3.0]), np.array([4.0])], 1.0, [np.empty(1), np.empty(1)])
    [array([0.6]), array([0.8])]
    """
    norm = math.sqrt(sum(squared_norm(g) for g in grads))
    if math.isfinite(norm) and norm <= clipnorm:
        return list(grads)
    factor = clipnorm / norm if math.isfinite(norm) else math.nan
    return [np.multiply(g, factor, out=o) for g, o in zip(grads, outs, strict=True)]
