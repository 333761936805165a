"""`Activation`: apply an activation function as a layer of its own."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import activations
from .._errors import KerasnpError
from .layer import Layer


class Activation(Layer):
    """Applies `activation` to its inputs.

    Args:
        activation: an activation name (`"relu"`, `"softmax"`, ...) or function.

    Example:
    >>> Activation("relu")(np.array([[-1.0, 2.0]], dtype="float32"))
    array([[0., 2.]], dtype=float32)
    """

    def __init__(self, activation: Any = None, **kwargs: Any):
        super().__init__(**kwargs)
        if activation is None:
            raise KerasnpError("Activation is missing its required argument `activation`, "
                               "e.g. Activation('relu').")
        self.activation = activations.get(activation)

    def call(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self._x = inputs
        self._y = self.activation(inputs)
        return self._y

    def backward(self, grad: np.ndarray, through_activation: bool = True) -> np.ndarray:
        if not through_activation:
            return grad
        return self.activation.backward(self._x, self._y, grad)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config["activation"] = activations.serialize(self.activation)
        return config
