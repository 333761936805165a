"""Running sums and means: `Sum`, `Mean`, and `MeanMetricWrapper` (the mean of a function).

Weights follow Keras: values with more axes than the weights are first
averaged over the extra axes, so ``(n,)`` weights weigh whole samples, and the
mean is ``sum(w * v) / sum(w)`` over every batch seen.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import losses
from .._errors import KerasnpError
from ..losses.loss import squeeze_or_expand_to_same_rank
from .metric import Metric


def samplewise(
    values: Any, sample_weight: Any, reduce: Callable[..., np.ndarray], dtype: str
) -> tuple[np.ndarray, np.ndarray | None]:
    """Weighted values and weights, both reduced to one entry per sample."""
    values = np.asarray(values, dtype=dtype)
    weights = None
    if sample_weight is not None:
        weights = np.asarray(sample_weight, dtype=dtype)
        values, weights = squeeze_or_expand_to_same_rank(values, weights)
        if values.ndim > weights.ndim:
            values = reduce(values, axis=tuple(range(weights.ndim, values.ndim)))
        try:
            weights = np.broadcast_to(weights, values.shape)
        except ValueError:
            raise KerasnpError(
                f"`sample_weight` of shape {np.shape(sample_weight)} does not match the values "
                f"of shape {values.shape}: pass one weight per sample."
            ) from None
        values = values * weights
        if weights.ndim > 1:
            weights = reduce(weights, axis=tuple(range(1, weights.ndim)))
    if values.ndim > 1:
        values = reduce(values, axis=tuple(range(1, values.ndim)))
    return values, weights


class Sum(Metric):
    """The (weighted) sum of every value given to `update_state`.

    Args:
        name: defaults to `"sum"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> m = Sum()
    >>> m.update_state([1, 3, 5, 7], sample_weight=[1, 1, 0, 0])
    >>> m.result()
    4.0
    """

    def __init__(self, name: str = "sum", dtype: Any = None):
        super().__init__(dtype=dtype, name=name)
        self.total = 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        values, _ = samplewise(values, sample_weight, np.sum, self.dtype)
        self.total += float(np.sum(values))

    def result(self) -> float:
        return float(np.asarray(self.total, dtype=self.dtype))

    def reset_state(self) -> None:
        self.total = 0.0


class Mean(Metric):
    """The (weighted) running mean of every value given to `update_state`.

    ``result = sum(w * v) / sum(w)`` over all batches since the last reset;
    without weights each value counts 1. A scalar value with a scalar weight
    counts as one entry of that weight (how a model averages batch losses,
    weighted by batch size).

    Args:
        name: defaults to `"mean"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> m = Mean()
    >>> m.update_state([1, 3, 5, 7])
    >>> m.result()
    4.0
    >>> m.update_state(10.0, sample_weight=4)
    >>> m.result()
    7.0
    """

    def __init__(self, name: str = "mean", dtype: Any = None):
        super().__init__(dtype=dtype, name=name)
        self.total = 0.0
        self.count = 0.0

    def update_state(self, values: Any, sample_weight: Any = None) -> None:
        if type(values) is float and type(sample_weight) is int:
            # a batch loss weighted by the batch size (fit's tracker): what the
            # general path computes, without building arrays
            real = np.dtype(self.dtype).type
            self.total += float(real(values) * real(sample_weight))
            self.count += float(real(sample_weight))
            return
        values, weights = samplewise(values, sample_weight, np.mean, self.dtype)
        self.total += float(np.sum(values))
        if weights is not None:
            self.count += float(np.sum(weights))
        else:
            self.count += values.shape[0] if values.ndim else 1

    def result(self) -> float:
        return float(np.asarray(self.total / self.count, dtype=self.dtype)) if self.count else 0.0

    def reset_state(self) -> None:
        self.total = 0.0
        self.count = 0.0


def _lookup_function(name: str) -> Callable[..., Any]:
    from . import FUNCTIONS

    if name not in FUNCTIONS:
        raise KerasnpError(
            f"Unknown metric function {name!r} in a MeanMetricWrapper config. "
            "Register custom functions with custom_object_scope."
        )
    return FUNCTIONS[name]


class MeanMetricWrapper(Mean):
    """The running mean of ``fn(y_true, y_pred, **kwargs)`` over every sample.

    A loss function of `kerasnp.losses` makes a metric to minimise (the
    cross-entropy and error metrics are such wrappers).

    Args:
        fn: a function returning one value per sample.
        name: defaults to a unique snake-case name.
        dtype: defaults to `config.floatx()`.
        **kwargs: passed to `fn`.

    Example:
    >>> import numpy as np
    >>> def error(y_true, y_pred):
    ...     return np.abs(np.asarray(y_true) - np.asarray(y_pred))
    >>> m = MeanMetricWrapper(error, name="error")
    >>> m([1.0, 2.0], [1.0, 4.0])
    1.0
    """

    def __init__(
        self, fn: Callable[..., Any], name: str | None = None, dtype: Any = None, **kwargs: Any
    ):
        if not callable(fn):
            raise KerasnpError(
                "Invalid value for argument `fn` of MeanMetricWrapper: expected "
                f"a function. Received: fn={fn!r}"
            )
        super().__init__(name=name, dtype=dtype)
        self._fn = fn
        self._fn_kwargs = kwargs
        if fn in losses.ALL_OBJECTS.values():
            self._direction = "down"

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        mask_fn = getattr(self._fn, "mask", None)
        mask = None if mask_fn is None else mask_fn(y_true, y_pred, **self._fn_kwargs)
        if mask is not None:  # entries to ignore carry weight 0
            mask = mask.astype(self.dtype)
            if sample_weight is not None:
                mask, weights = squeeze_or_expand_to_same_rank(
                    mask, np.asarray(sample_weight, dtype=self.dtype)
                )
                mask = mask * weights
            sample_weight = mask
        super().update_state(values, sample_weight=sample_weight)

    def get_config(self) -> dict[str, Any]:
        # A subclass (BinaryAccuracy, CategoricalCrossentropy, ...) takes the
        # function's keyword arguments as its own constructor arguments, so its
        # config is Metric's plus those; only the plain wrapper names its function.
        config = super().get_config()
        if type(self) is MeanMetricWrapper:
            config["fn"] = getattr(self._fn, "__name__", None)
        return {**config, **self._fn_kwargs}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        config = dict(config)
        if cls is MeanMetricWrapper and isinstance(config.get("fn"), str):
            config["fn"] = _lookup_function(config["fn"])
        return cls(**config)
