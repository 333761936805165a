"""Hinge losses for maximum-margin classifiers: hinge, squared hinge, categorical hinge.

`hinge` and `squared_hinge` expect labels in {-1, 1}; when every label of the
batch is 0 or 1 they are mapped to -1/1 first (as Keras does).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .loss import LossFunctionWrapper
from .numerics import paired, spread_mean


def _signed(t: np.ndarray) -> np.ndarray:
    """Labels in {0, 1} become {-1, 1}; other labels are kept."""
    return 2.0 * t - 1.0 if np.all((t == 0) | (t == 1)) else t


def hinge(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(max(1 - y_true * y_pred, 0), axis=-1)``.

    Example:
    >>> hinge([[0.0, 1.0]], [[0.5, 0.5]])
    array([1.], dtype=float32)
    """
    t, p = paired("hinge", y_true, y_pred)
    return np.mean(np.maximum(1.0 - _signed(t) * p, 0.0), axis=-1)


def _hinge_backward(y_true: Any, y_pred: Any, grad: Any) -> np.ndarray:
    t, p = paired("hinge", y_true, y_pred)
    t = _signed(t)
    return (spread_mean(grad, p) * np.where(1.0 - t * p > 0, -t, 0)).reshape(np.shape(y_pred))


def squared_hinge(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(max(1 - y_true * y_pred, 0) ** 2, axis=-1)``.

    Example:
    >>> squared_hinge([[0.0, 1.0]], [[0.5, 0.5]])
    array([1.25], dtype=float32)
    """
    t, p = paired("squared_hinge", y_true, y_pred)
    return np.mean(np.square(np.maximum(1.0 - _signed(t) * p, 0.0)), axis=-1)


def _squared_hinge_backward(y_true: Any, y_pred: Any, grad: Any) -> np.ndarray:
    t, p = paired("squared_hinge", y_true, y_pred)
    t = _signed(t)
    g = spread_mean(grad, p)
    return (g * -2.0 * t * np.maximum(1.0 - t * p, 0.0)).reshape(np.shape(y_pred))


def categorical_hinge(y_true: Any, y_pred: Any) -> np.ndarray:
    """``max(neg - pos + 1, 0)``: ``pos = sum(y * p)``, ``neg = max((1 - y) * p)``.

    `y_true` is one-hot.

    Example:
    >>> categorical_hinge([[0.0, 1.0, 0.0]], [[0.3, 0.5, 0.2]])
    array([0.8], dtype=float32)
    """
    t, p = paired("categorical_hinge", y_true, y_pred)
    pos = np.sum(t * p, axis=-1)
    neg = np.max((1.0 - t) * p, axis=-1)
    return np.maximum(neg - pos + 1.0, 0.0)


def _categorical_hinge_backward(y_true: Any, y_pred: Any, grad: Any) -> np.ndarray:
    t, p = paired("categorical_hinge", y_true, y_pred)
    others = (1.0 - t) * p
    top = np.argmax(others, axis=-1)[..., None]
    active = (np.max(others, axis=-1) - np.sum(t * p, axis=-1) + 1.0 > 0)[..., None]
    d = -t
    # The max picks one entry (the first on ties), whose derivative is (1 - y) there.
    np.put_along_axis(d, top, np.take_along_axis(d + (1.0 - t), top, axis=-1), axis=-1)
    g = np.asarray(grad, dtype=p.dtype)[..., None]
    return (g * np.where(active, d, 0)).reshape(np.shape(y_pred))


hinge.backward = _hinge_backward
squared_hinge.backward = _squared_hinge_backward
categorical_hinge.backward = _categorical_hinge_backward


class Hinge(LossFunctionWrapper):
    """Hinge loss (see `hinge`).

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"hinge"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> Hinge()([[0.0, 1.0]], [[0.5, 0.5]])
    1.0
    """

    def __init__(
        self, reduction: str | None = "sum_over_batch_size", name: str = "hinge", dtype: Any = None
    ):
        super().__init__(hinge, reduction=reduction, name=name, dtype=dtype)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss (see `squared_hinge`).

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"squared_hinge"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> SquaredHinge()([[0.0, 1.0]], [[0.5, 0.5]])
    1.25
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "squared_hinge",
        dtype: Any = None,
    ):
        super().__init__(squared_hinge, reduction=reduction, name=name, dtype=dtype)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss for one-hot labels (see `categorical_hinge`).

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"categorical_hinge"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> round(CategoricalHinge()([[0.0, 1.0, 0.0]], [[0.3, 0.5, 0.2]]), 4)
    0.8
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_hinge",
        dtype: Any = None,
    ):
        super().__init__(categorical_hinge, reduction=reduction, name=name, dtype=dtype)
