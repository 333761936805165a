"""`Input` and `InputLayer`: declare the shape of a model's inputs."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import KerasnpError
from .layer import Layer


def _check_shape(owner: str, shape: Any) -> tuple[int | None, ...]:
    if isinstance(shape, (int, np.integer)) and not isinstance(shape, bool):
        shape = (int(shape),)
    if shape is None or isinstance(shape, (str, bytes)) or not hasattr(shape, "__iter__"):
        raise KerasnpError(f"Invalid value for argument `shape` of {owner}: expected a tuple of "
                           f"positive ints (one sample, without the batch axis). "
                           f"Received: shape={shape!r}")
    shape = tuple(shape)
    for d in shape:
        if d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer))
                              or d <= 0):
            raise KerasnpError(f"Invalid value for argument `shape` of {owner}: expected a "
                               f"tuple of positive ints. Received: shape={shape!r}")
    return tuple(None if d is None else int(d) for d in shape)


class InputLayer(Layer):
    """The first layer of a model: it only fixes the input shape.

    Args:
        shape: the shape of one sample, without the batch axis, e.g. `(784,)`.
        batch_size: an optional fixed batch size.
        batch_shape: the full shape, batch axis included (instead of `shape`).

    Example:
    >>> InputLayer(shape=(784,)).batch_shape
    (None, 784)
    """

    def __init__(self, shape: Any = None, batch_size: int | None = None, dtype: Any = None,
                 batch_shape: Any = None, name: str | None = None, **kwargs: Any):
        super().__init__(name=name, dtype=dtype, **kwargs)
        if batch_shape is not None:
            batch_shape = tuple(batch_shape)
            shape = _check_shape("InputLayer", batch_shape[1:])
            batch_size = batch_shape[0]
        else:
            shape = _check_shape("InputLayer", shape)
        self.batch_shape = (batch_size,) + shape
        self.built = True

    @property
    def shape(self) -> tuple[int | None, ...]:
        return self.batch_shape

    def get_config(self) -> dict[str, Any]:
        return {"batch_shape": self.batch_shape, "dtype": self.dtype, "name": self.name}


class KerasTensor:
    """What `Input(shape)` returns: a symbolic input of a known shape."""

    def __init__(self, layer: InputLayer):
        self._layer = layer
        self.shape = layer.batch_shape
        self.dtype = layer.dtype
        self.name = layer.name

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


def Input(shape: Any = None, batch_size: int | None = None, dtype: Any = None,  # noqa: N802
          batch_shape: Any = None, name: str | None = None) -> KerasTensor:
    """Declare a model input of `shape` (one sample, no batch axis).

    Example:
    >>> Input(shape=(784,)).shape
    (None, 784)
    """
    return KerasTensor(InputLayer(shape=shape, batch_size=batch_size, dtype=dtype,
                                  batch_shape=batch_shape, name=name))
