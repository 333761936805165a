"""`Layer`: the base of every layer, with Keras's lifecycle plus `backward`.

Lifecycle: `__init__` checks and stores arguments; `build(input_shape)`
creates the weights on the first call; `call(inputs, training=False)` is the
forward math; `backward(grad_output)` returns the gradient with respect to
the inputs and fills `self.grads` under the weights' names.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import config
from .._errors import KerasnpError, check_bool, reject_keywords
from .._naming import to_snake_case, unique_name
from ..variables import Variable

_NAME_COUNTS: dict[str, int] = {}  # the layers' default names: dense, dense_1, ...


class Layer:
    """Base class of all layers.

    Args:
        name: the layer's name. Defaults to the snake-case class name made
            unique in the process (`dense`, `dense_1`, ...).
        trainable: whether the layer's weights are updated by `fit`.
            Defaults to `True`.
        dtype: the float type of weights and outputs. Defaults to
            `kerasnp.config.floatx()`.
        activity_regularizer: a penalty on the layer's output, divided by the
            batch size and added to the loss (as Keras).
        input_shape: accepted for Keras compatibility on a Sequential model's
            first layer (prefer `kerasnp.Input`).
        input_dim: the same, for 2-D inputs.

    Raises:
        KerasnpError: an unknown keyword (a misspelling names the right one).
    """

    def __init__(self, name: str | None = None, trainable: bool = True, dtype: Any = None,
                 activity_regularizer: Any = None, input_shape: Any = None,
                 input_dim: Any = None, **kwargs: Any):
        reject_keywords(type(self).__name__, kwargs, type(self))
        if name is not None and not isinstance(name, str):
            raise KerasnpError(f"Invalid value for argument `name` of {type(self).__name__}: "
                               f"expected a string. Received: name={name!r}")
        self.name = name or unique_name(to_snake_case(type(self).__name__), _NAME_COUNTS)
        self.trainable = check_bool(type(self).__name__, "trainable", trainable)
        self.dtype = np.dtype(dtype or config.floatx()).name
        from .. import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        if input_dim is not None and input_shape is None:
            input_shape = (input_dim,)
        if input_shape is not None:
            warnings.warn(
                "Do not pass an `input_shape`/`input_dim` argument to a layer. When using "
                "Sequential models, prefer using an `Input(shape)` object as the first layer "
                "in the model instead.", UserWarning, stacklevel=3)
            input_shape = (input_shape,) if isinstance(input_shape, int) else tuple(input_shape)
        self._input_shape_arg = input_shape
        self.built = False
        self.grads: dict[str, np.ndarray] = {}
        self._variables: list[Variable] = []
        self._activity_loss = 0.0
        self._output: np.ndarray | None = None
        self._buffers: dict[tuple[str, tuple[int, ...]], np.ndarray] = {}

    # ------------------------------------------------------------------ weights
    def add_weight(self, name: str, shape: tuple[int, ...], initializer: Any = "zeros",
                   regularizer: Any = None, trainable: bool = True) -> Variable:
        """Create a weight, initialised now, owned by this layer."""
        from .. import initializers

        value = initializers.get(initializer)(tuple(shape), dtype=self.dtype)
        var = Variable(value, name, trainable=trainable, regularizer=regularizer,
                       path=f"{self.name}/{name}", dtype=self.dtype)
        self._variables.append(var)
        return var

    @property
    def weights(self) -> list[Variable]:
        return list(self._variables)

    @property
    def trainable_weights(self) -> list[Variable]:
        return [v for v in self._variables if v.trainable] if self.trainable else []

    @property
    def non_trainable_weights(self) -> list[Variable]:
        if not self.trainable:
            return list(self._variables)
        return [v for v in self._variables if not v.trainable]

    @property
    def trainable_variables(self) -> list[Variable]:
        return self.trainable_weights

    @property
    def variables(self) -> list[Variable]:
        return self.weights

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the weights' values, in creation order."""
        return [v.numpy() for v in self._variables]

    def set_weights(self, weights: list[Any]) -> None:
        """Overwrite the weights, in creation order; shapes must match."""
        if len(weights) != len(self._variables):
            raise KerasnpError(
                f"Layer '{self.name}' expected {len(self._variables)} weights "
                f"({', '.join(v.name for v in self._variables) or 'none'}). "
                f"Received: {len(weights)} weights")
        for var, value in zip(self._variables, weights, strict=True):
            var.assign(value)

    def count_params(self) -> int:
        """The number of scalars in the layer's weights."""
        if not self.built:
            raise KerasnpError(
                f"You tried to call `count_params` on layer '{self.name}', but the layer isn't "
                "built. Build it with `layer.build(input_shape)` or call it on data first.")
        return int(sum(v.value.size for v in self._variables))

    @property
    def losses(self) -> list[float]:
        """The layer's penalty terms: activity (from the last call), then weights."""
        out = [self._activity_loss] if self.activity_regularizer is not None else []
        if self.trainable:
            out += [float(v.regularizer(v.value)) for v in self._variables
                    if v.regularizer is not None and v.trainable]
        return out

    # ---------------------------------------------------------------- lifecycle
    def build(self, input_shape: tuple[int | None, ...]) -> None:
        """Create the weights for inputs of `input_shape` (batch axis first)."""
        self.built = True

    def __call__(self, inputs: Any, training: bool = False) -> np.ndarray:
        inputs = np.asarray(inputs)
        if not self.built:
            self.build((None,) + inputs.shape[1:])
            self.built = True
        out = self.call(inputs, training=training)
        if self.activity_regularizer is not None:
            self._output = out
            self._activity_loss = float(self.activity_regularizer(out)) / max(len(out), 1)
        return out

    def call(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        """The forward pass. Subclasses override it."""
        return inputs

    def backward(self, grad: np.ndarray) -> np.ndarray:
        """The gradient of the loss with respect to the last call's inputs."""
        return grad

    def backprop(self, grad: np.ndarray) -> np.ndarray:
        """`backward`, after adding the activity penalty's gradient if any."""
        if self.activity_regularizer is not None and self._output is not None:
            grad = grad + self.activity_regularizer.gradient(self._output) / len(self._output)
        return self.backward(grad)

    # ------------------------------------------------- inside the model's loops
    # `fit`, `evaluate` and `predict` call these instead of `__call__` and
    # `backprop`. A layer may then return arrays that live in its own buffers
    # and are overwritten by its next such call (never by another layer), so
    # a step allocates nothing; the public methods always return new arrays.
    def _forward_reusing(self, inputs: np.ndarray, training: bool) -> np.ndarray:
        """The forward pass of the model's loops (by default `__call__`)."""
        return self(inputs, training=training)

    def _backward_reusing(self, grad: np.ndarray, need_input_grad: bool = True,
                          through_activation: bool = True) -> np.ndarray | None:
        """`backprop` of the model's loops; may skip the input gradient when
        `need_input_grad` is False (the first layer's). `through_activation=False`
        is the fused softmax/sigmoid + cross-entropy path of an output layer."""
        if not through_activation:
            return self.backward(grad, through_activation=False)
        return self.backprop(grad)

    #: whether `_backward_reusing` takes `above=`: the Dropout layer above it,
    #: whose backward pass (`grad * mask`) it then does in its own
    _takes_gradient_mask = False

    def _gradient_mask(self, grad: np.ndarray) -> np.ndarray | None:
        """The mask this layer's backward pass multiplies `grad` by, if that
        is all it does (Dropout's), for the layer below to apply in its own
        pass (`Sequential._backward_to`); None otherwise."""
        return None

    #: the attributes this layer's `_forward_calls`/`_backward_calls` decide
    #: from: a step program runs only while they hold the same objects
    _program_watch: tuple[str, ...] = ("activity_regularizer",)

    def _forward_calls(self, inputs: np.ndarray) -> tuple[list[Callable[[], Any]],
                                                          np.ndarray] | None:
        """This layer's training pass on the buffer `inputs` as calls made ready
        once, and the buffer they write its output to, for a step program
        (`models.program`); None (here) where the layer has none."""
        return None

    def _backward_calls(self, grad: np.ndarray, inputs: np.ndarray, output: np.ndarray,
                        need_input_grad: bool, through_activation: bool,
                        above: Layer | None = None) -> tuple[list[Callable[[], Any]],
                                                             np.ndarray | None] | None:
        """The backward pass after `_forward_calls(inputs)` as calls made ready
        once, and the buffer of the input gradient (None if not needed); None
        (here) where the layer has none."""
        return None

    def _buffer(self, name: str, shape: tuple[int, ...], dtype: Any = None) -> np.ndarray:
        """This layer's reusable array `name` of `shape` (one per batch size, and
        per dtype when one is asked for)."""
        key = (name, shape) if dtype is None else (name, shape, dtype)
        buf = self._buffers.get(key)
        if buf is None:
            if len(self._buffers) >= 64:  # many batch sizes seen (predict on odd sizes)
                self._buffers.clear()
            buf = self._buffers[key] = np.empty(shape, dtype=dtype or self.dtype)
        return buf

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        """The output shape for `input_shape` (the batch axis may be None)."""
        return tuple(input_shape)

    # ------------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments that recreate this layer."""
        config = {"name": self.name, "trainable": self.trainable, "dtype": self.dtype}
        if self.activity_regularizer is not None:
            from .. import regularizers

            config["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


def times_mask_of(layer: Layer, grad: np.ndarray, out: np.ndarray) -> None:
    """`out = grad * mask` with `layer`'s (a Dropout layer's) mask of the
    moment: a step program's call (`models.program`), made ready once while
    the mask may come in another buffer at each step."""
    np.multiply(grad, layer._mask, out=out)
