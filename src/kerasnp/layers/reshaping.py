"""`Flatten` and `Reshape`: change the shape of each sample, not its values."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._errors import KerasnpError, check_choice
from .layer import Layer


class _Views(Layer):
    """A step program's calls (`models.program`) for a layer whose output and
    input gradient are views of its input and output gradient (no channels
    moved): none at all, the views of the step's buffers are made once."""

    def _forward_calls(self, inputs: np.ndarray) -> tuple[list, np.ndarray] | None:
        cls = type(self)
        if (cls._forward_reusing is not Layer._forward_reusing or cls.call not in _VIEW_CALLS
                or self.activity_regularizer is not None):
            return None
        out = self.call(inputs)
        return ([], out) if np.shares_memory(out, inputs) and out.size == inputs.size else None

    def _backward_calls(self, grad: np.ndarray, inputs: np.ndarray, output: np.ndarray,
                        need_input_grad: bool, through_activation: bool,
                        above: Layer | None = None) -> tuple[list, np.ndarray | None] | None:
        if (type(self)._backward_reusing is not Layer._backward_reusing
                or type(self).backward not in _VIEW_BACKWARDS or above is not None
                or self.activity_regularizer is not None or not through_activation):
            return None
        if not need_input_grad:
            return [], None
        dx = self.backward(grad)
        return ([], dx) if np.shares_memory(dx, grad) and dx.size == grad.size else None


class Flatten(_Views):
    """Flattens each sample to one axis: `(batch, 28, 28)` -> `(batch, 784)`.

    Args:
        data_format: `"channels_last"` (or None, the default) flattens the
            values in their order; `"channels_first"` treats axis 1 as the
            channels and moves it last before flattening, as Keras does, so
            weights ported from a channels-first model line up.

    Example:
    >>> Flatten()(np.zeros((2, 28, 28), dtype="float32")).shape
    (2, 784)
    """

    _program_watch = ("activity_regularizer", "data_format")

    def __init__(self, data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if data_format is not None:
            check_choice("Flatten", "data_format", data_format,
                         ["channels_last", "channels_first"])
        self.data_format = data_format

    def _channels_first(self, ndim: int) -> bool:
        return self.data_format == "channels_first" and ndim > 2

    def call(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self._shape = inputs.shape
        if self._channels_first(inputs.ndim):
            inputs = np.moveaxis(inputs, 1, -1)
        return inputs.reshape(len(inputs), -1)

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._channels_first(len(self._shape)):
            moved = self._shape[:1] + self._shape[2:] + self._shape[1:2]
            return np.moveaxis(grad.reshape(moved), -1, 1)
        return grad.reshape(self._shape)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], size)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["data_format"] = self.data_format
        return config


class Reshape(_Views):
    """Reshapes each sample to `target_shape` (one entry may be -1).

    Args:
        target_shape: the new shape of one sample, without the batch axis.

    Example:
    >>> Reshape((4, 2))(np.zeros((3, 8), dtype="float32")).shape
    (3, 4, 2)
    """

    _program_watch = ("activity_regularizer", "target_shape")

    def __init__(self, target_shape: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        if target_shape is None or isinstance(target_shape, (str, bytes)) or not hasattr(
                target_shape, "__iter__"):
            raise KerasnpError("Invalid value for argument `target_shape` of Reshape: expected "
                               f"a tuple of ints. Received: target_shape={target_shape!r}")
        target_shape = tuple(target_shape)
        if (any(isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d == 0 or d < -1
                for d in target_shape) or target_shape.count(-1) > 1):
            raise KerasnpError("Invalid value for argument `target_shape` of Reshape: expected "
                               "positive ints with at most one -1. "
                               f"Received: target_shape={target_shape!r}")
        self.target_shape = tuple(int(d) for d in target_shape)

    def call(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self._shape = inputs.shape
        try:
            return inputs.reshape((len(inputs),) + self.target_shape)
        except ValueError:
            raise KerasnpError(
                f"Reshape '{self.name}' cannot reshape samples of shape {inputs.shape[1:]} "
                f"({math.prod(inputs.shape[1:])} values) to {self.target_shape}.") from None

    def backward(self, grad: np.ndarray) -> np.ndarray:
        return grad.reshape(self._shape)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        shape = list(self.target_shape)
        if -1 in shape:
            rest = input_shape[1:]
            if any(d is None for d in rest):
                shape[shape.index(-1)] = None
            else:
                known = math.prod(d for d in shape if d != -1)
                shape[shape.index(-1)] = math.prod(rest) // known
        return (input_shape[0], *shape)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["target_shape"] = self.target_shape
        return config


_VIEW_CALLS = (Flatten.call, Reshape.call)
_VIEW_BACKWARDS = (Flatten.backward, Reshape.backward)
