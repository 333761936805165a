"""Seeded random draws, and `RandomUniform`, `RandomNormal`, `TruncatedNormal`.

`_RandomInitializer` holds the seed of every random initializer; the samplers
(uniform, normal, and normal truncated at 2 standard deviations) are shared
with `VarianceScaling` and `Orthogonal`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .._errors import check_float, check_int
from ..utils.random import draw_seed, make_rng
from .initializer import Initializer, _dtype, _shape


class _RandomInitializer(Initializer):
    """Holds the seed: an int is used at every call; None draws one now."""

    def __init__(self, seed: int | None = None):
        self.seed = check_int(type(self).__name__, "seed", seed, minimum=0, allow_none=True)
        self._seed = draw_seed() if self.seed is None else self.seed

    def _prepare(self, shape: Any, dtype: Any) -> tuple[tuple[int, ...], np.dtype]:
        owner = type(self).__name__
        return _shape(owner, shape), _dtype(owner, dtype, floating=True)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed}


def _working(dtype: np.dtype) -> np.dtype:
    # NumPy's generators draw float32 or float64 only; float16 is drawn in float32.
    return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)


def _normal(rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    return np.asarray(rng.standard_normal(shape, dtype=_working(dtype)))


def _truncated_normal(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype
) -> np.ndarray:
    """N(0, 1) restricted to [-2, 2]: values outside are drawn again (as Keras does)."""
    values = rng.standard_normal(math.prod(shape), dtype=_working(dtype))
    outside = np.flatnonzero(np.abs(values) > 2.0)
    while outside.size:
        values[outside] = rng.standard_normal(outside.size, dtype=values.dtype)
        outside = outside[np.abs(values[outside]) > 2.0]
    return values.reshape(shape)


def _uniform(
    rng: np.random.Generator, shape: tuple[int, ...], dtype: np.dtype, low: float, high: float
) -> np.ndarray:
    values = np.asarray(rng.random(shape, dtype=_working(dtype)))
    values *= high - low
    values += low
    return values.astype(dtype, copy=False)


class RandomUniform(_RandomInitializer):
    """Uniform draws in `[minval, maxval)`.

    Args:
        minval: lower bound. Defaults to `-0.05`.
        maxval: upper bound. Defaults to `0.05`.
        seed: an int for the same values at every call, or None. Defaults to `None`.

    Example:
    >>> w = RandomUniform(0.0, 1.0, seed=1)((100,))
    >>> bool(w.min() >= 0.0 and w.max() < 1.0), w.dtype
    (True, dtype('float32'))
    """

    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: int | None = None):
        self.minval = check_float("RandomUniform", "minval", minval)
        self.maxval = check_float("RandomUniform", "maxval", maxval, low=self.minval)
        super().__init__(seed)

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape, dtype = self._prepare(shape, dtype)
        return _uniform(make_rng(self._seed), shape, dtype, self.minval, self.maxval)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


class RandomNormal(_RandomInitializer):
    """Normal draws with mean `mean` and standard deviation `stddev`.

    Args:
        mean: the mean. Defaults to `0.0`.
        stddev: the standard deviation, >= 0. Defaults to `0.05`.
        seed: an int for the same values at every call, or None. Defaults to `None`.

    Example:
    >>> RandomNormal(stddev=0.0, mean=3.0)((2,))
    array([3., 3.], dtype=float32)
    """

    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: int | None = None):
        self.mean = check_float(type(self).__name__, "mean", mean)
        self.stddev = check_float(type(self).__name__, "stddev", stddev, low=0.0)
        super().__init__(seed)

    def _standard(self, rng: np.random.Generator, shape, dtype) -> np.ndarray:
        return _normal(rng, shape, dtype)

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape, dtype = self._prepare(shape, dtype)
        values = self._standard(make_rng(self._seed), shape, dtype)
        values *= self.stddev
        values += self.mean
        return values.astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomNormal):
    """Normal draws, redrawn when more than 2 standard deviations from the mean.

    The result lies in `[mean - 2 * stddev, mean + 2 * stddev]`; its standard
    deviation is about `0.88 * stddev`.

    Args:
        mean: the mean. Defaults to `0.0`.
        stddev: the standard deviation before truncation, >= 0. Defaults to `0.05`.
        seed: an int for the same values at every call, or None. Defaults to `None`.

    Example:
    >>> w = TruncatedNormal(stddev=1.0, seed=0)((1000,))
    >>> bool(np.abs(w).max() <= 2.0)
    True
    """

    def _standard(self, rng: np.random.Generator, shape, dtype) -> np.ndarray:
        return _truncated_normal(rng, shape, dtype)
