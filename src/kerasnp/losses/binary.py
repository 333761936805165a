"""Binary cross-entropy, for 0/1 labels: one sigmoid unit, or several (multi-label).

On probabilities the predictions are clipped to ``[eps, 1 - eps]`` (as Keras
on JAX and NumPy); on logits a stable ``softplus(z) - y * z`` is used.
``binary_crossentropy.backward`` follows the clipping, and
``binary_crossentropy.fused_sigmoid`` is the gradient with respect to the
logits of a sigmoid output, ``(p - y) / units``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import KerasnpError, check_bool, check_float, check_int
from .loss import LossFunctionWrapper, float_array, squeeze_or_expand_to_same_rank
from .numerics import class_axis, clip_bounds, sigmoid, spread_mean


def _binary_inputs(
    y_true: Any, y_pred: Any, axis: Any, label_smoothing: float
) -> tuple[np.ndarray, np.ndarray, int]:
    fn = "binary_crossentropy"
    y_pred = float_array(y_pred)
    y_true = np.asarray(y_true, dtype=y_pred.dtype)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)  # (n,) labels, (n, 1)
    if y_true.shape != y_pred.shape:
        msg = (
            f"{fn} expects labels with the same shape as the predictions. Received: "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}."
        )
        if (
            y_pred.ndim
            and y_pred.shape[-1] > 1
            and y_true.shape in (y_pred.shape[:-1], y_pred.shape[:-1] + (1,))
        ):
            msg += (
                " For integer labels of several classes use "
                "loss='sparse_categorical_crossentropy'; for 2 classes, end the model "
                "with Dense(1, activation='sigmoid')."
            )
        raise KerasnpError(msg)
    axis = class_axis(fn, axis, max(y_pred.ndim, 1))
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    return y_true, y_pred, axis


def binary_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    """Binary cross-entropy, averaged over `axis`.

    ``loss = mean(-(y * log(p) + (1 - y) * log(1 - p)), axis)`` with
    ``p = clip(y_pred, eps, 1 - eps)``, or on logits
    ``mean(softplus(z) - y * z, axis)``.

    Args:
        y_true: labels in [0, 1], the shape of `y_pred` (``(n,)`` labels for
            ``(n, 1)`` predictions are accepted).
        y_pred: probabilities (or logits if `from_logits`).
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: in [0, 1]; labels become ``y * (1 - s) + s / 2``.
            Defaults to `0.0`.
        axis: the axis averaged over. Defaults to `-1`.

    Returns:
        The per-sample losses.

    Example:
    >>> binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]).round(4)
    array([0.9163, 0.7136], dtype=float32)
    """
    y_true, y_pred, axis = _binary_inputs(y_true, y_pred, axis, label_smoothing)
    if from_logits:
        terms = np.logaddexp(0, y_pred) - y_true * y_pred
    else:
        lo, hi = clip_bounds(y_pred.dtype)
        p = np.clip(y_pred, lo, hi)
        terms = -(y_true * np.log(p) + (1.0 - y_true) * np.log1p(-p))
    return np.mean(terms, axis=axis)


def _bce_backward(
    y_true: Any,
    y_pred: Any,
    grad: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    shape = np.shape(y_pred)
    y_true, y_pred, axis = _binary_inputs(y_true, y_pred, axis, label_smoothing)
    g = spread_mean(grad, y_pred, axis)
    if from_logits:
        return (g * (sigmoid(y_pred) - y_true)).reshape(shape)
    lo, hi = clip_bounds(y_pred.dtype)
    p = np.clip(y_pred, lo, hi)
    d = (p - y_true) / (p * (1.0 - p))  # = -y/p + (1-y)/(1-p)
    return (g * np.where((y_pred >= lo) & (y_pred <= hi), d, 0)).reshape(shape)


def _bce_fused(
    y_true: Any,
    probs: Any,
    grad: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    shape = np.shape(probs)
    y_true, p, axis = _binary_inputs(y_true, probs, axis, label_smoothing)
    return (spread_mean(grad, p, axis) * (p - y_true)).reshape(shape)


binary_crossentropy.backward = _bce_backward
binary_crossentropy.fused_sigmoid = _bce_fused


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary cross-entropy, for 0/1 labels (one sigmoid unit, or several).

    See `binary_crossentropy`. With a sigmoid output and `from_logits=False`,
    `fused_sigmoid_gradient(y_true, probs, sample_weight=None)` gives the
    gradient with respect to the sigmoid logits, ``(p - y_smoothed) * w / (N * C)``
    (C units averaged per sample).

    Args:
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: a float in [0, 1]. Defaults to `0.0`.
        axis: the axis averaged over. Defaults to `-1`.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"binary_crossentropy"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> loss = BinaryCrossentropy()
    >>> round(loss([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]), 4)
    0.815
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "binary_crossentropy",
        dtype: Any = None,
    ):
        owner = type(self).__name__
        self.from_logits = check_bool(owner, "from_logits", from_logits)
        self.label_smoothing = check_float(owner, "label_smoothing", label_smoothing, low=0, high=1)
        self.axis = check_int(owner, "axis", axis)
        super().__init__(
            binary_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=self.from_logits,
            label_smoothing=self.label_smoothing,
            axis=self.axis,
        )
