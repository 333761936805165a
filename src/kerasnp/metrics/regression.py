"""Error metrics: running means of the regression losses, and RMSE."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import check_int
from ..losses import regression as loss_fns
from .reduction import Mean, MeanMetricWrapper


class MeanSquaredError(MeanMetricWrapper):
    """The mean of squared errors, ``mean((y_true - y_pred) ** 2)``.

    Args:
        name: defaults to `"mean_squared_error"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> MeanSquaredError()([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    0.25
    """

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None):
        super().__init__(loss_fns.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(MeanMetricWrapper):
    """The mean of absolute errors, ``mean(|y_true - y_pred|)``.

    Args:
        name: defaults to `"mean_absolute_error"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> MeanAbsoluteError()([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    0.25
    """

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None):
        super().__init__(loss_fns.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(MeanMetricWrapper):
    """The mean absolute percentage error (see `losses.mean_absolute_percentage_error`).

    Args:
        name: defaults to `"mean_absolute_percentage_error"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> MeanAbsolutePercentageError()([[2.0, 4.0]], [[1.0, 5.0]])
    37.5
    """

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None):
        super().__init__(loss_fns.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(MeanMetricWrapper):
    """The mean squared logarithmic error (see `losses.mean_squared_logarithmic_error`).

    Args:
        name: defaults to `"mean_squared_logarithmic_error"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> round(MeanSquaredLogarithmicError()([[0.0, 1.0]], [[1.0, 1.0]]), 4)
    0.2402
    """

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None):
        super().__init__(loss_fns.mean_squared_logarithmic_error, name=name, dtype=dtype)


class LogCoshError(MeanMetricWrapper):
    """The mean of ``log(cosh(y_pred - y_true))``.

    Args:
        name: defaults to `"logcosh"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> round(LogCoshError()([[0.0, 0.0]], [[1.0, -1.0]]), 4)
    0.4338
    """

    def __init__(self, name: str = "logcosh", dtype: Any = None):
        super().__init__(loss_fns.log_cosh, name=name, dtype=dtype)


def _cosine(y_true: Any, y_pred: Any, axis: int = -1) -> np.ndarray:
    return -loss_fns.cosine_similarity(y_true, y_pred, axis=axis)


class CosineSimilarity(MeanMetricWrapper):
    """The mean cosine similarity between labels and predictions (1 = same direction).

    Args:
        name: defaults to `"cosine_similarity"`.
        dtype: defaults to `config.floatx()`.
        axis: the axis of the vectors. Defaults to `-1`.

    Example:
    >>> CosineSimilarity()([[0.0, 1.0], [1.0, 1.0]], [[1.0, 0.0], [1.0, 1.0]])
    0.5
    """

    _direction = "up"

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1):
        self.axis = check_int("CosineSimilarity", "axis", axis)
        super().__init__(_cosine, name=name, dtype=dtype, axis=self.axis)


class RootMeanSquaredError(Mean):
    """The square root of the running mean of squared errors.

    ``sqrt(sum(w * (y_pred - y_true) ** 2) / sum(w))``, the errors of a sample
    averaged over its last axis.

    Args:
        name: defaults to `"root_mean_squared_error"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> m = RootMeanSquaredError()
    >>> m([[0, 1], [0, 0]], [[1, 1], [0, 0]])
    0.5
    """

    _direction = "down"

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None):
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t, p = loss_fns.paired("root_mean_squared_error", y_true, y_pred)
        error = p.astype(self.dtype, copy=False) - t.astype(self.dtype, copy=False)
        super().update_state(np.square(error), sample_weight=sample_weight)

    def result(self) -> float:
        return float(np.sqrt(np.asarray(super().result(), dtype=self.dtype)))
