"""Running means of the probabilistic and hinge losses, as metrics."""

from __future__ import annotations

from typing import Any

from .._errors import check_bool, check_float, check_int
from ..losses import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    kl_divergence,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from .reduction import MeanMetricWrapper


class BinaryCrossentropy(MeanMetricWrapper):
    """The mean binary cross-entropy (see `losses.binary_crossentropy`).

    Args:
        name: defaults to `"binary_crossentropy"`.
        dtype: defaults to `config.floatx()`.
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: a float in [0, 1]. Defaults to `0`.

    Example:
    >>> round(BinaryCrossentropy()([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
    0.815
    """

    def __init__(
        self,
        name: str = "binary_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
    ):
        owner = "BinaryCrossentropy"
        self.from_logits = check_bool(owner, "from_logits", from_logits)
        check_float(owner, "label_smoothing", label_smoothing, low=0, high=1)
        self.label_smoothing = label_smoothing
        super().__init__(
            binary_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=self.from_logits,
            label_smoothing=label_smoothing,
        )


class CategoricalCrossentropy(MeanMetricWrapper):
    """The mean categorical cross-entropy (see `losses.categorical_crossentropy`).

    Args:
        name: defaults to `"categorical_crossentropy"`.
        dtype: defaults to `config.floatx()`.
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: a float in [0, 1]. Defaults to `0`.
        axis: the class axis. Defaults to `-1`.

    Example:
    >>> round(CategoricalCrossentropy()([[0, 1, 0], [0, 0, 1]],
    ...                                 [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), 4)
    1.1769
    """

    def __init__(
        self,
        name: str = "categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        label_smoothing: float = 0,
        axis: int = -1,
    ):
        owner = "CategoricalCrossentropy"
        self.from_logits = check_bool(owner, "from_logits", from_logits)
        check_float(owner, "label_smoothing", label_smoothing, low=0, high=1)
        self.label_smoothing = label_smoothing
        self.axis = check_int(owner, "axis", axis)
        super().__init__(
            categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=self.from_logits,
            label_smoothing=label_smoothing,
            axis=self.axis,
        )


class SparseCategoricalCrossentropy(MeanMetricWrapper):
    """The mean sparse categorical cross-entropy (see `losses.sparse_categorical_crossentropy`).

    Entries labelled `ignore_class` are left out of the mean.

    Args:
        name: defaults to `"sparse_categorical_crossentropy"`.
        dtype: defaults to `config.floatx()`.
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        ignore_class: a label value to ignore. Defaults to `None`.
        axis: the class axis. Defaults to `-1`.

    Example:
    >>> round(SparseCategoricalCrossentropy()([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), 4)
    1.1769
    """

    def __init__(
        self,
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
        from_logits: bool = False,
        ignore_class: int | None = None,
        axis: int = -1,
    ):
        owner = "SparseCategoricalCrossentropy"
        self.from_logits = check_bool(owner, "from_logits", from_logits)
        self.ignore_class = check_int(owner, "ignore_class", ignore_class, allow_none=True)
        self.axis = check_int(owner, "axis", axis)
        super().__init__(
            sparse_categorical_crossentropy,
            name=name,
            dtype=dtype,
            from_logits=self.from_logits,
            ignore_class=self.ignore_class,
            axis=self.axis,
        )


class KLDivergence(MeanMetricWrapper):
    """The mean Kullback-Leibler divergence (see `losses.kl_divergence`).

    Args:
        name: defaults to `"kl_divergence"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> round(KLDivergence()([[0.5, 0.5]], [[0.25, 0.75]]), 4)
    0.1438
    """

    def __init__(self, name: str = "kl_divergence", dtype: Any = None):
        super().__init__(kl_divergence, name=name, dtype=dtype)


class Poisson(MeanMetricWrapper):
    """The mean Poisson loss (see `losses.poisson`).

    Args:
        name: defaults to `"poisson"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> Poisson()([[1.0, 0.0]], [[1.0, 2.0]])
    1.5
    """

    def __init__(self, name: str = "poisson", dtype: Any = None):
        super().__init__(poisson, name=name, dtype=dtype)


class Hinge(MeanMetricWrapper):
    """The mean hinge loss (see `losses.hinge`).

    Args:
        name: defaults to `"hinge"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> Hinge()([[0.0, 1.0]], [[0.5, 0.5]])
    1.0
    """

    def __init__(self, name: str = "hinge", dtype: Any = None):
        super().__init__(hinge, name=name, dtype=dtype)


class SquaredHinge(MeanMetricWrapper):
    """The mean squared hinge loss (see `losses.squared_hinge`).

    Args:
        name: defaults to `"squared_hinge"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> SquaredHinge()([[0.0, 1.0]], [[0.5, 0.5]])
    1.25
    """

    def __init__(self, name: str = "squared_hinge", dtype: Any = None):
        super().__init__(squared_hinge, name=name, dtype=dtype)


class CategoricalHinge(MeanMetricWrapper):
    """The mean categorical hinge loss (see `losses.categorical_hinge`).

    Args:
        name: defaults to `"categorical_hinge"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> round(CategoricalHinge()([[0.0, 1.0, 0.0]], [[0.3, 0.5, 0.2]]), 4)
    0.8
    """

    def __init__(self, name: str = "categorical_hinge", dtype: Any = None):
        super().__init__(categorical_hinge, name=name, dtype=dtype)
