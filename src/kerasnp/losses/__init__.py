"""Losses: per-sample functions, `Loss` classes, and the Keras names for them.

Functions (``categorical_crossentropy(y_true, y_pred)``) return one loss per
sample; classes (``CategoricalCrossentropy()``) reduce them to one number
and give its gradient. `get` resolves what `compile(loss=...)` accepts, with
Keras' case-sensitive table: function names return the function, class
names an instance.

Example:
>>> import kerasnp
>>> kerasnp.losses.get("mse") is kerasnp.losses.mean_squared_error
True
>>> kerasnp.losses.get("CategoricalCrossentropy")
<CategoricalCrossentropy name='categorical_crossentropy' ...>
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import _registry
from .binary import BinaryCrossentropy, binary_crossentropy
from .categorical import (
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
)
from .hinge_losses import (
    CategoricalHinge,
    Hinge,
    SquaredHinge,
    categorical_hinge,
    hinge,
    squared_hinge,
)
from .loss import REDUCTIONS, Loss, LossFunctionWrapper
from .probabilistic import KLDivergence, Poisson, kl_divergence, poisson
from .regression import (
    CosineSimilarity,
    Huber,
    LogCosh,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredError,
    MeanSquaredLogarithmicError,
    cosine_similarity,
    huber,
    log_cosh,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_logarithmic_error,
)

_CLASSES = [
    Loss,
    LossFunctionWrapper,
    BinaryCrossentropy,
    CategoricalCrossentropy,
    SparseCategoricalCrossentropy,
    MeanSquaredError,
    MeanAbsoluteError,
    MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError,
    CosineSimilarity,
    Huber,
    LogCosh,
    Hinge,
    SquaredHinge,
    CategoricalHinge,
    KLDivergence,
    Poisson,
]
_FUNCTIONS = [
    binary_crossentropy,
    categorical_crossentropy,
    sparse_categorical_crossentropy,
    mean_squared_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_logarithmic_error,
    cosine_similarity,
    huber,
    log_cosh,
    hinge,
    squared_hinge,
    categorical_hinge,
    kl_divergence,
    poisson,
]
_ALIASES = {
    "bce": binary_crossentropy,
    "BCE": binary_crossentropy,
    "kld": kl_divergence,
    "KLD": kl_divergence,
    "mae": mean_absolute_error,
    "MAE": mean_absolute_error,
    "mse": mean_squared_error,
    "MSE": mean_squared_error,
    "mape": mean_absolute_percentage_error,
    "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error,
    "MSLE": mean_squared_logarithmic_error,
}
ALL_OBJECTS: dict[str, Any] = {
    **{c.__name__: c for c in _CLASSES},
    **{f.__name__: f for f in _FUNCTIONS},
    **_ALIASES,
}


def get(identifier: Any) -> Any:
    """A loss function or `Loss` instance from a name, config, class, instance or function.

    Names are case-sensitive, as in Keras: ``"mse"``, ``"MSE"`` and
    ``"mean_squared_error"`` give the function, ``"MeanSquaredError"`` an
    instance; ``"Mse"`` is an error that suggests the closest name.

    Args:
        identifier: the loss, or None.

    Returns:
        A function, a `Loss`, or None for None.

    Raises:
        KerasnpError: the identifier names no loss.

    Example:
    >>> get("binary_crossentropy").__name__
    'binary_crossentropy'
    """
    if identifier is None:
        return None
    return _registry.resolve("loss", identifier, ALL_OBJECTS, Loss, case_sensitive=True)


def serialize(loss: Any) -> Any:
    """The Keras-style config dict of a `Loss` (a function becomes its name).

    Example:
    >>> serialize(Huber(delta=2.0))["config"]
    {'name': 'huber_loss', 'reduction': 'sum_over_batch_size', 'delta': 2.0}
    """
    return _registry.serialize(loss, "keras.losses")


def deserialize(config: Any) -> Any:
    """The loss described by `config` (a name or a config dict); see `get`."""
    return get(config)


def resolve_crossentropy(
    name: str, y_true_shape: Sequence[int], y_pred_shape: Sequence[int]
) -> Loss:
    """The cross-entropy that `compile(loss="crossentropy")` (or ``"ce"``) means.

    Keras picks by shape only: one output unit means binary; labels of
    lower rank than the outputs (or with a trailing 1 against several
    units) mean sparse categorical; anything else categorical. The loss
    keeps `name` as written.

    Example:
    >>> type(resolve_crossentropy("ce", (32,), (32, 10))).__name__
    'SparseCategoricalCrossentropy'
    """
    y_true_shape, y_pred_shape = tuple(y_true_shape), tuple(y_pred_shape)
    if y_pred_shape[-1:] == (1,):
        return BinaryCrossentropy(name=name)
    if len(y_true_shape) < len(y_pred_shape) or (
        y_true_shape[-1:] == (1,) and y_pred_shape[-1] > 1
    ):
        return SparseCategoricalCrossentropy(name=name)
    return CategoricalCrossentropy(name=name)


__all__ = [
    "REDUCTIONS",
    "Loss",
    "LossFunctionWrapper",
    "BinaryCrossentropy",
    "CategoricalCrossentropy",
    "SparseCategoricalCrossentropy",
    "MeanSquaredError",
    "MeanAbsoluteError",
    "MeanAbsolutePercentageError",
    "MeanSquaredLogarithmicError",
    "CosineSimilarity",
    "Huber",
    "LogCosh",
    "Hinge",
    "SquaredHinge",
    "CategoricalHinge",
    "KLDivergence",
    "Poisson",
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "cosine_similarity",
    "huber",
    "log_cosh",
    "hinge",
    "squared_hinge",
    "categorical_hinge",
    "kl_divergence",
    "poisson",
    "get",
    "serialize",
    "deserialize",
    "resolve_crossentropy",
]
