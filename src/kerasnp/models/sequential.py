"""`Sequential`: a model that is a plain stack of layers."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import KerasnpError
from ..layers import Layer
from ..layers import deserialize as deserialize_layer
from ..layers import serialize as serialize_layer
from ..layers.input_layer import InputLayer, KerasTensor
from .model import Model


class Sequential(Model):
    """A linear stack of layers: each layer's output is the next one's input.

    Args:
        layers: an optional list of layers (an `Input(shape)` may come first).
        trainable: Defaults to `True`.
        name: Defaults to `"sequential"`, made unique in the process.

    Example:
    >>> import kerasnp as keras
    >>> model = keras.Sequential([keras.Input(shape=(4,)),
    ...                           keras.layers.Dense(3, activation="softmax")])
    >>> model.count_params()
    15
    >>> model.predict(np.zeros((2, 4)), verbose=0).shape
    (2, 3)
    """

    def __init__(self, layers: list[Any] | None = None, trainable: bool = True,
                 name: str | None = None, **kwargs: Any):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._layers: list[Layer] = []
        self._input_layer: InputLayer | None = None
        for layer in layers or []:
            self.add(layer)

    # ---------------------------------------------------------------- structure
    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Append a layer (or an `Input`) to the stack."""
        if isinstance(layer, KerasTensor):
            layer = layer._layer
        if not isinstance(layer, Layer):
            raise KerasnpError("Only layers can be added to a Sequential model. Received: "
                               f"{layer!r} (of type {type(layer).__name__})")
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._layers:
                raise KerasnpError("An Input can only be the first layer of a Sequential model.")
            self._input_layer = layer
            self.build(layer.batch_shape)
            return
        if any(existing is layer for existing in self._layers):
            raise KerasnpError(f"Layer '{layer.name}' is already in this model.")
        if not self._layers and self._input_layer is None and layer._input_shape_arg:
            self._input_layer = InputLayer(shape=layer._input_shape_arg)
        self._layers.append(layer)
        if rebuild and self._input_layer is not None:
            self.build(self._input_layer.batch_shape)
        else:
            self.built = False

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise KerasnpError("There are no layers in the model to pop.")
        layer = self._layers.pop()
        self._compiled_metrics = None
        if rebuild and self._input_layer is not None:
            self.build(self._input_layer.batch_shape)
        return layer

    @property
    def layers(self) -> list[Layer]:
        """The layers, without the input layer (as Keras lists them)."""
        return list(self._layers)

    def _layers_for_training(self) -> list[Layer]:
        return self._layers

    def _last_layer(self) -> Layer | None:
        return self._layers[-1] if self._layers else None

    @property
    def input_shape(self) -> tuple[int | None, ...] | None:
        return None if self._input_layer is None else self._input_layer.batch_shape

    @property
    def output_shape(self) -> tuple[int | None, ...] | None:
        if self.input_shape is None:
            return None
        shape = self.input_shape
        for layer in self._layers:
            shape = layer.compute_output_shape(shape)
        return shape

    def build(self, input_shape: Any = None) -> None:
        """Create every layer's weights for inputs of `input_shape` (batch axis first)."""
        if input_shape is None:
            if self._input_layer is None:
                raise KerasnpError("Sequential.build needs an input shape, e.g. "
                                   "model.build((None, 784)), or start the model with "
                                   "keras.Input(shape=(784,)).")
            input_shape = self._input_layer.batch_shape
        input_shape = tuple(input_shape)
        if self._input_layer is None:
            self._input_layer = InputLayer(batch_shape=input_shape)
        shape = input_shape
        for layer in self._layers:
            if not layer.built:
                try:
                    layer.build(shape)
                except KerasnpError:
                    raise
                layer.built = True
            shape = layer.compute_output_shape(shape)
        self.built = True

    # ------------------------------------------------------- forward / backward
    def _forward(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        for layer in self._layers:
            x = layer(x, training=training)
        return x

    def _backward(self, grad: np.ndarray, through_last_activation: bool = True) -> np.ndarray:
        layers = self._layers
        last = layers[-1]
        if through_last_activation:
            grad = last.backprop(grad)
        else:
            grad = last.backward(grad, through_activation=False)
        for layer in reversed(layers[:-1]):
            grad = layer.backprop(grad)
        return grad

    def _forward_reusing(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """`_forward` for fit/evaluate/predict: the result may live in a layer's
        buffer, valid until the next forward pass."""
        for layer in self._layers:
            x = layer._forward_reusing(x, training)
        return x

    def _backward_to(self, grad: np.ndarray, through_last_activation: bool = True,
                    start: int = 0) -> None:
        """`_backward` for fit: fills the layers' `grads` down to layer `start`
        (the first one with trainable weights) and skips the gradient that
        layer would pass to its inputs."""
        layers = self._layers
        last = len(layers) - 1
        above = None  # a Dropout layer whose backward pass the layer below does
        for i in range(last, start - 1, -1):
            layer = layers[i]
            if above is None and hands_down(layers, i, start, grad):
                above = layer
                continue
            through = through_last_activation or i < last
            if above is None:
                grad = layer._backward_reusing(grad, i > start, through)
            else:
                grad = layer._backward_reusing(grad, i > start, through, above=above)
                above = None

    # ----------------------------------------------------------------- weights
    @property
    def weights(self) -> list[Any]:
        return [v for layer in self._layers for v in layer.weights]

    @property
    def trainable_weights(self) -> list[Any]:
        if not self.trainable:
            return []
        return [v for layer in self._layers for v in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list[Any]:
        if not self.trainable:
            return self.weights
        return [v for layer in self._layers for v in layer.non_trainable_weights]

    def get_weights(self) -> list[np.ndarray]:
        return [w for layer in self._layers for w in layer.get_weights()]

    def set_weights(self, weights: list[Any]) -> None:
        expected = sum(len(layer.weights) for layer in self._layers)
        if len(weights) != expected:
            raise KerasnpError(f"Model '{self.name}' expected {expected} weight arrays. "
                               f"Received: {len(weights)}")
        i = 0
        for layer in self._layers:
            k = len(layer.weights)
            layer.set_weights(list(weights[i:i + k]))
            i += k

    def count_params(self) -> int:
        if not self.built:
            raise KerasnpError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. Build it with `model.build(input_shape)`, give it an `Input(shape)`, "
                "or call it on data first.")
        return int(sum(layer.count_params() for layer in self._layers))

    def summary(self, line_length: int | None = None, positions: Any = None,
                print_fn: Any = None, **kwargs: Any) -> None:
        """Print a table of the layers, their output shapes and parameter counts."""
        from .summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn)

    # ------------------------------------------------------------------ config
    def get_config(self) -> dict[str, Any]:
        layers = []
        if self._input_layer is not None:
            layers.append(serialize_layer(self._input_layer))
        layers += [serialize_layer(layer) for layer in self._layers]
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
                "layers": layers}

    @classmethod
    def from_config(cls, config: dict[str, Any], custom_objects: Any = None) -> Sequential:
        from .._registry import custom_object_scope

        config = dict(config)
        layer_configs = config.pop("layers", [])
        config.pop("build_input_shape", None)
        with custom_object_scope(custom_objects):
            layers = [deserialize_layer(c) for c in layer_configs]
        return cls(layers=layers, **config)

    def __repr__(self) -> str:
        return f"<Sequential name={self.name}, layers={len(self._layers)}, built={self.built}>"


def hands_down(layers: list[Layer], i: int, start: int, grad: np.ndarray) -> bool:
    """Whether layer `i`'s backward pass (a Dropout layer's, `grad * mask`) is
    left to the layer below it, which does it in its own pass (`above=`)."""
    return (i > start and layers[i - 1]._takes_gradient_mask
            and layers[i]._gradient_mask(grad) is not None)
