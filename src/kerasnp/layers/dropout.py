"""`Dropout`: zero a random fraction of the inputs in training, scale the rest.

Srivastava et al., "Dropout: A Simple Way to Prevent Neural Networks from
Overfitting" (JMLR 2014). Inverted dropout, as Keras: kept units are scaled
by `1 / (1 - rate)` during training, so inference is the identity.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _compiled
from .._errors import KerasnpError, check_float, check_int
from ..utils.random import make_rng
from .dropout_ahead import MaskAhead
from .layer import Layer, times_mask_of


def keep_threshold(rate: float) -> int:
    """Entries whose uniform 32-bit draw is below this are kept: `(1 - rate) * 2**32`."""
    return min(round((1.0 - rate) * 4294967296.0), 4294967295)


def keep_scale(rate: float, dtype: np.dtype) -> Any:
    """What kept entries are multiplied by, `1 / (1 - rate)`, in `dtype`."""
    return dtype.type(1.0 / (1.0 - rate))


class Dropout(MaskAhead, Layer):
    """Randomly sets inputs to 0 with frequency `rate` during training.

    Args:
        rate: the fraction of units to drop, a float in [0, 1].
        noise_shape: the shape of the mask, broadcast over the inputs (`None`
            entries take the input's size), e.g. `(batch, 1)` drops whole rows.
            Defaults to `None` (one mask value per input value).
        seed: an int for a repeatable mask sequence. Defaults to `None`.

    Call arguments:
        inputs: an array of any shape.
        training: drop only when True. Defaults to `False`.

    Example:
    >>> layer = Dropout(0.5, seed=0)
    >>> x = np.ones((2, 4), dtype="float32")
    >>> bool((layer(x) == x).all())  # inference: the identity
    True
    >>> sorted(set(layer(x, training=True).ravel().tolist()))
    [0.0, 2.0]
    """

    def __init__(self, rate: float | None = None, noise_shape: Any = None,
                 seed: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        if rate is None:
            raise KerasnpError("Dropout is missing its required argument `rate` (the fraction "
                               "of units to drop), e.g. Dropout(0.2).")
        self.rate = check_float("Dropout", "rate", rate, low=0, high=1)
        if noise_shape is not None:
            if isinstance(noise_shape, (str, bytes)) or not hasattr(noise_shape, "__len__"):
                raise KerasnpError("Invalid value for argument `noise_shape` of Dropout: "
                                   f"expected a tuple of ints or None. Received: "
                                   f"noise_shape={noise_shape!r}")
            noise_shape = tuple(None if d is None else check_int("Dropout", "noise_shape", d,
                                                                  minimum=1)
                                for d in noise_shape)
        self.noise_shape = noise_shape
        self.seed = check_int("Dropout", "seed", seed, allow_none=True)
        self._rng = make_rng(seed)
        self._mask: np.ndarray | None = None
        self._ahead: tuple | None = None  # the next mask, made ahead (MaskAhead)

    def call(self, inputs: np.ndarray, training: bool = False) -> np.ndarray:
        if self._ahead is not None:
            self._discard_ahead()
        if not training or self.rate == 0:
            self._mask = None
            return inputs
        shape = inputs.shape
        if self.noise_shape is not None:
            shape = tuple(s if d is None else d for s, d in zip(shape, self.noise_shape,
                                                                strict=False))
        if self.rate == 1:
            self._mask = np.zeros(shape, dtype=inputs.dtype)
        else:
            scale = keep_scale(self.rate, inputs.dtype)
            self._mask = self._kept(shape).astype(inputs.dtype) * scale
        return inputs * self._mask

    def backward(self, grad: np.ndarray) -> np.ndarray:
        if self._mask is None:
            return grad
        return grad * self._mask

    def _kept(self, shape: tuple[int, ...], out: np.ndarray | None = None) -> np.ndarray:
        """Which entries to keep, each with probability `1 - rate` (to 2**-32).

        One uniform 32-bit integer per entry, taken straight from the bit
        generator (a third faster than drawing floats), below
        `(1 - rate) * 2**32`. A float `out` receives the mask as 1.0 and 0.0.
        """
        size = math.prod(shape)
        draws = self._rng.bit_generator.random_raw((size + 1) // 2).view(np.uint32)
        return np.less(draws[:size].reshape(shape), np.uint32(keep_threshold(self.rate)),
                       out=out)

    # In the model's loops: the same mask and products as `call`, in this
    # layer's buffers (the mask is made in floats, so no product mixes types).
    def _forward_reusing(self, inputs: np.ndarray, training: bool) -> np.ndarray:
        if (not training or self.rate == 0 or self.rate == 1 or self.noise_shape is not None
                or inputs.dtype.kind != "f" or self.activity_regularizer is not None):
            return self(inputs, training=training)
        shape, dtype = inputs.shape, inputs.dtype
        out = self._buffer("out", shape, dtype)
        if self._ahead is not None:
            mask = self._take_ahead(shape, dtype)
            if mask is not None:  # made by the helper: the draws the lines below make
                self._mask = mask
                return np.multiply(inputs, mask, out=out)
        mask = self._buffer("mask", shape, dtype)
        self._mask = mask
        fused = _compiled.load("layers.dropout_fused")
        if fused is not None and fused.apply(self._rng.bit_generator, self.rate, inputs,
                                             mask, out):
            return out  # the lines below in one compiled pass (dropout_fused)
        self._kept(shape, out=mask)
        mask *= keep_scale(self.rate, dtype)
        return np.multiply(inputs, mask, out=out)

    def _gradient_mask(self, grad: np.ndarray) -> np.ndarray | None:
        """See `Layer._gradient_mask`: the training pass's mask, when `grad`
        matches it (not with `noise_shape`'s broadcast mask)."""
        mask = self._mask
        if (mask is None or grad.dtype != mask.dtype or grad.shape != mask.shape
                or self.activity_regularizer is not None):
            return None
        return mask

    def _backward_reusing(self, grad: np.ndarray, need_input_grad: bool = True,
                          through_activation: bool = True) -> np.ndarray | None:
        mask = self._gradient_mask(grad)
        if mask is None:
            return super()._backward_reusing(grad, need_input_grad, through_activation)
        if not need_input_grad:
            return None
        return np.multiply(grad, mask, out=self._buffer("dx", grad.shape, grad.dtype))

    # A step program's calls (`models.program`, as `Dense._forward_calls`).
    _program_watch = ("activity_regularizer", "rate", "noise_shape")

    def _forward_calls(self, inputs: np.ndarray) -> tuple[list[Callable[[], Any]],
                                                          np.ndarray] | None:
        """`_forward_reusing(inputs, training=True)` as a call, and the output
        it writes; None where that pass does not write this layer's buffer."""
        if (type(self)._forward_reusing is not Dropout._forward_reusing or self.rate == 0
                or self.rate == 1 or self.noise_shape is not None or inputs.dtype.kind != "f"
                or self.activity_regularizer is not None):
            return None
        out = self._buffer("out", inputs.shape, inputs.dtype)
        mask = self._buffer("mask", inputs.shape, inputs.dtype)
        rng, rate = self._rng, self.rate
        fused = _compiled.load("layers.dropout_fused")
        # a small mask in one compiled call (`dropout_fused.apply`'s)
        whole = None if fused is None else fused.apply_call(rng.bit_generator, rate, inputs,
                                                            mask, out)

        def forward() -> None:
            if (whole is not None and self._ahead is None and self._rng is rng
                    and self.rate == rate and whole()):
                self._mask = mask
                return
            result = self._forward_reusing(inputs, True)
            if result is not out:  # its buffers were made again (many batch sizes seen)
                np.copyto(out, result)

        return [forward], out

    def _backward_calls(self, grad: np.ndarray, inputs: np.ndarray, output: np.ndarray,
                        need_input_grad: bool, through_activation: bool,
                        above: Layer | None = None) -> tuple[list[Callable[[], Any]],
                                                             np.ndarray | None] | None:
        """`_backward_reusing(grad, need_input_grad)` after `_forward_calls` as
        calls (the mask read at every call), and the input gradient."""
        if (type(self)._backward_reusing is not Dropout._backward_reusing or above is not None
                or self._gradient_mask(grad) is None):
            return None
        if not need_input_grad:
            return [], None
        dx = self._buffer("dx", grad.shape, grad.dtype)
        return [functools.partial(times_mask_of, self, grad, dx)], dx

    def get_config(self) -> dict[str, Any]:
        config = super().get_config()
        config.update(rate=self.rate, noise_shape=self.noise_shape, seed=self.seed)
        return config
