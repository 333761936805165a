"""Variance scaling: `compute_fans`, `VarianceScaling`, and Glorot, He and LeCun on top of it."""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

from .._errors import check_choice, check_float, invalid
from ..utils.random import make_rng
from .random_initializers import _normal, _RandomInitializer, _truncated_normal, _uniform

# The standard deviation of N(0, 1) restricted to [-2, 2]. Dividing by it makes
# a truncated normal draw have the variance the formula asks for.
_TRUNCATED_STDDEV = 0.87962566103423978


def compute_fans(
    shape: Sequence[int],
    input_axes: Sequence[int] | None = None,
    output_axes: Sequence[int] | None = None,
) -> tuple[int, int]:
    """The `(fan_in, fan_out)` of a weight of this shape, as Keras counts them.

    1-D: both are the length. 2-D `(inputs, units)`: the two sizes. N-D
    (convolution kernels `(*window, in_channels, out_channels)`): the last two
    sizes, each times the window size. A scalar gives `(1, 1)`. When both
    `input_axes` and `output_axes` are given, the fans are the products of
    those axes' sizes.

    Example:
    >>> compute_fans((3, 3, 16, 32))
    (144, 288)
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (
            int(math.prod(shape[a] for a in input_axes)),
            int(math.prod(shape[a] for a in output_axes)),
        )
    if not shape:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    window = math.prod(shape[:-2])
    return int(shape[-2] * window), int(shape[-1] * window)


def _axes(owner: str, name: str, axes: Any) -> Any:
    if axes is None:
        return None
    ok = isinstance(axes, Sequence) and not isinstance(axes, str)
    if not ok or not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in axes):
        raise invalid(owner, name, "a list of axis indices or None", axes)
    return axes


class VarianceScaling(_RandomInitializer):
    """Draws whose variance is `scale / n`, with `n` a fan of the weight's shape.

    `n` is `fan_in`, `fan_out` or their mean (`mode`), each at least 1 (see
    `compute_fans`). `distribution="uniform"` draws in `[-limit, limit]` with
    `limit = sqrt(3 * scale / n)`; `"truncated_normal"` (`"normal"` is an
    alias) draws a normal truncated at 2 standard deviations, with `stddev =
    sqrt(scale / n) / 0.8796...` so that the truncated draw has variance
    `scale / n`; `"untruncated_normal"` has `stddev = sqrt(scale / n)`.

    Args:
        scale: the variance factor, > 0. Defaults to `1.0`.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`. Defaults to `"fan_in"`.
        distribution: `"truncated_normal"`, `"untruncated_normal"` or
            `"uniform"` (any case). Defaults to `"truncated_normal"`.
        seed: an int for the same values at every call, or None. Defaults to `None`.
        input_axes: axes whose sizes multiply into `fan_in` (with `output_axes`).
        output_axes: axes whose sizes multiply into `fan_out` (with `input_axes`).

    Example:
    >>> w = VarianceScaling(2.0, "fan_in", "uniform", seed=0)((50, 10))
    >>> bool(np.abs(w).max() <= np.sqrt(3 * 2.0 / 50))
    True
    """

    def __init__(
        self,
        scale: float = 1.0,
        mode: str = "fan_in",
        distribution: str = "truncated_normal",
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ):
        owner = type(self).__name__
        self.scale = check_float(owner, "scale", scale, low=0.0, low_open=True)
        self.mode = check_choice(owner, "mode", mode, ["fan_in", "fan_out", "fan_avg"])
        if isinstance(distribution, str):
            distribution = distribution.lower()
            if distribution == "normal":
                distribution = "truncated_normal"
        self.distribution = check_choice(
            owner,
            "distribution",
            distribution,
            ["truncated_normal", "untruncated_normal", "uniform"],
        )
        self.input_axes = _axes(owner, "input_axes", input_axes)
        self.output_axes = _axes(owner, "output_axes", output_axes)
        super().__init__(seed)

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape, dtype = self._prepare(shape, dtype)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}
        variance = self.scale / max(1.0, fan[self.mode])
        rng = make_rng(self._seed)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            return _uniform(rng, shape, dtype, -limit, limit)
        if self.distribution == "truncated_normal":
            values = _truncated_normal(rng, shape, dtype)
            values *= math.sqrt(variance) / _TRUNCATED_STDDEV
        else:
            values = _normal(rng, shape, dtype)
            values *= math.sqrt(variance)
        return values.astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "scale": self.scale,
            "mode": self.mode,
            "distribution": self.distribution,
            "input_axes": self.input_axes,
            "output_axes": self.output_axes,
        }


class _NamedVarianceScaling(VarianceScaling):
    """A VarianceScaling whose scale, mode and distribution are fixed by its name."""

    _SCALE: float
    _MODE: str
    _DISTRIBUTION: str

    def __init__(
        self,
        seed: int | None = None,
        input_axes: Sequence[int] | None = None,
        output_axes: Sequence[int] | None = None,
    ):
        super().__init__(self._SCALE, self._MODE, self._DISTRIBUTION, seed, input_axes, output_axes)

    def get_config(self) -> dict[str, Any]:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}


class GlorotUniform(_NamedVarianceScaling):
    """Uniform in `[-limit, limit]`, `limit = sqrt(6 / (fan_in + fan_out))`.

    Glorot and Bengio, "Understanding the difficulty of training deep
    feedforward neural networks" (2010). The default kernel initializer of
    `Dense`. `VarianceScaling(1.0, "fan_avg", "uniform")`.

    Example:
    >>> w = GlorotUniform(seed=0)((200, 50))
    >>> bool(np.abs(w).max() <= np.sqrt(6 / 250))
    True
    """

    _SCALE, _MODE, _DISTRIBUTION = 1.0, "fan_avg", "uniform"


class GlorotNormal(_NamedVarianceScaling):
    """Truncated normal with variance `2 / (fan_in + fan_out)`.

    Glorot and Bengio (2010). `VarianceScaling(1.0, "fan_avg", "truncated_normal")`.

    Example:
    >>> GlorotNormal(seed=0)((3, 4)).shape
    (3, 4)
    """

    _SCALE, _MODE, _DISTRIBUTION = 1.0, "fan_avg", "truncated_normal"


class HeUniform(_NamedVarianceScaling):
    """Uniform in `[-limit, limit]`, `limit = sqrt(6 / fan_in)`.

    He et al., "Delving Deep into Rectifiers" (2015); suits ReLU layers.
    `VarianceScaling(2.0, "fan_in", "uniform")`.

    Example:
    >>> w = HeUniform(seed=0)((24, 8))
    >>> bool(np.abs(w).max() <= 0.5)
    True
    """

    _SCALE, _MODE, _DISTRIBUTION = 2.0, "fan_in", "uniform"


class HeNormal(_NamedVarianceScaling):
    """Truncated normal with variance `2 / fan_in`.

    He et al. (2015). `VarianceScaling(2.0, "fan_in", "truncated_normal")`.

    Example:
    >>> HeNormal(seed=0)((3, 4)).dtype
    dtype('float32')
    """

    _SCALE, _MODE, _DISTRIBUTION = 2.0, "fan_in", "truncated_normal"


class LecunUniform(_NamedVarianceScaling):
    """Uniform in `[-limit, limit]`, `limit = sqrt(3 / fan_in)`.

    LeCun et al., "Efficient BackProp" (1998). `VarianceScaling(1.0, "fan_in", "uniform")`.

    Example:
    >>> w = LecunUniform(seed=0)((12, 4))
    >>> bool(np.abs(w).max() <= 0.5)
    True
    """

    _SCALE, _MODE, _DISTRIBUTION = 1.0, "fan_in", "uniform"


class LecunNormal(_NamedVarianceScaling):
    """Truncated normal with variance `1 / fan_in` (the companion of `selu`).

    LeCun et al. (1998); Klambauer et al., "Self-Normalizing Neural Networks"
    (2017). `VarianceScaling(1.0, "fan_in", "truncated_normal")`.

    Example:
    >>> LecunNormal(seed=0)(5).shape
    (5,)
    """

    _SCALE, _MODE, _DISTRIBUTION = 1.0, "fan_in", "truncated_normal"
