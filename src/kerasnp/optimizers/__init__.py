"""Optimizers: SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Nadam, Adamax.

Each one updates `Variable.value` in place with Keras 3's update rule and
defaults; learning-rate schedules live in `kerasnp.optimizers.schedules`.

Example:
>>> get("adam")
Adam(name='adam...')
>>> get({"class_name": "SGD", "config": {"learning_rate": 0.1}}).learning_rate
0.1
"""

from __future__ import annotations

from typing import Any

from .. import _keras_names, _registry
from .._errors import KerasnpError, missing_names
from . import schedules
from .adagrad import Adadelta, Adagrad
from .adam import Adam, AdamW
from .adam_variants import Adamax, Nadam
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Nadam",
    "Adamax",
    "schedules",
    "get",
    "serialize",
    "deserialize",
]

_TABLE: dict[str, type] = {
    cls.__name__: cls for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Nadam, Adamax)
}


def get(identifier: Any) -> Optimizer | None:
    """Resolve an optimizer identifier, as Keras does (names in any case).

    Args:
        identifier: None; a name (`"adam"`, `"Adam"`, `"ADAM"`, `"sgd"`,
            `"rmsprop"`, ...) giving the default arguments; a config dict
            (`serialize()`'s, or `{"class_name": ..., "config": ...}`); a
            class; or an instance (returned as is).

    Returns:
        An `Optimizer`, or None for None.

    Raises:
        KerasnpError: the identifier names no optimizer (the message suggests
            the closest name).

    Example:
    >>> get("RMSprop").rho
    0.9
    """
    if identifier is None:
        return None
    result = _registry.resolve("optimizer", identifier, _TABLE, Optimizer, case_sensitive=False)
    if not isinstance(result, Optimizer):
        raise KerasnpError(
            "Could not interpret optimizer identifier: expected a name, a config dict, an "
            f"Optimizer class or instance. Received: {identifier!r}"
        )
    return result


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """The Keras-style config dict of an optimizer (`{"module", "class_name",
    "config", "registered_name"}`).

    Example:
    >>> serialize(SGD(momentum=0.9))["config"]["momentum"]
    0.9
    """
    return _registry.serialize(optimizer, "keras.optimizers")


def deserialize(config: dict[str, Any]) -> Optimizer:
    """Build an optimizer (without state) from `serialize()`'s dict.

    Example:
    >>> deserialize(serialize(Adam(learning_rate=0.01))).learning_rate
    0.01
    """
    return get(dict(config))


# `optimizers.Lion` and the like: say it is a Keras optimizer kerasnp lacks
__getattr__ = missing_names(__name__, "optimizer", __all__,
                            _keras_names.OPTIMIZERS)
