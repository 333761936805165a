"""Metrics: stateful objects that accumulate over batches, and their Keras names.

`get` follows Keras' metric table: class names and their snake_case forms
(``"CategoricalAccuracy"``, ``"categorical_accuracy"``, ``"AUC"``, ``"auc"``),
plus ``mse``, ``mae``, ``mape``, ``msle``, ``bce`` and their upper-case
forms; a name always gives a `Metric` instance. The strings ``"accuracy"``
and ``"acc"`` in `compile` mean an accuracy picked from the shapes: see
`resolve_accuracy` (``get("accuracy")`` is plain `Accuracy`, exact equality,
as in Keras).

Example:
>>> import kerasnp
>>> m = kerasnp.metrics.get("mse")
>>> m.name
'mean_squared_error'
"""

from __future__ import annotations

from typing import Any

from .. import _registry
from .._naming import to_snake_case
from ..losses import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    huber,
    kl_divergence,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
    poisson,
    sparse_categorical_crossentropy,
    squared_hinge,
)
from .accuracy_metrics import (
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
    TopKCategoricalAccuracy,
    accuracy,
    binary_accuracy,
    categorical_accuracy,
    resolve_accuracy,
    sparse_categorical_accuracy,
    sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy,
)
from .confusion import AUC, Precision, Recall
from .metric import Metric
from .probabilistic import (
    BinaryCrossentropy,
    CategoricalCrossentropy,
    CategoricalHinge,
    Hinge,
    KLDivergence,
    Poisson,
    SparseCategoricalCrossentropy,
    SquaredHinge,
)
from .reduction import Mean, MeanMetricWrapper, Sum
from .regression import (
    CosineSimilarity,
    LogCoshError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    RootMeanSquaredError,
)

_CLASSES = [
    Mean,
    Sum,
    MeanMetricWrapper,
    MeanSquaredError,
    RootMeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    LogCoshError,
    AUC,
    Precision,
    Recall,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    Accuracy,
    BinaryAccuracy,
    CategoricalAccuracy,
    SparseCategoricalAccuracy,
    TopKCategoricalAccuracy,
    SparseTopKCategoricalAccuracy,
]
ALL_OBJECTS: dict[str, Any] = {
    **{c.__name__: c for c in _CLASSES},
    **{to_snake_case(c.__name__): c for c in _CLASSES},
    "bce": BinaryCrossentropy,
    "BCE": BinaryCrossentropy,
    "mse": MeanSquaredError,
    "MSE": MeanSquaredError,
    "mae": MeanAbsoluteError,
    "MAE": MeanAbsoluteError,
    "mape": MeanAbsolutePercentageError,
    "MAPE": MeanAbsolutePercentageError,
    "msle": MeanSquaredLogarithmicError,
    "MSLE": MeanSquaredLogarithmicError,
}

# The functions a `MeanMetricWrapper` config may name.
FUNCTIONS: dict[str, Any] = {
    f.__name__: f
    for f in [
        accuracy,
        binary_accuracy,
        categorical_accuracy,
        sparse_categorical_accuracy,
        top_k_categorical_accuracy,
        sparse_top_k_categorical_accuracy,
        binary_crossentropy,
        categorical_crossentropy,
        sparse_categorical_crossentropy,
        mean_squared_error,
        mean_absolute_error,
        mean_absolute_percentage_error,
        mean_squared_logarithmic_error,
        kl_divergence,
        poisson,
        hinge,
        squared_hinge,
        categorical_hinge,
        log_cosh,
        huber,
    ]
}


def get(identifier: Any) -> Any:
    """A metric from a name, config dict, class, instance or function.

    Names follow Keras' case-sensitive table and give a new `Metric` instance
    (``"mse"`` -> `MeanSquaredError()`, named ``"mean_squared_error"``); a
    function is returned as it is. ``"acc"`` is not a name here: `compile`
    resolves ``"accuracy"``/``"acc"`` with `resolve_accuracy`.

    Args:
        identifier: the metric, or None.

    Returns:
        A `Metric`, a function, or None for None.

    Raises:
        KerasnpError: the identifier names no metric.

    Example:
    >>> get("AUC").curve
    'ROC'
    """
    if identifier is None:
        return None
    return _registry.resolve("metric", identifier, ALL_OBJECTS, Metric, case_sensitive=True)


def serialize(metric: Any) -> Any:
    """The Keras-style config dict of a `Metric` (a function becomes its name).

    Example:
    >>> serialize(BinaryAccuracy(threshold=0.7))["config"]
    {'name': 'binary_accuracy', 'dtype': 'float32', 'threshold': 0.7}
    """
    return _registry.serialize(metric, "keras.metrics")


def deserialize(config: Any) -> Any:
    """The metric described by `config` (a name or a config dict); see `get`."""
    return get(config)


__all__ = [
    "Metric",
    "Mean",
    "Sum",
    "MeanMetricWrapper",
    "Accuracy",
    "BinaryAccuracy",
    "CategoricalAccuracy",
    "SparseCategoricalAccuracy",
    "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "RootMeanSquaredError",
    "LogCoshError",
    "CosineSimilarity",
    "Precision",
    "Recall",
    "AUC",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "KLDivergence",
    "Poisson",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "accuracy",
    "binary_accuracy",
    "categorical_accuracy",
    "sparse_categorical_accuracy",
    "top_k_categorical_accuracy",
    "sparse_top_k_categorical_accuracy",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "kl_divergence",
    "poisson",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "log_cosh",
    "huber",
    "get",
    "serialize",
    "deserialize",
    "resolve_accuracy",
]
