"""Initializers: the arrays new weights start from, with Keras's formulas.

An initializer is called with a shape (and optionally a dtype) and returns a
NumPy array, of `floatx()` unless `dtype` is given. A random initializer
with an integer `seed` returns the same values at every call (as in Keras 3);
with `seed=None` it draws its seed once, when it is constructed, from the
global sequence that `kerasnp.utils.random.set_random_seed` restarts.

`get(identifier)` accepts the Keras names (`"glorot_uniform"`,
`"GlorotUniform"`, `"he_normal"`, `"zeros"`, ...; case-sensitive), a config
dict, a class, an instance, a function or an array.
"""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from ._errors import KerasnpError, check_choice, check_float, check_int, invalid
from ._registry import resolve
from ._registry import serialize as _serialize_object
from .config import floatx
from .utils.random import draw_seed, make_rng

__all__ = [
    "Constant",
    "GlorotNormal",
    "GlorotUniform",
    "HeNormal",
    "HeUniform",
    "Identity",
    "Initializer",
    "LecunNormal",
    "LecunUniform",
    "Ones",
    "Orthogonal",
    "RandomNormal",
    "RandomUniform",
    "TruncatedNormal",
    "VarianceScaling",
    "Zeros",
    "compute_fans",
    "constant",
    "deserialize",
    "get",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "identity",
    "lecun_normal",
    "lecun_uniform",
    "ones",
    "orthogonal",
    "random_normal",
    "random_uniform",
    "serialize",
    "truncated_normal",
    "variance_scaling",
    "zeros",
]

# The standard deviation of N(0, 1) restricted to [-2, 2]. Dividing by it makes
# a truncated normal draw have the variance the formula asks for.
_TRUNCATED_STDDEV = 0.87962566103423978


def _shape(owner: str, shape: Any) -> tuple[int, ...]:
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        dims = None
    if dims is None or not all(
        isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 0 for d in dims
    ):
        raise invalid(owner, "shape", "a tuple of non-negative integers", shape)
    return tuple(int(d) for d in dims)


def _dtype(owner: str, dtype: Any, *, floating: bool) -> np.dtype:
    try:
        result = np.dtype(floatx() if dtype is None else dtype)
    except TypeError:
        result = None
    if result is None or result.kind not in ("f" if floating else "fiu"):
        what = "a float dtype" if floating else "a numeric dtype"
        raise invalid(owner, "dtype", f"{what} such as 'float32'", dtype)
    return result


class Initializer:
    """Base class: `initializer(shape, dtype=None)` returns a new array.

    A subclass implements `__call__`, and `get_config` when its constructor
    takes arguments.

    Example:
    >>> class Twos(Initializer):
    ...     def __call__(self, shape, dtype=None):
    ...         return np.full(shape, 2.0, dtype=dtype or floatx())
    >>> Twos()((2,))
    array([2., 2.], dtype=float32)
    """

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        raise NotImplementedError(
            f"{type(self).__name__} must implement __call__(shape, dtype=None)."
        )

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, for `from_config`."""
        return {}

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Initializer:
        """A new initializer from `get_config()` output."""
        return cls(**config)

    def clone(self) -> Initializer:
        """A new initializer with the same config."""
        return type(self).from_config(self.get_config())

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class Zeros(Initializer):
    """All zeros.

    Example:
    >>> Zeros()((2, 2))
    array([[0., 0.],
           [0., 0.]], dtype=float32)
    """

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        return np.zeros(_shape("Zeros", shape), _dtype("Zeros", dtype, floating=False))


class Ones(Initializer):
    """All ones.

    Example:
    >>> Ones()(3)
    array([1., 1., 1.], dtype=float32)
    """

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        return np.ones(_shape("Ones", shape), _dtype("Ones", dtype, floating=False))


class Constant(Initializer):
    """Every entry set to `value` (a number, or an array broadcast to the shape).

    Args:
        value: the value. Defaults to `0.0`.

    Example:
    >>> Constant(0.5)((2,))
    array([0.5, 0.5], dtype=float32)
    """

    def __init__(self, value: Any = 0.0):
        try:
            kind = np.asarray(value).dtype.kind
        except ValueError:  # a ragged list
            kind = "O"
        if kind not in "fiu" or isinstance(value, str):
            raise invalid("Constant", "value", "a number or an array of numbers", value)
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape = _shape("Constant", shape)
        values = np.asarray(self.value, dtype=_dtype("Constant", dtype, floating=False))
        try:
            return np.broadcast_to(values, shape).copy()
        except ValueError:
            raise KerasnpError(
                f"Constant value of shape {values.shape} does not broadcast to the "
                f"requested shape {shape}."
            ) from None

    def get_config(self) -> dict[str, Any]:
        return {"value": self.value}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only; rectangular allowed).

    Args:
        gain: the diagonal value. Defaults to `1.0`.

    Example:
    >>> Identity(2.0)((2, 3))
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain: float = 1.0):
        self.gain = check_float("Identity", "gain", gain)

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape = _shape("Identity", shape)
        if len(shape) != 2:
            raise invalid("Identity", "shape", "a 2-D shape (rows, columns)", shape)
        result = np.eye(*shape, dtype=_dtype("Identity", dtype, floating=True))
        result *= self.gain
        return result

    def get_config(self) -> dict[str, Any]:
        return {"gain": self.gain}


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


class Orthogonal(_RandomInitializer):
    """A random orthogonal matrix times `gain` (Saxe et al., 2014).

    The shape is seen as a matrix `(prod(shape[:-1]), shape[-1])`; its rows
    (if fewer) or columns (otherwise) are orthonormal. Drawn as the Q of the
    QR decomposition of a normal matrix, with signs fixed so that R has a
    positive diagonal (which makes Q uniformly distributed).

    Args:
        gain: the factor applied to the orthogonal matrix. Defaults to `1.0`.
        seed: an int for the same values at every call, or None. Defaults to `None`.

    Example:
    >>> q = Orthogonal(seed=0)((4, 4))
    >>> np.allclose(q.T @ q, np.eye(4), atol=1e-6)
    True
    """

    def __init__(self, gain: float = 1.0, seed: int | None = None):
        self.gain = check_float("Orthogonal", "gain", gain)
        super().__init__(seed)

    def __call__(self, shape: Any, dtype: Any = None) -> np.ndarray:
        shape, dtype = self._prepare(shape, dtype)
        if len(shape) < 2:
            raise invalid("Orthogonal", "shape", "a shape with at least 2 dimensions", shape)
        rows, cols = math.prod(shape[:-1]), shape[-1]
        if rows == 0 or cols == 0:
            return np.zeros(shape, dtype)
        tall = _normal(make_rng(self._seed), (max(rows, cols), min(rows, cols)), dtype)
        q, r = np.linalg.qr(tall)
        q *= np.sign(np.diagonal(r))
        if rows < cols:
            q = q.T
        q = q * self.gain
        return q.reshape(shape).astype(dtype, copy=False)

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "gain": self.gain}


# The snake-case names Keras also exports (they are the classes themselves).
zeros = Zeros
ones = Ones
constant = Constant
identity = Identity
random_uniform = RandomUniform
random_normal = RandomNormal
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = Orthogonal

_INITIALIZERS: dict[str, type] = {
    name: obj for name, obj in globals().items() if inspect.isclass(obj) and name in __all__
}
del _INITIALIZERS["Initializer"]
_INITIALIZERS.update(
    normal=RandomNormal,
    uniform=RandomUniform,
    one=Ones,
    zero=Zeros,
    IdentityInitializer=Identity,
    OrthogonalInitializer=Orthogonal,
)


def get(identifier: Any) -> Initializer | Callable | None:
    """The initializer an identifier names.

    Args:
        identifier: None (gives None), a Keras name such as `"glorot_uniform"`
            or `"GlorotUniform"` (case-sensitive), a config dict, a class, an
            instance, a function `f(shape, dtype=None)`, or an array (whose
            values are returned for a call with its shape).

    Raises:
        KerasnpError: the name is unknown; the message lists the names and
            suggests the closest one.

    Example:
    >>> get("he_normal")
    HeNormal(seed=None, input_axes=None, output_axes=None)
    >>> get({"class_name": "Constant", "config": {"value": 2.0}})
    Constant(value=2.0)
    """
    if identifier is None:
        return None
    if isinstance(identifier, np.ndarray | np.generic):
        return _from_array(np.asarray(identifier))
    return resolve("initializer", identifier, _INITIALIZERS, Initializer, case_sensitive=True)


def _from_array(values: np.ndarray) -> Callable:
    def initialize(shape: Any, dtype: Any = None) -> np.ndarray:
        shape = _shape("initializer", shape)
        if shape != values.shape:
            raise KerasnpError(
                f"This initializer holds an array of shape {values.shape}, but a weight of "
                f"shape {shape} asked for values. Give an array of the weight's shape."
            )
        return np.array(values, dtype=_dtype("initializer", dtype, floating=False))

    return initialize


def serialize(initializer: Initializer | Callable | None) -> dict[str, Any] | str | None:
    """The Keras-style config dict of an initializer (a function gives its name; None, None).

    Example:
    >>> serialize(Zeros())
    {'module': 'keras.initializers', 'class_name': 'Zeros', 'config': {}, 'registered_name': None}
    """
    if initializer is None:
        return None
    if not (hasattr(initializer, "get_config") or inspect.isfunction(initializer)):
        raise KerasnpError(
            f"Cannot serialize the initializer {initializer!r}: it needs a get_config() method."
        )
    return _serialize_object(initializer, "keras.initializers")


def deserialize(config: str | Mapping[str, Any]) -> Initializer | Callable:
    """An initializer from a name or a config dict (the inverse of `serialize`).

    Example:
    >>> deserialize(serialize(RandomNormal(stddev=0.1, seed=3)))
    RandomNormal(seed=3, mean=0.0, stddev=0.1)
    """
    return resolve("initializer", config, _INITIALIZERS, Initializer, case_sensitive=True)
