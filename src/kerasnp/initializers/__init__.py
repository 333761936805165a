"""Initializers: the arrays new weights start from, with Keras's formulas.

An initializer is called with a shape (and optionally a dtype) and returns a
NumPy array, of `floatx()` unless `dtype` is given. A random initializer
with an integer `seed` returns the same values at every call (as in Keras 3);
with `seed=None` it draws its seed once, when it is constructed, from the
global sequence that `kerasnp.utils.random.set_random_seed` restarts.

`get(identifier)` accepts the Keras names (`"glorot_uniform"`,
`"GlorotUniform"`, `"he_normal"`, `"zeros"`, ...; case-sensitive), a config
dict, a class, an instance, a function or an array.

The classes live in submodules by idea (`initializer`, `constant_initializers`,
`random_initializers`, `variance_scaling_initializers`, `orthogonal_initializer`);
import them from here.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._errors import KerasnpError
from .._registry import resolve
from .._registry import serialize as _serialize_object
from .constant_initializers import Constant, Identity, Ones, Zeros
from .initializer import Initializer, _dtype, _shape
from .orthogonal_initializer import Orthogonal
from .random_initializers import RandomNormal, RandomUniform, TruncatedNormal
from .variance_scaling_initializers import (
    GlorotNormal,
    GlorotUniform,
    HeNormal,
    HeUniform,
    LecunNormal,
    LecunUniform,
    VarianceScaling,
    compute_fans,
)

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "constant",
    "deserialize",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]


# The snake-case names Keras also exports (they are the classes themselves).
zeros = Zeros
ones = Ones
constant = Constant
identity = Identity
random_uniform = RandomUniform
random_normal = RandomNormal
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = Orthogonal

_INITIALIZERS: dict[str, type] = {
    name: obj for name, obj in globals().items() if inspect.isclass(obj) and name in __all__
}
del _INITIALIZERS["Initializer"]
_INITIALIZERS.update(
    normal=RandomNormal,
    uniform=RandomUniform,
    one=Ones,
    zero=Zeros,
    IdentityInitializer=Identity,
    OrthogonalInitializer=Orthogonal,
)


def get(identifier: Any) -> Initializer | Callable | None:
    """The initializer an identifier names.

    Args:
        identifier: None (gives None), a Keras name such as `"glorot_uniform"`
            or `"GlorotUniform"` (case-sensitive), a config dict, a class, an
            instance, a function `f(shape, dtype=None)`, or an array (whose
            values are returned for a call with its shape).

    Raises:
        KerasnpError: the name is unknown; the message lists the names and
            suggests the closest one.

    Example:
    >>> get("he_normal")
    HeNormal(seed=None, input_axes=None, output_axes=None)
    >>> get({"class_name": "Constant", "config": {"value": 2.0}})
    Constant(value=2.0)
    """
    if identifier is None:
        return None
    if isinstance(identifier, np.ndarray | np.generic):
        return _from_array(np.asarray(identifier))
    return resolve("initializer", identifier, _INITIALIZERS, Initializer, case_sensitive=True)


def _from_array(values: np.ndarray) -> Callable:
    def initialize(shape: Any, dtype: Any = None) -> np.ndarray:
        shape = _shape("initializer", shape)
        if shape != values.shape:
            raise KerasnpError(
                f"This initializer holds an array of shape {values.shape}, but a weight of "
                f"shape {shape} asked for values. Give an array of the weight's shape."
            )
        return np.array(values, dtype=_dtype("initializer", dtype, floating=False))

    return initialize


def serialize(initializer: Initializer | Callable | None) -> dict[str, Any] | str | None:
    """The Keras-style config dict of an initializer (a function gives its name; None, None).

    Example:
    >>> serialize(Zeros())
    {'module': 'keras.initializers', 'class_name': 'Zeros', 'config': {}, 'registered_name': None}
    """
    if initializer is None:
        return None
    if not (hasattr(initializer, "get_config") or inspect.isfunction(initializer)):
        raise KerasnpError(
            f"Cannot serialize the initializer {initializer!r}: it needs a get_config() method."
        )
    return _serialize_object(initializer, "keras.initializers")


def deserialize(config: str | Mapping[str, Any]) -> Initializer | Callable:
    """An initializer from a name or a config dict (the inverse of `serialize`).

    Example:
    >>> deserialize(serialize(RandomNormal(stddev=0.1, seed=3)))
    RandomNormal(seed=3, mean=0.0, stddev=0.1)
    """
    return resolve("initializer", config, _INITIALIZERS, Initializer, case_sensitive=True)
