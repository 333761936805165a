"""Numerics shared by the loss functions: input pairing, clipping bounds, the
gradient of a mean, stable softmax and sigmoid."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .. import config
from .._errors import KerasnpError
from .loss import float_array, squeeze_or_expand_to_same_rank


def paired(fn: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    """Float arrays of one shape (a trailing axis of size 1 is reconciled)."""
    y_pred = float_array(y_pred)
    y_true = np.asarray(y_true, dtype=y_pred.dtype)
    t, p = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if t.shape != p.shape:
        raise KerasnpError(
            f"{fn} expects targets with the same shape as the predictions. Received: "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}. Reshape the targets "
            f"to {y_pred.shape}, or use an output layer with "
            f"{y_true.shape[-1] if y_true.ndim > 1 else 1} units."
        )
    return t, p


def spread_mean(grad: Any, p: np.ndarray, axis: int = -1) -> np.ndarray:
    """The upstream gradient of a mean over `axis` of `p`: each entry's share."""
    g = np.asarray(grad, dtype=p.dtype)
    return np.expand_dims(g, axis) / p.shape[axis] if p.ndim else g


def epsilon_like(dtype: np.dtype) -> np.ndarray:
    """`config.epsilon()` as a scalar of `dtype`."""
    return np.asarray(config.epsilon(), dtype=dtype)


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
    return epsilon_like(dtype), np.asarray(1.0 - config.epsilon(), dtype=dtype)


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
