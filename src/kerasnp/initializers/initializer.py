"""The `Initializer` base class, and the shape and dtype checks every initializer uses."""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._errors import invalid
from ..config import floatx


def _shape(owner: str, shape: Any) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        dims = None
    if dims is None or not all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 0 for d in dims
    ):
        raise invalid(owner, "shape", "a tuple of non-negative integers", shape)
    return tuple(int(d) for d in dims)


def _dtype(owner: str, dtype: Any, *, floating: bool) -> np.dtype:
    try:
        result = np.dtype(floatx() if dtype is None else dtype)
    except TypeError:
        result = None
    if result is None or result.kind not in ("f" if floating else "fiu"):
        what = "a float dtype" if floating else "a numeric dtype"
        raise invalid(owner, "dtype", f"{what} such as 'float32'", dtype)
    return result


class Initializer:
    """Base class: `initializer(shape, dtype=None)` returns a new array.

    A subclass implements `__call__`, and `get_config` when its constructor
    takes arguments.

    Example:
    >>> class Twos(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return np.full(shape, 2.0, dtype=dtype or floatx())
    >>> Twos()((2,))
    array([2., 2.], dtype=float32)
    """

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        raise NotImplementedError(
            f"{type(self).__name__} must implement __call__(shape, dtype=None)."
        )

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, for `from_config`."""
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Initializer:
        """A new initializer from `get_config()` output."""
        return cls(**config)

    def clone(self) -> Initializer:
        """A new initializer with the same config."""
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"
