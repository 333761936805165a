"""Initializers without randomness: `Zeros`, `Ones`, `Constant` and `Identity`."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import KerasnpError, check_float, invalid
from .initializer import Initializer, _dtype, _shape


class Zeros(Initializer):
    """All zeros.

    Example:
    >>> Zeros()((2, 2))
    array([[0., 0.],
           [0., 0.]], dtype=float32)
    """

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        return np.zeros(_shape("Zeros", shape), _dtype("Zeros", dtype, floating=False))


class Ones(Initializer):
    """All ones.

    Example:
    >>> Ones()(3)
    array([1., 1., 1.], dtype=float32)
    """

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        return np.ones(_shape("Ones", shape), _dtype("Ones", dtype, floating=False))


class Constant(Initializer):
    """Every entry set to `value` (a number, or an array broadcast to the shape).

    Args:
        value: the value. Defaults to `0.0`.

    Example:
    >>> Constant(0.5)((2,))
    array([0.5, 0.5], dtype=float32)
    """

    def __init__(self, value: Any = 0.0):
        try:
            kind = np.asarray(value).dtype.kind
        except ValueError:  # a ragged list
            kind = "O"
        if kind not in "fiu" or isinstance(value, str):
            raise invalid("Constant", "value", "a number or an array of numbers", value)
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape = _shape("Constant", shape)
        values = np.asarray(self.value, dtype=_dtype("Constant", dtype, floating=False))
        try:
            return np.broadcast_to(values, shape).copy()
        except ValueError:
            raise KerasnpError(
                f"Constant value of shape {values.shape} does not broadcast to the "
                f"requested shape {shape}."
            ) from None

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; rectangular allowed).

    Args:
        gain: the diagonal value. Defaults to `1.0`.

    Example:
    >>> Identity(2.0)((2, 3))
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0):
        self.gain = check_float("Identity", "gain", gain)

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape = _shape("Identity", shape)
        if len(shape) != 2:
            raise invalid("Identity", "shape", "a 2-D shape (rows, columns)", shape)
        result = np.eye(*shape, dtype=_dtype("Identity", dtype, floating=True))
        result *= self.gain
        return result

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}
