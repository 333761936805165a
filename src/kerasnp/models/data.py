"""Turning `fit`/`evaluate`/`predict` arguments into arrays and batches."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import config
from .._errors import KerasnpError


def as_inputs(x: Any, name: str = "x") -> np.ndarray:
    """`x` as an array in floatx; integer, bool or float64 data is cast once."""
    if x is None:
        raise KerasnpError(f"Invalid value for argument `{name}`: expected an array. "
                           f"Received: {name}=None")
    arr = np.asarray(x)
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise KerasnpError(f"Invalid value for argument `{name}`: expected numbers, got an array "
                           f"of dtype {arr.dtype}. Convert it with np.asarray({name}, "
                           f"dtype='float32').")
    if arr.ndim == 0:
        raise KerasnpError(f"Invalid value for argument `{name}`: expected an array with a "
                           f"batch axis. Received: a scalar {name}={x!r}")
    if arr.dtype != config.floatx():
        arr = arr.astype(config.floatx())
    return arr


def as_targets(y: Any) -> np.ndarray:
    """`y` as an array: integer labels stay integers, other floats become floatx."""
    arr = np.asarray(y)
    if arr.dtype == object or arr.dtype.kind in "USV":
        raise KerasnpError("Invalid value for argument `y`: expected numeric labels, got an "
                           f"array of dtype {arr.dtype}.")
    if arr.ndim == 0:
        raise KerasnpError("Invalid value for argument `y`: expected an array with a batch axis. "
                           f"Received: a scalar y={y!r}")
    if arr.dtype.kind == "f" and arr.dtype != config.floatx() or arr.dtype.kind == "b":
        arr = arr.astype(config.floatx())
    return arr


def check_lengths(**arrays: np.ndarray | None) -> int:
    """The common number of samples, or an error naming each array's length."""
    sizes = {k: len(v) for k, v in arrays.items() if v is not None}
    if len(set(sizes.values())) > 1:
        detail = ", ".join(f"{k} has {n}" for k, n in sizes.items())
        raise KerasnpError(f"Data cardinality is ambiguous: all arrays must contain the same "
                           f"number of samples, but {detail}.")
    return next(iter(sizes.values()))


def as_arrays(x: Any, y: Any, sample_weight: Any,
              where: str) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """`x`, `y` and the sample weights as arrays with one common length."""
    x = as_inputs(x)
    if y is None:
        raise KerasnpError(f"{where} needs targets: call {where}(x, y, ...).")
    y = as_targets(y)
    w = None if sample_weight is None else as_inputs(sample_weight, "sample_weight")
    check_lengths(x=x, y=y, sample_weight=w)
    return x, y, w


def batch_size_or_default(batch_size: Any, owner: str = "fit") -> int:
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or \
            batch_size <= 0:
        raise KerasnpError(f"Invalid value for argument `batch_size` of {owner}: expected a "
                           f"positive integer or None. Received: batch_size={batch_size!r}")
    return int(batch_size)


def split_validation(n: int, validation_split: float) -> int:
    """Where training data ends: the last fraction is validation, as in Keras."""
    split_at = int(math.floor(n * (1.0 - validation_split)))
    if split_at == 0 or split_at == n:
        raise KerasnpError(
            f"Training data contains {n} samples, which is not sufficient to split it into a "
            f"validation and training set as specified by `validation_split={validation_split}`. "
            "Either provide more data, or a different value for the `validation_split` argument.")
    return split_at


def unpack_validation_data(data: Any) -> tuple[Any, Any, Any]:
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple) or not 1 <= len(data) <= 3:
        raise KerasnpError(
            "Invalid value for argument `validation_data` of fit: expected a tuple "
            f"(x_val, y_val) or (x_val, y_val, sample_weight). Received: {type(data).__name__}"
            + (f" of length {len(data)}" if isinstance(data, tuple) else ""))
    x, y, w = (tuple(data) + (None, None))[:3]
    return x, y, w


def class_weight_to_sample_weight(y: np.ndarray, class_weight: dict) -> np.ndarray:
    """Per-sample weights from `{class_index: weight}` (missing classes weigh 1)."""
    if y.ndim > 1 and y.shape[-1] > 1:
        labels = np.argmax(y, axis=-1)
    else:
        labels = np.round(y.reshape(len(y))).astype(np.int64)
    weights = np.ones(len(y), dtype=config.floatx())
    for cls, w in class_weight.items():
        weights[labels == int(cls)] = w
    return weights


class Batches:
    """Batches of (x, y, sample_weight) in a given order, copied into reused buffers.

    Gathering a shuffled batch with `np.take(..., out=buffer)` copies only
    that batch, so `fit` never holds a second, shuffled copy of the data set.
    """

    def __init__(self, x: np.ndarray, y: np.ndarray | None, w: np.ndarray | None,
                 batch_size: int):
        self.x, self.y, self.w = x, y, w
        self.batch_size = batch_size
        self.n = len(x)
        self.steps = math.ceil(self.n / batch_size)
        self._buffers: dict[tuple[str, int], np.ndarray] = {}

    def _take(self, key: str, arr: np.ndarray, idx: np.ndarray) -> np.ndarray:
        buf = self._buffers.get((key, len(idx)))
        if buf is None:
            buf = np.empty((len(idx),) + arr.shape[1:], dtype=arr.dtype)
            self._buffers[(key, len(idx))] = buf
        # `idx` is part of a permutation, so always in range: mode="clip" skips
        # the bounds check and the temporary that "raise" makes before `out`
        return arr.take(idx, axis=0, out=buf, mode="clip")

    def __call__(self, order: np.ndarray | None = None, steps: int | None = None):
        """Yield (x, y, w) batches; `order` is a permutation or None (in order)."""
        bs = self.batch_size
        for step in range(self.steps if steps is None else min(steps, self.steps)):
            start, stop = step * bs, min((step + 1) * bs, self.n)
            if order is None:
                sl = slice(start, stop)
                yield (self.x[sl], None if self.y is None else self.y[sl],
                       None if self.w is None else self.w[sl])
            else:
                idx = order[start:stop]
                yield (self._take("x", self.x, idx),
                       None if self.y is None else self._take("y", self.y, idx),
                       None if self.w is None else self._take("w", self.w, idx))


def check_verbose(owner: str, verbose: Any) -> int:
    if verbose == "auto":
        return 1
    if isinstance(verbose, bool) or verbose not in (0, 1, 2):
        raise KerasnpError(f"Invalid value for argument `verbose` of {owner}: expected 0, 1, 2 "
                           f"or 'auto'. Received: verbose={verbose!r}")
    return int(verbose)


def batches_in(chunk: int, rows: int, size: int, batch_size: int) -> range:
    """The indices of the `batch_size` batches that chunk `chunk` (of `rows`
    rows, `size` of them present) covers."""
    first = chunk * rows
    return range(first // batch_size, -(-(first + size) // batch_size))


def shuffle_within_batches(rng: np.random.Generator, n: int, batch_size: int) -> np.ndarray:
    order = np.arange(n)
    for start in range(0, n, batch_size):
        rng.shuffle(order[start:start + batch_size])
    return order
