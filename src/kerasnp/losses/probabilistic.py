"""Losses between distributions or counts: Kullback-Leibler divergence and Poisson.

Like the other functions, each carries ``fn.backward(y_true, y_pred, grad)``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .loss import LossFunctionWrapper
from .numerics import epsilon_like, paired, spread_mean


def poisson(y_true: Any, y_pred: Any) -> np.ndarray:
    """``mean(y_pred - y_true * log(y_pred + eps), axis=-1)``.

    Example:
    >>> poisson([[1.0, 0.0]], [[1.0, 2.0]])
    array([1.5], dtype=float32)
    """
    t, p = paired("poisson", y_true, y_pred)
    return np.mean(p - t * np.log(p + epsilon_like(p.dtype)), axis=-1)


def _poisson_backward(y_true: Any, y_pred: Any, grad: Any) -> np.ndarray:
    t, p = paired("poisson", y_true, y_pred)
    return (spread_mean(grad, p) * (1 - t / (p + epsilon_like(p.dtype)))).reshape(np.shape(y_pred))


def kl_divergence(y_true: Any, y_pred: Any) -> np.ndarray:
    """``sum(t * log(t / p), axis=-1)`` with both clipped to ``[eps, 1]``.

    Example:
    >>> kl_divergence([[0.5, 0.5]], [[0.25, 0.75]]).round(4)
    array([0.1438], dtype=float32)
    """
    t, p = paired("kl_divergence", y_true, y_pred)
    eps = epsilon_like(p.dtype)
    t = np.clip(t, eps, 1)
    return np.sum(t * np.log(t / np.clip(p, eps, 1)), axis=-1)


def _kld_backward(y_true: Any, y_pred: Any, grad: Any) -> np.ndarray:
    t, p = paired("kl_divergence", y_true, y_pred)
    eps = epsilon_like(p.dtype)
    t = np.clip(t, eps, 1)
    d = np.where((p >= eps) & (p <= 1), -t / np.clip(p, eps, 1), 0)
    g = np.asarray(grad, dtype=p.dtype)
    return ((g[..., None] if p.ndim else g) * d).reshape(np.shape(y_pred))


poisson.backward = _poisson_backward
kl_divergence.backward = _kld_backward


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence between distributions (see `kl_divergence`).

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"kl_divergence"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> round(KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]]), 4)
    0.1438
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "kl_divergence",
        dtype: Any = None,
    ):
        super().__init__(kl_divergence, reduction=reduction, name=name, dtype=dtype)


class Poisson(LossFunctionWrapper):
    """Poisson loss for count data (see `poisson`).

    Args:
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"poisson"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> Poisson()([[1.0, 0.0]], [[1.0, 2.0]])
    1.5
    """

    def __init__(
        self,
        reduction: str | None = "sum_over_batch_size",
        name: str = "poisson",
        dtype: Any = None,
    ):
        super().__init__(poisson, reduction=reduction, name=name, dtype=dtype)
