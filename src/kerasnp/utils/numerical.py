"""Label and feature helpers: `to_categorical` (one-hot) and `normalize` (unit norm)."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .._errors import KerasnpError, check_int, invalid

__all__ = ["normalize", "to_categorical"]


def to_categorical(x: Any, num_classes: int | None = None) -> np.ndarray:
    """Turn integer class labels into one-hot rows.

    Follows Keras: the labels are converted with ``astype("int64")`` (so
    floats are truncated and numeric strings parsed); a trailing axis of size
    1 is dropped, so labels of shape ``(n, 1)`` give ``(n, num_classes)``;
    the result has shape ``labels.shape + (num_classes,)`` and dtype float64.

    Unlike Keras, a label outside ``[0, num_classes)`` is an error naming it,
    rather than an `IndexError` (too large) or a silently wrapped row
    (negative).

    Args:
        x: Array-like of class labels, integers in ``[0, num_classes)``.
        num_classes: The number of classes. Defaults to `None` (0 too), which
            means ``max(x) + 1``.

    Returns:
        A float64 array of 0s and 1s of shape ``x.shape + (num_classes,)``.

    Raises:
        KerasnpError: A label is negative, not below `num_classes`, not a
            finite number, or `num_classes` is not a non-negative integer.

    Example:
    >>> to_categorical([0, 2, 1])
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]])
    >>> to_categorical([[1], [3]], num_classes=5).shape
    (2, 5)
    """
    num_classes = check_int(
        "to_categorical", "num_classes", num_classes, minimum=0, allow_none=True
    )
    labels = _as_labels(x)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels[..., 0]
    if labels.size and labels.min() < 0:
        bad = labels.ravel()[np.argmax(labels.ravel() < 0)]
        raise KerasnpError(
            f"to_categorical: labels must be class indices >= 0, but one is {bad}. "
            "Map the classes to 0, 1, 2, ... first (e.g. np.unique(y, return_inverse=True))."
        )
    if not num_classes:
        if labels.size == 0:
            raise KerasnpError(
                "to_categorical: cannot infer the number of classes from no labels; "
                "pass num_classes. Received: x with shape " + str(labels.shape)
            )
        num_classes = int(labels.max()) + 1
    elif labels.size and labels.max() >= num_classes:
        bad = labels.max()
        raise KerasnpError(
            f"to_categorical: label {bad} is out of range for num_classes={num_classes}: "
            f"labels must be in [0, {num_classes - 1}]. Pass num_classes={bad + 1} or more, "
            "or leave it None to count the classes from the labels."
        )
    flat = labels.ravel()
    categorical = np.zeros((flat.size, num_classes))
    categorical[np.arange(flat.size), flat] = 1.0
    return categorical.reshape(labels.shape + (num_classes,))


def _as_labels(x: Any) -> np.ndarray:
    """`x` as an int64 array, as Keras converts it, but rejecting NaN and inf."""
    try:
        raw = np.asarray(x)
        if raw.dtype.kind in "fc" and not np.all(np.isfinite(raw)):
            raise KerasnpError(
                "to_categorical: labels must be finite class indices, but they contain "
                "NaN or inf. Received: x with shape " + str(raw.shape)
            )
        return np.array(raw, dtype=np.int64)
    except KerasnpError:
        raise
    except (TypeError, ValueError, OverflowError) as exc:
        raise KerasnpError(
            f"to_categorical: cannot read the labels as integers ({exc}). Expected an "
            f"array-like of class indices. Received: x={_short(x)}"
        ) from None


def normalize(x: Any, axis: int = -1, order: float = 2) -> np.ndarray:
    """Scale `x` to unit norm along `axis`: ``x / ||x||_order``.

    Slices whose norm is 0 are left as they are (all zeros). Follows Keras for
    NumPy input: float input keeps its dtype, integer input gives float64.
    Unlike Keras, `axis` may be any axis (Keras 3 mishandles ``axis=0``), and
    the result always has the shape of `x` (Keras turns a 1-D ``x`` into a
    row of shape ``(1, n)``).

    Args:
        x: Array-like of numbers, at least 1-D.
        axis: The axis along which to normalize. Defaults to `-1`.
        order: The order of the norm: 1 (sum of absolute values), 2
            (Euclidean), any larger number, or ``np.inf`` (largest absolute
            value). Defaults to `2`.

    Returns:
        A new array of the shape of `x`.

    Raises:
        KerasnpError: `order` is below 1, `axis` is out of range, or `x` is
            0-D or not numeric.

    Example:
    >>> normalize(np.array([[3.0, 4.0], [0.0, 0.0]]))
    array([[0.6, 0.8],
           [0. , 0. ]])
    >>> normalize(np.array([[3.0, 1.0]]), order=1)
    array([[0.75, 0.25]])
    """
    if not isinstance(order, numbers.Real) or isinstance(order, bool) or not order >= 1:
        raise invalid("normalize", "order", "a number >= 1 (1, 2, ... or np.inf)", order)
    array = np.asarray(x)
    if array.dtype.kind not in "biuf" or array.ndim == 0:
        raise KerasnpError(
            "normalize: expected an array of numbers with at least one axis. "
            f"Received: x of dtype {array.dtype} and shape {array.shape}"
        )
    axis = check_int("normalize", "axis", axis)
    if not -array.ndim <= axis < array.ndim:
        raise invalid(
            "normalize",
            "axis",
            f"an axis of the {array.ndim}-D input, in [{-array.ndim}, {array.ndim - 1}]",
            axis,
        )
    norm = np.linalg.norm(array, ord=order, axis=axis, keepdims=True)
    norm[norm == 0] = 1
    return array / norm


def _short(x: Any) -> str:
    text = repr(x)
    return text if len(text) <= 60 else text[:57] + "..."
