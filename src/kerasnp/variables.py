"""`Variable`: a named NumPy array that a layer owns and an optimizer updates.

The array lives in `.value` and is always updated in place, so every
reference to it (the layer's, the optimizer's) stays valid.
"""

from __future__ import annotations

from typing import Any

import numpy as np


class Variable:
    """A weight: its array, name, and whether training changes it.

    Args:
        value: the initial array (copied, in the given dtype).
        name: the short name (`"kernel"`, `"bias"`).
        trainable: whether optimizers update it. Defaults to `True`.
        regularizer: a callable penalty, or None.
        path: `"layer_name/name"`, set by the owning layer.
    """

    __slots__ = ("value", "name", "trainable", "regularizer", "path")

    def __init__(self, value: Any, name: str, trainable: bool = True, regularizer: Any = None,
                 path: str | None = None, dtype: Any = None):
        self.value = np.array(value, dtype=dtype, copy=True)
        self.name = name
        self.trainable = trainable
        self.regularizer = regularizer
        self.path = path or name

    @property
    def shape(self) -> tuple[int, ...]:
        return self.value.shape

    @property
    def dtype(self) -> np.dtype:
        return self.value.dtype

    def numpy(self) -> np.ndarray:
        """A copy of the current value."""
        return self.value.copy()

    def assign(self, value: Any) -> None:
        """Overwrite the value in place; the shape must match."""
        value = np.asarray(value)
        if value.shape != self.value.shape:
            from ._errors import KerasnpError

            raise KerasnpError(
                f"Cannot assign to variable `{self.path}`: expected shape {self.value.shape}. "
                f"Received: value.shape={value.shape}")
        self.value[...] = value

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.value if dtype is None else self.value.astype(dtype)

    def __repr__(self) -> str:
        return f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}>"
