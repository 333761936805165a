"""`Dense`: `output = activation(inputs @ kernel + bias)`."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _compiled, _parallel, activations, initializers, regularizers
from .._errors import KerasnpError, check_bool
from .layer import Layer, times_mask_of


class Dense(Layer):
    """A fully connected layer: `activation(inputs @ kernel + bias)`.

    Inputs of rank > 2 are multiplied along their last axis, as in Keras.

    Args:
        units: the number of outputs, a positive integer.
        activation: an activation name or function. Defaults to `None`
            (linear).
        use_bias: whether to add a bias. Defaults to `True`.
        kernel_initializer: Defaults to `"glorot_uniform"`.
        bias_initializer: Defaults to `"zeros"`.
        kernel_regularizer: a penalty on the kernel (e.g. `regularizers.l2(1e-3)`),
            added to the loss. Defaults to `None`.
        bias_regularizer: a penalty on the bias. Defaults to `None`.
        activity_regularizer: a penalty on the output. Defaults to `None`.
        **kwargs: `name`, `trainable`, `dtype`, `input_shape`, `input_dim`.

    Call arguments:
        inputs: an array of shape `(batch, ..., input_dim)`.
        training: unused (the layer behaves the same in training).

    Returns:
        An array of shape `(batch, ..., units)`.

    Example:
    >>> layer = Dense(3, activation="relu", kernel_initializer="ones")
    >>> layer(np.ones((2, 4), dtype="float32"))
    array([[4., 4., 4.],
           [4., 4., 4.]], dtype=float32)
    """

    def __init__(self, units: int | None = None, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if units is None:
            raise KerasnpError("Dense is missing its required argument `units` (the number of "
                               "outputs), e.g. Dense(10) or Dense(units=10).")
        if isinstance(units, bool) or not isinstance(units, (int, np.integer)) or units <= 0:
            raise KerasnpError("Invalid value for argument `units` of Dense: expected a positive "
                               f"integer. Received: units={units!r}")
        if kernel_constraint is not None or bias_constraint is not None:
            raise KerasnpError("Dense: weight constraints are not supported by kerasnp. "
                               "Received: kernel_constraint/bias_constraint")
        self.units = int(units)
        self.activation = activations.get(activation)
        self.use_bias = check_bool("Dense", "use_bias", use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self._fused = False

    def build(self, input_shape: tuple[int | None, ...]) -> None:
        if len(input_shape) < 2 or input_shape[-1] is None:
            raise KerasnpError(f"Dense '{self.name}' needs inputs with a known last dimension. "
                               f"Received: input_shape={tuple(input_shape)}")
        self.kernel = self.add_weight("kernel", (input_shape[-1], self.units),
                                      self.kernel_initializer, self.kernel_regularizer)
        self.bias = (self.add_weight("bias", (self.units,), self.bias_initializer,
                                     self.bias_regularizer) if self.use_bias else None)
        self.built = True

    def call(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        self._inputs = inputs
        z = inputs @ self.kernel.value
        if self.bias is not None:
            z += self.bias.value
        if self.activation is activations.linear:
            self._z = self._y = z
            return z
        y = self.activation(z)
        self._z, self._y = z, y
        return y

    def backward(self, grad: np.ndarray, through_activation: bool = True) -> np.ndarray:
        """Gradients of kernel and bias, and of the inputs.

        With `through_activation=False`, `grad` is already the gradient with
        respect to the pre-activation `z` (the fused softmax/sigmoid + cross-
        entropy path: `p - y`).
        """
        if through_activation and self.activation is not activations.linear:
            # after `_forward_reusing` the pre-activation was overwritten (_z is
            # None); its activation's backward needs only y (`activations.in_place`)
            x_act = self._y if self._z is None else self._z
            grad = self.activation.backward(x_act, self._y, grad)
        x = self._inputs
        x2 = x.reshape(-1, x.shape[-1])
        g2 = grad.reshape(-1, self.units)
        self.grads["kernel"] = x2.T @ g2
        if self.bias is not None:
            self.grads["bias"] = g2.sum(axis=0)
        return grad @ self.kernel.value.T

    # The same math in the model's loops, in this layer's buffers: the
    # activation is applied in place when it allows it (relu, softmax, ...).
    # Both passes are made of calls made ready on the arrays (`_ready_forward`,
    # `_ready_backward`), run at once here, or kept and run at every step of
    # a step program (`models.program`, through `_forward_calls`).
    def _forward_reusing(self, inputs: np.ndarray, training: bool) -> np.ndarray:
        made = self._ready_forward(inputs)
        if made is None:
            return self._forward_kept(inputs, training)
        calls, z = made
        for call in calls:
            call()
        self._inputs = inputs
        self._z, self._y = None, z
        return z

    def _buffers_take(self, a: np.ndarray) -> bool:
        """Whether the passes in this layer's buffers take `a` (the inputs, or
        the output's gradient): 2-D, of the kernel's dtype, no activity
        regularizer (its penalty needs `__call__`)."""
        return (a.ndim == 2 and a.dtype == self.kernel.value.dtype
                and self.activity_regularizer is None)

    def _forward_kept(self, inputs: np.ndarray, training: bool) -> np.ndarray:
        """The forward passes without ready calls: inputs the buffers do not
        take (`__call__`), or an activation whose gradient needs its input,
        kept in `_z` (the output is then a new array)."""
        if not self._buffers_take(inputs):
            return self(inputs, training=training)
        self._inputs = inputs
        z = _parallel.kernel_product(inputs, self.kernel.value,
                                     self._buffer("z", (len(inputs), self.units)))
        if self.bias is not None:
            z += self.bias.value
        self._z, self._y = z, self.activation(z)
        return self._y

    def _ready_forward(self, inputs: np.ndarray) -> tuple[list[Callable[[], Any]],
                                                          np.ndarray] | None:
        """The training pass on `inputs` as calls, and the buffer `z` they
        write the output to: the NumPy lines

            z = x @ W              # or the two terms of a split product,
            z += part              # `_parallel.kernel_terms`
            z += b
            z = activation(z)      # in place (`activations.in_place`)

        with the last three in one compiled pass for relu and softmax
        (`dense_fused`: 128x512 relu 11.5 -> 3.2 us, 32x10 softmax 6.8 ->
        3.0 us); None for an activation with no in-place form."""
        if not self._buffers_take(inputs):
            return None
        z = self._buffer("z", (inputs.shape[0], self.units))
        product, part = _parallel.kernel_terms_call(inputs, self.kernel.value, z)
        bias = None if self.bias is None else self.bias.value
        fused = _compiled.load("layers.dense_fused")
        finish = None
        if fused is not None and bias is not None and self.activation is activations.relu:
            finish = fused.bias_relu_call(z, part, bias)
        elif fused is not None and self.activation is activations.softmax:
            finish = fused.bias_softmax_call(z, part, bias)
        if finish is not None:
            return [product, finish], z
        fast = activations.in_place(self.activation)
        if fast is None:
            return None
        calls = [product]
        if part is not None:
            calls.append(functools.partial(np.add, z, part, out=z))
        if bias is not None:
            calls.append(functools.partial(np.add, z, bias, out=z))
        return [*calls, functools.partial(fast[0], z)], z

    _takes_gradient_mask = True  # see `Layer._gradient_mask`

    def _backward_reusing(self, grad: np.ndarray, need_input_grad: bool = True,
                          through_activation: bool = True,
                          above: Layer | None = None) -> np.ndarray | None:
        """See `Layer._backward_reusing`; with `above` (a Dropout layer), the
        gradient of this layer's output is `grad * above._mask` (its backward
        pass, done here)."""
        made = None if self._z is not None else self._ready_backward(
            grad, self._inputs, self._y, need_input_grad, through_activation, above)
        if made is None:
            if above is not None:
                masked = self._buffer("masked", grad.shape)
                times_mask_of(above, grad, masked)
                grad = masked
            return super()._backward_reusing(grad, need_input_grad, through_activation)
        for call in made[0]:
            call()
        return made[1]

    def _ready_backward(self, grad: np.ndarray, inputs: np.ndarray, output: np.ndarray,
                        need_input_grad: bool, through_activation: bool,
                        above: Layer | None) -> tuple[list[Callable[[], Any]],
                                                      np.ndarray | None] | None:
        """The backward pass after the in-place forward pass that read
        `inputs` and wrote `output`, as calls, and the input gradient they
        write: the NumPy lines

            grad = grad * mask             # `above`'s (Dropout's) backward pass
            dz = activation's backward     # from the output alone
            dW = inputs.T @ dz
            db = dz.sum(axis=0)
            dx = dz @ W.T                  # unless not `need_input_grad`

        with the first, second and fourth in one compiled pass for relu
        (`dense_fused`). `above`'s mask is read at every call (a mask made
        ahead comes in another buffer). Sets `grads` to the buffers written."""
        if not self._buffers_take(grad):
            return None
        kernel = self.kernel.value
        d_bias = None if self.bias is None else self._buffer("dbias", (self.units,))
        backward = activations.in_place(self.activation)[1] if through_activation else None
        calls: list[Callable[[], Any]] = []
        if backward is not None:
            dz = self._buffer("dz", grad.shape)
            fused = (_compiled.load("layers.dense_fused")
                     if d_bias is not None and self.activation is activations.relu else None)
            if fused is not None and fused.takes_relu_backward(
                    output, grad, dz, d_bias, None if above is None else above._mask):
                mask = None if above is None else above._mask
                run = fused.relu_backward_pass(output, grad, mask, dz, d_bias)
                if above is None:
                    calls.append(functools.partial(run, output, grad, None, dz, d_bias))
                else:
                    calls.append(functools.partial(_with_mask_of, above, run, output, grad, dz,
                                                   d_bias))
                return self._weight_calls(calls, dz, inputs, kernel, d_bias, True,
                                          need_input_grad)
        if above is not None:
            masked = self._buffer("masked", grad.shape)
            calls.append(functools.partial(times_mask_of, above, grad, masked))
            grad = masked
        if backward is not None:
            calls.append(functools.partial(backward, output, grad, dz))
            grad = dz
        return self._weight_calls(calls, grad, inputs, kernel, d_bias, False, need_input_grad)

    def _weight_calls(self, calls: list[Callable[[], Any]], grad: np.ndarray,
                      inputs: np.ndarray, kernel: np.ndarray, d_bias: np.ndarray | None,
                      summed: bool, need_input_grad: bool
                      ) -> tuple[list[Callable[[], Any]], np.ndarray | None]:
        """`_ready_backward`'s products: the kernel's and (unless `summed`)
        the bias's gradients, and the input gradient."""
        dkernel = self._buffer("dkernel", kernel.shape)
        calls.append(_parallel.matmul_call(inputs.T, grad, dkernel))
        self.grads["kernel"] = dkernel
        if d_bias is not None:
            if not summed:
                fused = _compiled.load("layers.dense_fused")
                sums = None if fused is None else fused.column_sums_call(grad, d_bias)
                calls.append(sums or functools.partial(grad.sum, axis=0, out=d_bias))
            self.grads["bias"] = d_bias
        if not need_input_grad:
            return calls, None
        dx = self._buffer("dx", inputs.shape)
        calls.append(_parallel.transposed_kernel_product_call(grad, kernel, dx))
        return calls, dx

    # A step program's calls: this layer's own, unless a subclass has its own passes.
    _program_watch = ("activity_regularizer", "activation", "kernel", "bias")

    def _forward_calls(self, inputs: np.ndarray) -> tuple[list[Callable[[], Any]],
                                                          np.ndarray] | None:
        if type(self)._forward_reusing is not Dense._forward_reusing:
            return None
        return self._ready_forward(inputs)

    def _backward_calls(self, grad: np.ndarray, inputs: np.ndarray, output: np.ndarray,
                        need_input_grad: bool, through_activation: bool,
                        above: Layer | None = None) -> tuple[list[Callable[[], Any]],
                                                             np.ndarray | None] | None:
        if type(self)._backward_reusing is not Dense._backward_reusing:
            return None
        return self._ready_backward(grad, inputs, output, need_input_grad, through_activation,
                                    above)

    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> tuple[int | None, ...]:
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(
            units=self.units,
            activation=activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=initializers.serialize(self.kernel_initializer),
            bias_initializer=initializers.serialize(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
        )
        return config


def _with_mask_of(layer: Layer, function: Callable[..., Any], y: np.ndarray, grad: np.ndarray,
                  dz: np.ndarray, d_bias: np.ndarray) -> None:
    """`function(y, grad, mask, dz, d_bias)` with `layer`'s mask of the moment."""
    function(y, grad, layer._mask, dz, d_bias)
