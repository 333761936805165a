"""`train_test_split`: hold out a test set, as scikit-learn's function of that name does."""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .._errors import KerasnpError, check_bool, invalid
from .random import make_rng

__all__ = ["train_test_split"]

_OWNER = "train_test_split"


def train_test_split(
    *arrays: Any,
    test_size: float | int | None = None,
    train_size: float | int | None = None,
    random_state: int | np.random.Generator | None = None,
    shuffle: bool = True,
    stratify: Any = None,
) -> list:
    """Split arrays into random train and test subsets, the same rows of each.

    Follows scikit-learn's `train_test_split`: the same arguments, the same
    subset sizes for every combination of them, the same output order. The
    rows chosen differ (kerasnp uses its own NumPy generator).

    A float size is a fraction of the samples: ``n_test = ceil(test_size * n)``
    and ``n_train = floor(train_size * n)``; an int size is a count. When only
    one size is given the other subset takes the rest; when both are given
    and add up to less than ``n``, the remaining samples are left out.

    Args:
        *arrays: One or more array-likes (NumPy arrays, lists, pandas
            objects) with the same length along the first axis.
        test_size: Float in (0, 1), or int in [1, n). Defaults to `None`:
            the complement of `train_size`, or 0.25 when both are `None`.
        train_size: Float in (0, 1), or int in [1, n). Defaults to `None`:
            the complement of `test_size`.
        random_state: Seed (int >= 0) or `np.random.Generator` for the
            shuffle. Defaults to `None`, a seed drawn from kerasnp's global
            sequence (see `kerasnp.utils.random.set_random_seed`).
        shuffle: Whether to shuffle before splitting. If `False`, the first
            ``n_train`` samples train and the next ``n_test`` test. Defaults
            to `True`.
        stratify: Optional class labels, one per sample (1-D, or 2-D with one
            row per sample, each distinct row a class). Both subsets then
            keep the class proportions of the labels. Needs ``shuffle=True``.

    Returns:
        A list ``[a_train, a_test, b_train, b_test, ...]``: two entries per
        input array, of the input's kind (a list for a list).

    Raises:
        KerasnpError: No arrays, arrays of different lengths, sizes that do
            not fit the number of samples, or a stratified split that cannot
            be made (a class with one member; fewer samples in a subset than
            classes; ``shuffle=False``).

    Example:
    >>> x, y = np.arange(10).reshape(5, 2), [0, 1, 2, 3, 4]
    >>> x_train, x_test, y_train, y_test = train_test_split(
    ...     x, y, test_size=0.4, shuffle=False)
    >>> x_test, y_test
    (array([[6, 7],
           [8, 9]]), [3, 4])
    """
    if not arrays:
        raise KerasnpError(f"{_OWNER}: expected at least one array to split. Received: none")
    n_samples = _common_length(arrays)
    n_train, n_test = split_sizes(n_samples, test_size, train_size)
    shuffle = check_bool(_OWNER, "shuffle", shuffle)
    if not shuffle:
        if stratify is not None:
            raise KerasnpError(
                f"{_OWNER}: a stratified split draws each class's samples at random, so it "
                "needs shuffle=True. Received: shuffle=False with stratify given"
            )
        train = np.arange(n_train)
        test = np.arange(n_train, n_train + n_test)
    else:
        rng = _generator(random_state)
        if stratify is None:
            order = rng.permutation(n_samples)
            test, train = order[:n_test], order[n_test : n_test + n_train]
        else:
            train, test = _stratified(stratify, n_samples, n_train, n_test, rng)
    result = []
    for array in arrays:
        result += [_take(array, train), _take(array, test)]
    return result


def split_sizes(n_samples: int, test_size: Any = None, train_size: Any = None) -> tuple[int, int]:
    """``(n_train, n_test)`` for `n_samples` samples, with scikit-learn's rules.

    Float sizes are taken as Python floats, so the rounding agrees with
    scikit-learn's to the last sample (which refuses NumPy float32 sizes; we
    accept them).

    >>> split_sizes(10, test_size=0.25)
    (7, 3)
    """
    if test_size is None and train_size is None:
        test_size = 0.25
    test_kind = _size_kind("test_size", test_size, n_samples)
    train_kind = _size_kind("train_size", train_size, n_samples)
    if test_kind == train_kind == "float" and float(train_size) + float(test_size) > 1:
        raise KerasnpError(
            f"{_OWNER}: the fractions train_size + test_size add up to "
            f"{float(train_size) + float(test_size)}, more than 1. Reduce one of them. "
            f"Received: train_size={train_size!r}, test_size={test_size!r}"
        )
    n_test = math.ceil(float(test_size) * n_samples) if test_kind == "float" else test_size
    n_train = math.floor(float(train_size) * n_samples) if train_kind == "float" else train_size
    if train_kind is None:
        n_train = n_samples - n_test
    elif test_kind is None:
        n_test = n_samples - n_train
    n_train, n_test = int(n_train), int(n_test)
    if n_train + n_test > n_samples:
        raise KerasnpError(
            f"{_OWNER}: train_size and test_size ask for {n_train} + {n_test} = "
            f"{n_train + n_test} samples, but there are only {n_samples}. Reduce one of them. "
            f"Received: train_size={train_size!r}, test_size={test_size!r}"
        )
    if n_train == 0:
        raise KerasnpError(
            f"{_OWNER}: with {n_samples} samples, test_size={test_size!r} and "
            f"train_size={train_size!r} leave no sample for training. Use a smaller "
            "test_size, or more data."
        )
    return n_train, n_test


def _size_kind(name: str, value: Any, n_samples: int) -> str | None:
    if value is None:
        return None
    kind = None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        kind = "int" if 0 < value < n_samples else None
    elif isinstance(value, numbers.Real) and not isinstance(value, bool):
        kind = "float" if 0 < value < 1 else None
    if kind:
        return kind
    raise invalid(
        _OWNER,
        name,
        f"a float in (0, 1), an integer in [1, {n_samples - 1}] (there are {n_samples} "
        "samples), or None",
        value,
    )


def _common_length(arrays: tuple) -> int:
    lengths = []
    for i, array in enumerate(arrays):
        if not hasattr(array, "__len__") or isinstance(array, np.ndarray) and array.ndim == 0:
            raise KerasnpError(
                f"{_OWNER}: argument {i} is not an array of samples (it has no length). "
                f"Received: {type(array).__name__} {array!r}"
            )
        lengths.append(len(array))
    if len(set(lengths)) > 1:
        raise KerasnpError(
            f"{_OWNER}: all arrays must have the same number of samples (length of the first "
            f"axis). Received: arrays of lengths {lengths}"
        )
    return lengths[0]


def _generator(random_state: Any) -> np.random.Generator:
    if isinstance(random_state, np.random.Generator):
        return random_state
    if random_state is not None and not (
        isinstance(random_state, numbers.Integral)
        and not isinstance(random_state, bool)
        and random_state >= 0
    ):
        raise invalid(
            _OWNER, "random_state", "an integer >= 0, a numpy Generator or None", random_state
        )
    return make_rng(random_state if random_state is None else int(random_state))


def _take(array: Any, index: np.ndarray) -> Any:
    """The rows `index` of `array`, as the same kind of container."""
    if isinstance(array, np.ndarray):
        return array[index]
    if hasattr(array, "iloc"):  # pandas
        return array.iloc[index]
    if isinstance(array, (list, tuple)):
        return [array[i] for i in index]
    return np.asarray(array)[index]


def _stratified(
    stratify: Any, n_samples: int, n_train: int, n_test: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Train and test indices that keep the class proportions of `stratify`."""
    labels = np.asarray(stratify)
    if labels.ndim == 0 or len(labels) != n_samples:
        raise KerasnpError(
            f"{_OWNER}: stratify must hold one label per sample ({n_samples}). "
            f"Received: stratify of shape {labels.shape}"
        )
    try:
        if labels.ndim == 1:
            classes, inverse = np.unique(labels, return_inverse=True)
        else:
            classes, inverse = np.unique(labels.reshape(n_samples, -1), axis=0, return_inverse=True)
    except TypeError as exc:
        raise KerasnpError(f"{_OWNER}: cannot sort the stratify labels: {exc}") from None
    inverse = inverse.reshape(-1)
    counts = np.bincount(inverse)
    if counts.min() < 2:
        lonely = classes[np.argmin(counts)].tolist()
        raise KerasnpError(
            f"{_OWNER}: stratify has a class with a single sample ({lonely!r}); each class "
            "needs at least 2, one for each subset. Remove or merge rare classes, or do not "
            "stratify."
        )
    for name, size in (("train", n_train), ("test", n_test)):
        if size < len(counts):
            raise KerasnpError(
                f"{_OWNER}: the {name} set would have {size} samples, fewer than the "
                f"{len(counts)} classes in stratify, so it cannot hold every class. Use a "
                f"larger {name}_size."
            )
    train_counts = _apportion(counts, n_train, rng)
    test_counts = _apportion(counts - train_counts, n_test, rng)
    by_class = np.split(np.argsort(inverse, kind="stable"), np.cumsum(counts)[:-1])
    train, test = [], []
    for members, n_tr, n_te in zip(by_class, train_counts, test_counts, strict=True):
        members = rng.permutation(members)
        train.append(members[:n_tr])
        test.append(members[n_tr : n_tr + n_te])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def _apportion(counts: np.ndarray, total: int, rng: np.random.Generator) -> np.ndarray:
    """Share `total` draws among classes in proportion to `counts`, in whole numbers.

    Largest remainders: each class gets the whole part of its exact share, and
    the draws left over go one each to the classes with the largest fractional
    parts (ties in random order), never beyond a class's count.
    """
    exact = counts * (total / counts.sum())
    shares = np.minimum(np.floor(exact).astype(np.int64), counts)
    left = total - int(shares.sum())
    if left > 0:
        room = np.flatnonzero(shares < counts)
        fraction = (exact - shares)[room]
        order = np.lexsort((rng.random(len(room)), -fraction))
        shares[room[order[:left]]] += 1
    return shares
