"""Regression losses: MSE, MAE, MAPE, MSLE, Huber, log-cosh and cosine similarity.

Each function reduces the last axis (a mean, except `cosine_similarity`,
which sums along `axis`), and carries
``fn.backward(y_true, y_pred, grad, **kwargs)``: the gradient of
``sum(grad * fn(y_true, y_pred))`` with respect to `y_pred`. Where a value is
clipped or floored (``max(|y_true|, eps)`` ...), the gradient is that of the
clipped expression, as autodiff would give.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import check_float, check_int
from .loss import LossFunctionWrapper
from .numerics import epsilon_like, paired, spread_mean


def mean_squared_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean((y_true - y_pred) ** 2, axis=-1)``.

    Example:
    >>> mean_squared_error([[0.0, 1.0]], [[1.0, 1.0]])
    array([0.5], dtype=float32)
    """
    t, p = paired("mean_squared_error", y_true, y_pred)
    return np.mean(np.square(p - t), axis=-1)


def _mse_backward(y_true: Any, y_pred: Any, grad: Any) -> np.ndarray:
    t, p = paired("mean_squared_error", y_true, y_pred)
    return (spread_mean(grad, p) * 2 * (p - t)).reshape(np.shape(y_pred))


def mean_absolute_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(|y_true - y_pred|, axis=-1)``.

    Example:
    >>> mean_absolute_error([[0.0, 1.0]], [[1.0, 3.0]])
    array([1.5], dtype=float32)
    """
    t, p = paired("mean_absolute_error", y_true, y_pred)
    return np.mean(np.abs(p - t), axis=-1)


def _mae_backward(y_true: Any, y_pred: Any, grad: Any) -> np.ndarray:
    t, p = paired("mean_absolute_error", y_true, y_pred)
    return (spread_mean(grad, p) * np.sign(p - t)).reshape(np.shape(y_pred))


def mean_absolute_percentage_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``100 * mean(|y_true - y_pred| / max(|y_true|, eps), axis=-1)``.

    Example:
    >>> mean_absolute_percentage_error([[2.0, 4.0]], [[1.0, 5.0]])
    array([37.5], dtype=float32)
    """
    t, p = paired("mean_absolute_percentage_error", y_true, y_pred)
    return 100.0 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), epsilon_like(p.dtype))), axis=-1)


def _mape_backward(y_true: Any, y_pred: Any, grad: Any) -> np.ndarray:
    t, p = paired("mean_absolute_percentage_error", y_true, y_pred)
    d = 100.0 * np.sign(p - t) / np.maximum(np.abs(t), epsilon_like(p.dtype))
    return (spread_mean(grad, p) * d).reshape(np.shape(y_pred))


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean((log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)) ** 2, axis=-1)``.

    Example:
    >>> mean_squared_logarithmic_error([[0.0, 1.0]], [[1.0, 1.0]]).round(4)
    array([0.2402], dtype=float32)
    """
    t, p = paired("mean_squared_logarithmic_error", y_true, y_pred)
    eps = epsilon_like(p.dtype)
    return np.mean(np.square(np.log1p(np.maximum(p, eps)) - np.log1p(np.maximum(t, eps))), axis=-1)


def _msle_backward(y_true: Any, y_pred: Any, grad: Any) -> np.ndarray:
    t, p = paired("mean_squared_logarithmic_error", y_true, y_pred)
    eps = epsilon_like(p.dtype)
    floored = np.maximum(p, eps)
    diff = np.log1p(floored) - np.log1p(np.maximum(t, eps))
    d = np.where(p >= eps, 2 * diff / (floored + 1), 0)
    return (spread_mean(grad, p) * d).reshape(np.shape(y_pred))


def huber(y_true: Any, y_pred: Any, delta: float = 1.0) -> np.ndarray:
    """Huber loss: ``0.5 e**2`` where ``|e| <= delta``, else ``delta*|e| - 0.5*delta**2``.

    The mean over the last axis, with ``e = y_pred - y_true``.

    Example:
    >>> huber([[0.0, 0.0]], [[0.5, 3.0]])
    array([1.3125], dtype=float32)
    """
    t, p = paired("huber", y_true, y_pred)
    e = p - t
    a = np.abs(e)
    return np.mean(np.where(a <= delta, 0.5 * e * e, delta * a - 0.5 * delta * delta), axis=-1)


def _huber_backward(y_true: Any, y_pred: Any, grad: Any, delta: float = 1.0) -> np.ndarray:
    t, p = paired("huber", y_true, y_pred)
    e = p - t
    d = np.where(np.abs(e) <= delta, e, delta * np.sign(e))
    return (spread_mean(grad, p) * d).reshape(np.shape(y_pred))


def log_cosh(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed without overflow.

    Example:
    >>> log_cosh([[0.0, 0.0]], [[1.0, -1.0]]).round(4)
    array([0.4338], dtype=float32)
    """
    t, p = paired("log_cosh", y_true, y_pred)
    e = p - t
    return np.mean(e + np.logaddexp(0, -2 * e) - np.log(2).astype(p.dtype), axis=-1)


def _log_cosh_backward(y_true: Any, y_pred: Any, grad: Any) -> np.ndarray:
    t, p = paired("log_cosh", y_true, y_pred)
    return (spread_mean(grad, p) * np.tanh(p - t)).reshape(np.shape(y_pred))


def _unit(x: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """`x / max(||x||, eps)` along `axis`, and that divisor."""
    norm = np.sqrt(np.sum(np.square(x), axis=axis, keepdims=True))
    norm = np.maximum(norm, epsilon_like(x.dtype))
    return x / norm, norm


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> np.ndarray:
    """The negative cosine similarity along `axis`: ``-sum(unit(y_true) * unit(y_pred))``.

    -1 means the same direction; a zero vector gives 0.

    Example:
    >>> cosine_similarity([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]]).round(4)
    array([-0., -1.], dtype=float32)
    """
    t, p = paired("cosine_similarity", y_true, y_pred)
    return -np.sum(_unit(t, axis)[0] * _unit(p, axis)[0], axis=axis)


def _cosine_backward(y_true: Any, y_pred: Any, grad: Any, axis: int = -1) -> np.ndarray:
    t, p = paired("cosine_similarity", y_true, y_pred)
    ut = _unit(t, axis)[0]
    up, norm = _unit(p, axis)
    # Above the floor: -(ut - (ut . up) up) / ||p||; at the floor the norm is a constant.
    d = np.where(
        norm > epsilon_like(p.dtype), ut - np.sum(ut * up, axis=axis, keepdims=True) * up, ut
    )
    g = np.expand_dims(np.asarray(grad, dtype=p.dtype), axis % max(p.ndim, 1))
    return (-g * d / norm).reshape(np.shape(y_pred))


mean_squared_error.backward = _mse_backward
mean_absolute_error.backward = _mae_backward
mean_absolute_percentage_error.backward = _mape_backward
mean_squared_logarithmic_error.backward = _msle_backward
huber.backward = _huber_backward
log_cosh.backward = _log_cosh_backward
cosine_similarity.backward = _cosine_backward


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors (see `mean_squared_error`).

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"mean_squared_error"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> MeanSquaredError()([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]])
    0.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_error",
        dtype: Any = None,
    ):
        super().__init__(mean_squared_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors (see `mean_absolute_error`).

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"mean_absolute_error"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> MeanAbsoluteError()([[0.0, 1.0]], [[1.0, 3.0]])
    1.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_error",
        dtype: Any = None,
    ):
        super().__init__(mean_absolute_error, reduction=reduction, name=name, dtype=dtype)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error (see `mean_absolute_percentage_error`).

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"mean_absolute_percentage_error"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 5.0]])
    37.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_absolute_percentage_error",
        dtype: Any = None,
    ):
        super().__init__(
            mean_absolute_percentage_error, reduction=reduction, name=name, dtype=dtype
        )


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error (see `mean_squared_logarithmic_error`).

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"mean_squared_logarithmic_error"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> round(MeanSquaredLogarithmicError()([[0.0, 1.0]], [[1.0, 1.0]]), 4)
    0.2402
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "mean_squared_logarithmic_error",
        dtype: Any = None,
    ):
        super().__init__(
            mean_squared_logarithmic_error, reduction=reduction, name=name, dtype=dtype
        )


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error (see `log_cosh`).

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"log_cosh"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> round(LogCosh()([[0.0, 0.0]], [[1.0, -1.0]]), 4)
    0.4338
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "log_cosh",
        dtype: Any = None,
    ):
        super().__init__(log_cosh, reduction=reduction, name=name, dtype=dtype)


class Huber(LossFunctionWrapper):
    """Huber loss: quadratic for errors up to `delta`, linear beyond (see `huber`).

    Args:
        delta: where the loss turns linear, a float > 0. Defaults to `1.0`.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"huber_loss"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> Huber()([[0.0, 0.0]], [[0.5, 3.0]])
    1.3125
    """

    def __init__(
        self,
        delta: float = 1.0,
        reduction: str | None = "sum_over_batch_size",
        name: str = "huber_loss",
        dtype: Any = None,
    ):
        self.delta = check_float("Huber", "delta", delta, low=0, low_open=True)
        super().__init__(huber, reduction=reduction, name=name, dtype=dtype, delta=self.delta)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity along `axis` (see `cosine_similarity`).

    Args:
        axis: the axis of the vectors. Defaults to `-1`.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"cosine_similarity"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> CosineSimilarity()([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    -0.5
    """

    def __init__(
        self,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "cosine_similarity",
        dtype: Any = None,
    ):
        self.axis = check_int("CosineSimilarity", "axis", axis)
        super().__init__(
            cosine_similarity, reduction=reduction, name=name, dtype=dtype, axis=self.axis
        )
