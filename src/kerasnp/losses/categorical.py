"""Categorical cross-entropy, with one-hot labels or with integer (sparse) labels.

On probabilities (``from_logits=False``) the numerics are those of Keras on
JAX and NumPy: the predictions are normalised to sum to 1 along the class
axis, then clipped to ``[eps, 1 - eps]`` (``eps = config.epsilon()``), so a
saturated softmax costs at most ``-log(1e-7) = 16.118``. On logits, a stable
log-softmax is used and nothing is clipped.

Each function carries its derivative as ``fn.backward(y_true, y_pred, grad,
**kwargs)``: the gradient of ``sum(grad * fn(y_true, y_pred))`` with respect
to `y_pred`. It follows the clipping (no gradient where a probability was
clipped) and the ``p / sum(p)`` normalisation. ``fn.fused_softmax`` is the
gradient with respect to the logits of a softmax output: ``p - y``, the exact
derivative of the unclipped loss.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _compiled
from .._errors import KerasnpError, check_bool, check_float, check_int
from .loss import LossFunctionWrapper, float_array, reduced_shape
from .numerics import class_axis, clip_bounds, log_softmax, softmax


def _one_hot_inputs(
    y_true: Any,
    y_pred: Any,
    axis: Any,
    label_smoothing: float,
    fn: str = "categorical_crossentropy",
) -> tuple[np.ndarray, np.ndarray, int]:
    y_pred = float_array(y_pred)
    y_true = np.asarray(y_true, dtype=y_pred.dtype)
    if y_pred.ndim == 0:
        raise KerasnpError(f"{fn} needs predictions with a class axis. Received a scalar y_pred.")
    axis = class_axis(fn, axis, y_pred.ndim)
    if y_true.shape != y_pred.shape:
        integer_like = y_true.shape == reduced_shape(
            y_pred.shape, axis
        ) or y_true.shape == y_pred.shape[:-1] + (1,)
        msg = (
            f"{fn} expects one-hot labels with the same shape as the predictions. Received: "
            f"y_true.shape={y_true.shape}, y_pred.shape={y_pred.shape}."
        )
        if integer_like and y_pred.shape[axis] > 1:
            msg += (
                " These look like integer class labels: use "
                "loss='sparse_categorical_crossentropy', or one-hot encode them with "
                "kerasnp.utils.to_categorical(y)."
            )
        raise KerasnpError(msg)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[axis]
    return y_true, y_pred, axis


def categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    """Categorical cross-entropy between one-hot labels and predictions.

    ``loss = -sum(y_true * log(p), axis)`` with ``p = clip(y_pred / sum(y_pred),
    eps, 1 - eps)``, or ``p = softmax(y_pred)`` when `from_logits`.

    Args:
        y_true: one-hot labels, the shape of `y_pred`.
        y_pred: probabilities (or logits if `from_logits`).
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: in [0, 1]; the labels become
            ``y * (1 - s) + s / num_classes``. Defaults to `0.0`.
        axis: the class axis. Defaults to `-1`.

    Returns:
        The per-sample losses, `y_pred`'s shape without `axis`.

    Raises:
        KerasnpError: the labels do not have the shape of the predictions
            (integer labels call for `sparse_categorical_crossentropy`).

    Example:
    >>> categorical_crossentropy([[0, 1, 0], [0, 0, 1]],
    ...                          [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]).round(4)
    array([0.0513, 2.3026], dtype=float32)
    """
    y_true, y_pred, axis = _one_hot_inputs(y_true, y_pred, axis, label_smoothing)
    if y_pred.shape[axis] == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, "
            f"num_classes) with num_classes > 1. Received: y_pred.shape={y_pred.shape}. The "
            "loss is always 0 then. Consider using 'binary_crossentropy' if you only have 2 "
            "classes.",
            SyntaxWarning,
            stacklevel=2,
        )
    if from_logits:
        log_p = log_softmax(y_pred, axis)
    else:
        lo, hi = clip_bounds(y_pred.dtype)
        log_p = np.log(np.clip(y_pred / np.sum(y_pred, axis=axis, keepdims=True), lo, hi))
    return -np.sum(y_true * log_p, axis=axis)


def _cce_backward(
    y_true: Any,
    y_pred: Any,
    grad: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    y_true, y_pred, axis = _one_hot_inputs(y_true, y_pred, axis, label_smoothing)
    if from_logits:
        return _cce_logit_grad(y_true, softmax(y_pred, axis), grad, axis)
    g = np.expand_dims(np.asarray(grad, dtype=y_pred.dtype), axis)
    s = np.sum(y_pred, axis=axis, keepdims=True)
    q = y_pred / s
    lo, hi = clip_bounds(y_pred.dtype)
    dq = np.zeros_like(q)
    np.divide(-y_true, q, out=dq, where=(q >= lo) & (q <= hi))  # clipped entries: no gradient
    # Through q = p / sum(p): dl/dp_k = (dq_k - sum_j dq_j q_j) / s.
    return g * (dq - np.sum(dq * q, axis=axis, keepdims=True)) / s


def _cce_fused(
    y_true: Any,
    probs: Any,
    grad: Any,
    from_logits: bool = False,
    label_smoothing: float = 0.0,
    axis: int = -1,
) -> np.ndarray:
    y_true, p, axis = _one_hot_inputs(y_true, probs, axis, label_smoothing)
    return _cce_logit_grad(y_true, p, grad, axis)


def _cce_logit_grad(y_true: np.ndarray, p: np.ndarray, grad: Any, axis: int) -> np.ndarray:
    """d/dz of ``sum(grad * -sum(t * log_softmax(z)))`` at ``p = softmax(z)``:
    ``grad * (p * sum(t) - t)``."""
    g = np.expand_dims(np.asarray(grad, dtype=p.dtype), axis)
    return g * (p * np.sum(y_true, axis=axis, keepdims=True) - y_true)


categorical_crossentropy.backward = _cce_backward
categorical_crossentropy.fused_softmax = _cce_fused


# ------------------------------------------------------ sparse categorical
def _sparse_labels(
    y_true: Any, y_pred: np.ndarray, axis: int, ignore_class: Any
) -> tuple[np.ndarray, np.ndarray | None]:
    """Integer labels of the per-sample shape, and the mask of counted entries."""
    fn = "sparse_categorical_crossentropy"
    y = np.asarray(y_true)
    expected = reduced_shape(y_pred.shape, axis)
    if y.ndim == y_pred.ndim and y.shape[axis] == 1:
        y = np.squeeze(y, axis=axis)
    if y.shape != expected:
        msg = (
            f"{fn} expects integer class labels of shape {expected} (or with a trailing "
            f"axis of size 1) for predictions of shape {y_pred.shape}. Received: "
            f"y_true.shape={np.shape(y_true)}."
        )
        if y.shape == y_pred.shape:
            msg += (
                " These look like one-hot labels: use loss='categorical_crossentropy', or "
                "turn them into integers with np.argmax(y, axis=-1)."
            )
        raise KerasnpError(msg)
    if y.dtype.kind == "f":
        bad = ~(y == np.floor(y))
        if bad.any():
            where = np.unravel_index(np.argmax(bad), y.shape) if y.ndim else ()
            raise KerasnpError(
                f"{fn} expects integer class labels, but y_true holds {y[where]!r} at index "
                f"{tuple(int(i) for i in where)}. Use integer labels in [0, "
                f"{y_pred.shape[axis]})."
            )
    elif y.dtype.kind not in "iub":
        raise KerasnpError(
            f"{fn} expects integer class labels. Received labels of dtype {y.dtype}."
        )
    labels = y.astype(np.intp, copy=False)
    valid = None if ignore_class is None else labels != ignore_class
    num_classes = y_pred.shape[axis]
    outside = (labels < 0) | (labels >= num_classes)
    if valid is not None:
        outside &= valid
    if outside.any():
        where = np.unravel_index(np.argmax(outside), labels.shape) if labels.ndim else ()
        raise KerasnpError(
            f"Received a label value of {labels[where]} at index "
            f"{tuple(int(i) for i in where)}, outside the valid range [0, {num_classes}) of "
            f"predictions with {num_classes} classes (y_pred.shape={y_pred.shape}). Labels must "
            f"be integers in [0, {num_classes}); check the size of the last layer."
        )
    if valid is not None:
        labels = np.where(valid, labels, 0)
    return labels, valid


def _sparse_inputs(
    y_true: Any, y_pred: Any, axis: Any, ignore_class: Any
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray, int, np.ndarray]:
    y_pred = float_array(y_pred)
    if y_pred.ndim == 0:
        raise KerasnpError(
            "sparse_categorical_crossentropy needs predictions with a class "
            "axis. Received a scalar y_pred."
        )
    axis = class_axis("sparse_categorical_crossentropy", axis, y_pred.ndim)
    labels, valid = _sparse_labels(y_true, y_pred, axis, ignore_class)
    index = np.expand_dims(labels, axis)
    picked = np.take_along_axis(y_pred, index, axis=axis).squeeze(axis)
    return labels, valid, y_pred, axis, picked


def sparse_categorical_crossentropy(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> np.ndarray:
    """Categorical cross-entropy with integer labels.

    ``loss = -log(p[y_true])`` with the same normalisation and clipping as
    `categorical_crossentropy`.

    Args:
        y_true: integer labels of shape ``(n,)`` or ``(n, 1)`` (floats holding
            integers are accepted).
        y_pred: probabilities ``(n, num_classes)`` (or logits if `from_logits`).
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        ignore_class: a label value whose entries get loss 0 and leave the
            mean. Defaults to `None`.
        axis: the class axis. Defaults to `-1`.

    Returns:
        The per-sample losses.

    Raises:
        KerasnpError: one-hot labels (use `categorical_crossentropy`), non-integer
            labels, or a label outside ``[0, num_classes)``.

    Example:
    >>> sparse_categorical_crossentropy([1, 2], [[0.05, 0.95, 0.0], [0.1, 0.8, 0.1]]).round(4)
    array([0.0513, 2.3026], dtype=float32)
    """
    labels, valid, y_pred, axis, picked = _sparse_inputs(y_true, y_pred, axis, ignore_class)
    if from_logits:
        top = np.max(y_pred, axis=axis, keepdims=True)
        log_sum = np.log(np.sum(np.exp(y_pred - top), axis=axis))
        loss = log_sum - (picked - np.squeeze(top, axis=axis))
    else:
        lo, hi = clip_bounds(y_pred.dtype)
        loss = -np.log(np.clip(picked / np.sum(y_pred, axis=axis), lo, hi))
    return loss if valid is None else np.where(valid, loss, 0).astype(y_pred.dtype)


def _scce_backward(
    y_true: Any,
    y_pred: Any,
    grad: Any,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> np.ndarray:
    labels, valid, y_pred, axis, picked = _sparse_inputs(y_true, y_pred, axis, ignore_class)
    if from_logits:
        return _scce_logit_grad(labels, valid, softmax(y_pred, axis), grad, axis)
    g = _masked(grad, valid, y_pred.dtype)
    # With s = sum(p), q = p_y / s and m = [q not clipped]:
    # dl/dp_k = m / s for every class k, minus m / p_y at the label.
    s = np.sum(y_pred, axis=axis)
    q = picked / s
    lo, hi = clip_bounds(y_pred.dtype)
    m = ((q >= lo) & (q <= hi)).astype(y_pred.dtype) * g
    every = m / s
    at_label = np.zeros_like(every)
    np.divide(m, picked, out=at_label, where=m != 0)
    out = np.repeat(np.expand_dims(every, axis), y_pred.shape[axis], axis=axis)
    index = np.expand_dims(labels, axis)
    np.put_along_axis(out, index, np.expand_dims(every - at_label, axis), axis=axis)
    return out


def _scce_fused(
    y_true: Any,
    probs: Any,
    grad: Any,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> np.ndarray:
    labels, valid, p, axis, _ = _sparse_inputs(y_true, probs, axis, ignore_class)
    return _scce_logit_grad(labels, valid, p.copy(), grad, axis)


def _masked(grad: Any, valid: np.ndarray | None, dtype: np.dtype) -> np.ndarray:
    """`grad` in `dtype`, 0 where the label is the ignored class."""
    g = np.asarray(grad, dtype=dtype)
    return g if valid is None else np.where(valid, g, 0).astype(dtype)


def _scce_logit_grad(
    labels: np.ndarray, valid: np.ndarray | None, p: np.ndarray, grad: Any, axis: int
) -> np.ndarray:
    """d/dz of ``sum(grad * -log(softmax(z)[label]))`` at ``p = softmax(z)``:
    ``grad * (p - one_hot(label))``. `p` is overwritten."""
    index = np.expand_dims(labels, axis)
    np.put_along_axis(p, index, np.take_along_axis(p, index, axis=axis) - 1, axis=axis)
    return p * np.expand_dims(_masked(grad, valid, p.dtype), axis)


def _scce_mask(
    y_true: Any,
    y_pred: Any,
    from_logits: bool = False,
    ignore_class: int | None = None,
    axis: int = -1,
) -> np.ndarray | None:
    if ignore_class is None:
        return None
    return _sparse_inputs(y_true, y_pred, axis, ignore_class)[1]


# ------------------------------------------- one pass for the training loop
# `fit` checks every label once before training; then each batch needs only
# the mean loss and the fused gradient. These compute exactly what the
# `Loss` path computes (same operations, same float32 rounding) without the
# per-batch checks: 2-D probabilities, no weights, mean over the batch.
def _batch_mean(losses: np.ndarray) -> float:
    """The mean as `Loss` reduces it: the sum in the losses' dtype over the count."""
    real = losses.dtype.type
    return float(losses.sum(dtype=real) / real(losses.size))


def _scce_fused_step(y_true: np.ndarray, probs: np.ndarray, out: np.ndarray | None) -> float:
    return _scce_fused_step_call(y_true, probs, out)()


def _scce_fused_step_call(y_true: np.ndarray, probs: np.ndarray,
                          out: np.ndarray | None) -> Callable[[], float]:
    """`_scce_fused_step(y_true, probs, out)` as a call made ready once, for a
    step program (`models.program`) that passes the same arrays at every
    step: the lines of `_scce_numpy_step` in two compiled passes around
    NumPy's log where they take the arrays."""
    fused = _compiled.load("losses.categorical_fused")
    call = (None if fused is None
            else fused.sparse_step_call(y_true.reshape(len(probs)), probs, out))
    if call is None:
        return functools.partial(_scce_numpy_step, y_true, probs, out)
    return functools.partial(_first_or_numpy, call, _scce_numpy_step, y_true, probs, out)


def _first_or_numpy(call: Callable[[], float | None], numpy_step: Callable[..., float],
                    y_true: np.ndarray, probs: np.ndarray, out: np.ndarray | None) -> float:
    """`call()`, or where it declines (a label out of range), the NumPy lines."""
    loss = call()
    return numpy_step(y_true, probs, out) if loss is None else loss


def _scce_numpy_step(y_true: np.ndarray, probs: np.ndarray, out: np.ndarray | None) -> float:
    n = len(probs)
    labels = y_true.reshape(n)
    if labels.dtype.kind != "i":
        labels = labels.astype(np.intp)
    rows = np.arange(n)
    picked = probs[rows, labels]
    lo, hi = clip_bounds(probs.dtype)
    # -log(clip(picked / sum(p))), each operation in place in one temporary;
    # negating the mean instead of each term is exact (rounding is symmetric)
    ratio = picked / probs.sum(axis=-1)
    np.log(ratio.clip(lo, hi, out=ratio), out=ratio)
    loss = -_batch_mean(ratio)
    if out is not None:  # (p - one_hot(y)) / n
        np.copyto(out, probs)
        out[rows, labels] = picked - 1
        out *= probs.dtype.type(1.0 / n)
    return loss


def _cce_fused_step(y_true: np.ndarray, probs: np.ndarray, out: np.ndarray | None) -> float:
    fused = _compiled.load("losses.categorical_fused")
    if fused is not None:  # the lines below in three compiled passes around NumPy's log
        loss = fused.onehot_step(np.asarray(y_true, dtype=probs.dtype), probs, out)
        if loss is not None:
            return loss
    return _cce_numpy_step(y_true, probs, out)


def _cce_numpy_step(y_true: np.ndarray, probs: np.ndarray, out: np.ndarray | None) -> float:
    y_true = np.asarray(y_true, dtype=probs.dtype)
    lo, hi = clip_bounds(probs.dtype)
    log_p = probs / probs.sum(axis=-1, keepdims=True)
    np.log(log_p.clip(lo, hi, out=log_p), out=log_p)
    log_p *= y_true
    loss = -_batch_mean(log_p.sum(axis=-1))
    if out is not None:  # (p * sum(y) - y) / n
        np.multiply(probs, y_true.sum(axis=-1, keepdims=True), out=out)
        out -= y_true
        out *= probs.dtype.type(1.0 / len(probs))
    return loss


sparse_categorical_crossentropy.backward = _scce_backward
sparse_categorical_crossentropy.fused_softmax = _scce_fused
sparse_categorical_crossentropy.fused_softmax_step = _scce_fused_step
_scce_fused_step.prepared = _scce_fused_step_call  # type: ignore[attr-defined]
categorical_crossentropy.fused_softmax_step = _cce_fused_step
sparse_categorical_crossentropy.mask = _scce_mask


class CategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy between one-hot labels and predicted class probabilities.

    See `categorical_crossentropy` for the formula and numerics. With a
    softmax output and `from_logits=False`, `fused_softmax_gradient(y_true,
    probs, sample_weight=None)` gives the gradient with respect to the softmax
    logits, ``(p - y_smoothed) * w / N``.

    Args:
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: a float in [0, 1]. Defaults to `0.0`.
        axis: the class axis. Defaults to `-1`.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: defaults to `"categorical_crossentropy"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> loss = CategoricalCrossentropy()
    >>> round(loss([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), 4)
    1.1769
    """

    def __init__(
        self,
        from_logits: bool = False,
        label_smoothing: float = 0.0,
        axis: int = -1,
        reduction: str | None = "sum_over_batch_size",
        name: str = "categorical_crossentropy",
        dtype: Any = None,
    ):
        owner = type(self).__name__
        self.from_logits = check_bool(owner, "from_logits", from_logits)
        self.label_smoothing = check_float(owner, "label_smoothing", label_smoothing, low=0, high=1)
        self.axis = check_int(owner, "axis", axis)
        super().__init__(
            categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=self.from_logits,
            label_smoothing=self.label_smoothing,
            axis=self.axis,
        )


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Cross-entropy between integer labels and predicted class probabilities.

    See `sparse_categorical_crossentropy`. Entries whose label is
    `ignore_class` count neither in the sum nor in the divisor. With a
    softmax output, `fused_softmax_gradient` gives ``(p - one_hot(y)) * w / N``.

    Args:
        from_logits: whether `y_pred` holds logits. Defaults to `False`.
        ignore_class: a label value to ignore. Defaults to `None`.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        axis: the class axis. Defaults to `-1`.
        name: defaults to `"sparse_categorical_crossentropy"`.
        dtype: defaults to `config.floatx()`.

    Example:
    >>> loss = SparseCategoricalCrossentropy()
    >>> round(loss([1, 2], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]]), 4)
    1.1769
    """

    def __init__(
        self,
        from_logits: bool = False,
        ignore_class: int | None = None,
        reduction: str | None = "sum_over_batch_size",
        axis: int = -1,
        name: str = "sparse_categorical_crossentropy",
        dtype: Any = None,
    ):
        owner = type(self).__name__
        self.from_logits = check_bool(owner, "from_logits", from_logits)
        self.ignore_class = check_int(owner, "ignore_class", ignore_class, allow_none=True)
        self.axis = check_int(owner, "axis", axis)
        super().__init__(
            sparse_categorical_crossentropy,
            reduction=reduction,
            name=name,
            dtype=dtype,
            from_logits=self.from_logits,
            ignore_class=self.ignore_class,
            axis=self.axis,
        )

    def _prepare(self, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
        # Labels stay integers (no rank reconciliation: the function handles (n, 1)).
        return np.asarray(y_true), np.asarray(y_pred, dtype=self.dtype)

    def get_config(self) -> dict[str, Any]:
        config_ = super().get_config()
        if self.axis == -1:  # Keras' SparseCategoricalCrossentropy has no `axis` argument
            del config_["axis"]
        return config_
