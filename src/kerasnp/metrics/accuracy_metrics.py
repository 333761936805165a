"""Accuracy metrics: exact, binary, categorical, sparse categorical and top-k.

Each function returns one 0/1 value per sample (float32); each class is the
running mean of its function. `resolve_accuracy` is how `compile` turns the
string ``"accuracy"`` (or ``"acc"``) into one of them, from shapes alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import config
from .._errors import KerasnpError, check_bool, check_float, check_int
from ..losses.loss import squeeze_or_expand_to_same_rank
from .metric import Metric
from .reduction import MeanMetricWrapper


def _same_shape(fn: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t, p = squeeze_or_expand_to_same_rank(np.asarray(y_true), np.asarray(y_pred))
    if t.shape != p.shape:
        raise KerasnpError(
            f"{fn} expects labels with the same shape as the predictions. "
            f"Received: y_true.shape={np.shape(y_true)}, "
            f"y_pred.shape={np.shape(y_pred)}."
        )
    return t, p


def _one_hot_pair(fn: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape:
        msg = (
            f"{fn} expects one-hot labels with the same shape as the predictions. "
            f"Received: y_true.shape={t.shape}, y_pred.shape={p.shape}."
        )
        if p.ndim and t.shape in (p.shape[:-1], p.shape[:-1] + (1,)):
            msg += f" For integer labels use sparse_{fn}."
        raise KerasnpError(msg)
    return t, p


def _sparse_pair(fn: str, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if p.ndim and t.ndim == p.ndim and t.shape[-1] == 1:
        t = t[..., 0]
    if t.shape != p.shape[:-1]:
        msg = (
            f"{fn} expects integer labels of shape {p.shape[:-1]} for predictions of shape "
            f"{p.shape}. Received: y_true.shape={np.shape(y_true)}."
        )
        if t.shape == p.shape:
            msg += (
                f" These look like one-hot labels: use {fn.replace('sparse_', '')}, or "
                "np.argmax(y, axis=-1)."
            )
        raise KerasnpError(msg)
    return t, p


def accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """1 where `y_pred` equals `y_true` exactly, else 0.

    Example:
    >>> accuracy([1, 2, 3, 4], [0, 2, 3, 4])
    array([0., 1., 1., 1.], dtype=float32)
    """
    t, p = _same_shape("accuracy", y_true, y_pred)
    return np.equal(t, p).astype(config.floatx())


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> np.ndarray:
    """1 where ``y_pred > threshold`` agrees with the 0/1 label `y_true`.

    Example:
    >>> binary_accuracy([1, 1, 0, 0], [0.98, 1, 0, 0.6])
    array([1., 1., 1., 0.], dtype=float32)
    """
    t, p = _same_shape("binary_accuracy", y_true, y_pred)
    return np.equal(t, p > threshold).astype(config.floatx())


def categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """1 where the arg-max of `y_pred` is the arg-max of the one-hot `y_true`.

    Example:
    >>> categorical_accuracy([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    array([0., 1.], dtype=float32)
    """
    t, p = _one_hot_pair("categorical_accuracy", y_true, y_pred)
    return np.equal(np.argmax(t, axis=-1), np.argmax(p, axis=-1)).astype(config.floatx())


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> np.ndarray:
    """1 where the arg-max of `y_pred` equals the integer label `y_true`.

    Example:
    >>> sparse_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    array([0., 1.], dtype=float32)
    """
    t, p = _sparse_pair("sparse_categorical_accuracy", y_true, y_pred)
    return np.equal(t, np.argmax(p, axis=-1)).astype(config.floatx())


def _in_top_k(labels: np.ndarray, p: np.ndarray, k: int) -> np.ndarray:
    """Whether each label's score is among the `k` largest (ties count in its favour)."""
    score = np.take_along_axis(p, labels[..., None], axis=-1)
    score = np.where(np.isnan(score), -np.inf, score)
    return np.sum(p > score, axis=-1) < k


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> np.ndarray:
    """1 where the one-hot target is among the `k` highest predictions.

    Example:
    >>> top_k_categorical_accuracy([[0, 0, 1], [0, 1, 0]],
    ...                            [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
    array([0., 1.], dtype=float32)
    """
    t, p = _one_hot_pair("top_k_categorical_accuracy", y_true, y_pred)
    return _in_top_k(np.argmax(t, axis=-1), p, k).astype(config.floatx())


def sparse_top_k_categorical_accuracy(
    y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False
) -> np.ndarray:
    """1 where the integer target is among the `k` highest predictions.

    With `from_sorted_ids`, `y_pred` holds class ids sorted by decreasing score
    and the target must be among the first `k`.

    Example:
    >>> sparse_top_k_categorical_accuracy([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]], k=1)
    array([0., 1.], dtype=float32)
    """
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if from_sorted_ids:
        labels = t.reshape(-1)
        ids = p.reshape(labels.shape[0], -1)
        found = np.any(ids[:, :k] == labels[:, None], axis=-1)
        return found.reshape(t.shape).astype(config.floatx())
    t, p = _sparse_pair("sparse_top_k_categorical_accuracy", y_true, y_pred)
    labels = t.astype(np.intp, copy=False)
    if labels.size and (labels.min() < 0 or labels.max() >= p.shape[-1]):
        raise KerasnpError(
            f"sparse_top_k_categorical_accuracy got a label outside [0, "
            f"{p.shape[-1]}) for predictions of shape {p.shape}."
        )
    return _in_top_k(labels, p, k).reshape(np.shape(y_true)).astype(config.floatx())


class _AccuracyMetric(MeanMetricWrapper):
    """A mean of 0/1 matches: to be maximised."""

    _direction = "up"

    def _fast_hits(self, y_true: np.ndarray, y_pred: np.ndarray) -> int | None:
        """The number of hits, in one pass, for arrays as `fit` passes them (2-D
        predictions, no weights); None takes the general path."""
        return None

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        hits = None
        if (
            sample_weight is None
            and isinstance(y_true, np.ndarray)
            and isinstance(y_pred, np.ndarray)
            and y_pred.ndim == 2
        ):
            hits = self._fast_hits(y_true, y_pred)
        if hits is None:
            super().update_state(y_true, y_pred, sample_weight)
            return
        # what the general path adds: the float32 sum of 0/1 values is exact
        self.total += float(hits)
        self.count += len(y_pred)


class Accuracy(_AccuracyMetric):
    """How often `y_pred` equals `y_true` exactly.

    Args:
        name: defaults to `"accuracy"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> Accuracy()([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    0.75
    """

    def __init__(self, name: str = "accuracy", dtype: Any = None):
        super().__init__(accuracy, name=name, dtype=dtype)


class BinaryAccuracy(_AccuracyMetric):
    """How often ``y_pred > threshold`` matches the binary labels.

    Args:
        name: defaults to `"binary_accuracy"`.
        dtype: defaults to `config.floatx()`.
        threshold: a float in [0, 1]. Defaults to `0.5`.

    Example:
    >>> BinaryAccuracy()([[1], [1], [0], [0]], [[0.98], [1], [0], [0.6]])
    0.75
    """

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5):
        self.threshold = check_float("BinaryAccuracy", "threshold", threshold, low=0, high=1)
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=self.threshold)


class CategoricalAccuracy(_AccuracyMetric):
    """How often the arg-max of `y_pred` matches one-hot labels.

    Args:
        name: defaults to `"categorical_accuracy"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> CategoricalAccuracy()([[0, 0, 1], [0, 1, 0]], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    0.5
    """

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None):
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def _fast_hits(self, y_true: np.ndarray, y_pred: np.ndarray) -> int | None:
        if y_true.shape != y_pred.shape:
            return None
        return np.count_nonzero(y_true.argmax(axis=-1) == y_pred.argmax(axis=-1))


class SparseCategoricalAccuracy(_AccuracyMetric):
    """How often the arg-max of `y_pred` matches integer labels.

    Args:
        name: defaults to `"sparse_categorical_accuracy"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> SparseCategoricalAccuracy()([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0]])
    0.5
    """

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None):
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def _fast_hits(self, y_true: np.ndarray, y_pred: np.ndarray) -> int | None:
        if y_true.ndim != 1 or len(y_true) != len(y_pred) or y_pred.shape[1] == 0:
            return None
        return np.count_nonzero(y_pred.argmax(axis=-1) == y_true)


class TopKCategoricalAccuracy(_AccuracyMetric):
    """How often the one-hot target is among the `k` highest predictions.

    Args:
        k: how many top predictions count. Defaults to `5`.
        name: defaults to `"top_k_categorical_accuracy"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> TopKCategoricalAccuracy(k=1)([[0, 0, 1], [0, 1, 0]],
    ...                              [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    0.5
    """

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None):
        self.k = check_int("TopKCategoricalAccuracy", "k", k, minimum=1)
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=self.k)


class SparseTopKCategoricalAccuracy(_AccuracyMetric):
    """How often the integer target is among the `k` highest predictions.

    Args:
        k: how many top predictions count. Defaults to `5`.
        name: defaults to `"sparse_top_k_categorical_accuracy"`.
        dtype: defaults to `config.floatx()`.
        from_sorted_ids: whether `y_pred` holds class ids sorted by score.
            Defaults to `False`.

    Example:
    >>> SparseTopKCategoricalAccuracy(k=1)([2, 1], [[0.1, 0.9, 0.8], [0.05, 0.95, 0]])
    0.5
    """

    def __init__(
        self,
        k: int = 5,
        name: str = "sparse_top_k_categorical_accuracy",
        dtype: Any = None,
        from_sorted_ids: bool = False,
    ):
        owner = "SparseTopKCategoricalAccuracy"
        self.k = check_int(owner, "k", k, minimum=1)
        self.from_sorted_ids = check_bool(owner, "from_sorted_ids", from_sorted_ids)
        super().__init__(
            sparse_top_k_categorical_accuracy,
            name=name,
            dtype=dtype,
            k=self.k,
            from_sorted_ids=self.from_sorted_ids,
        )

    def get_config(self) -> dict[str, Any]:
        config_ = {**Metric.get_config(self), "k": self.k}
        if self.from_sorted_ids:
            config_["from_sorted_ids"] = True
        return config_


def resolve_accuracy(
    name: str, y_true_shape: Sequence[int], y_pred_shape: Sequence[int]
) -> MeanMetricWrapper:
    """The accuracy that `compile(metrics=["accuracy"])` means, named `name`.

    Keras decides from shapes only (never from the loss): one output unit
    means `BinaryAccuracy`; labels of lower rank than the outputs, or with a
    trailing 1 against several units, mean `SparseCategoricalAccuracy`;
    anything else `CategoricalAccuracy`. The metric keeps the name as
    written (``"acc"`` logs as ``acc``).

    Example:
    >>> m = resolve_accuracy("acc", (64,), (64, 3))
    >>> type(m).__name__, m.name
    ('SparseCategoricalAccuracy', 'acc')
    """
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    if y_pred_shape[-1:] == (1,):
        return BinaryAccuracy(name=str(name))
    if len(y_true_shape) < len(y_pred_shape) or (
        y_true_shape[-1:] == (1,) and y_pred_shape[-1] > 1
    ):
        return SparseCategoricalAccuracy(name=str(name))
    return CategoricalAccuracy(name=str(name))
