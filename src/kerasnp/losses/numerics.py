"""Numerics shared by the cross-entropies: clipping bounds, stable softmax and sigmoid."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import config
from .._errors import KerasnpError


def class_axis(fn: str, axis: Any, ndim: int) -> int:
    """`axis` as a non-negative axis of an array of rank `ndim`, or an error."""
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise KerasnpError(
            f"Invalid value for argument `axis` of {fn}: expected an integer. "
            f"Received: axis={axis!r}"
        )
    if not -ndim <= axis < ndim:
        raise KerasnpError(
            f"Invalid value for argument `axis` of {fn}: expected an axis of the "
            f"predictions, which have rank {ndim}. Received: axis={axis}"
        )
    return int(axis) % ndim


def clip_bounds(dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """``eps`` and ``1 - eps`` in `dtype`: probabilities are clipped to this range."""
    eps = config.epsilon()
    return np.asarray(eps, dtype=dtype), np.asarray(1.0 - eps, dtype=dtype)


def log_softmax(z: np.ndarray, axis: int) -> np.ndarray:
    """``log(softmax(z))`` along `axis`, shifted by the maximum so nothing overflows."""
    shifted = z - np.max(z, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))


def softmax(z: np.ndarray, axis: int) -> np.ndarray:
    """``exp(z) / sum(exp(z))`` along `axis`, shifted by the maximum."""
    e = np.exp(z - np.max(z, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """``1 / (1 + exp(-z))`` without overflow for large negative `z`."""
    return np.exp(-np.logaddexp(0, -z))
