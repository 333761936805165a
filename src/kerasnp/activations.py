"""Activation functions with the Keras 3 names and defaults: value and gradient.

Each function takes an array and returns an array of the same float dtype
(integer input becomes `floatx()`), and carries its derivative as an
attribute::

    fn.backward(x, y, grad, **same_keyword_arguments) -> dL/dx

where `x` is the input, `y = fn(x, ...)` its output and `grad = dL/dy`. The
backward uses `y` where that is cheaper (`sigmoid`: `grad * y * (1 - y)`).
At a kink (`relu` at 0) the one-sided derivative JAX uses is taken.

`get(identifier)` resolves a name (case-sensitive, as in Keras), a function
or None (`linear`).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ._errors import KerasnpError
from ._registry import resolve
from ._registry import serialize as _serialize_object
from .config import floatx

__all__ = [
    "deserialize",
    "elu",
    "exponential",
    "gelu",
    "get",
    "hard_sigmoid",
    "leaky_relu",
    "linear",
    "log_softmax",
    "relu",
    "relu6",
    "selu",
    "serialize",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "softsign",
    "swish",
    "tanh",
]

# The SELU constants of Klambauer et al., "Self-Normalizing Neural Networks" (2017).
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _as_float(x: ArrayLike) -> np.ndarray:
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(floatx())


def _backward_of(forward: Callable) -> Callable:
    """Attach the decorated function to `forward` as `forward.backward`."""

    def attach(backward: Callable) -> Callable:
        forward.backward = backward
        return backward

    return attach


def relu(
    x: ArrayLike,
    negative_slope: float = 0.0,
    max_value: float | None = None,
    threshold: float = 0.0,
) -> np.ndarray:
    """Rectified linear unit, with Keras's optional slope, cap and threshold.

    `x` where `x > threshold`, else `0`; then clipped to `[0, max_value]` when
    `max_value` is set; then `negative_slope * (x - threshold)` is added where
    `x < threshold`. With the defaults this is `max(x, 0)`.

    Args:
        x: input array.
        negative_slope: slope below the threshold. Defaults to `0.0`.
        max_value: upper cap, or None for no cap. Defaults to `None`.
        threshold: where the function switches on. Defaults to `0.0`.

    Example:
    >>> relu(np.array([-2.0, 0.5, 8.0]))
    array([0. , 0.5, 8. ])
    >>> relu(np.array([-2.0, 0.5, 8.0]), negative_slope=0.1, max_value=6.0)
    array([-0.2,  0.5,  6. ])
    """
    x = _as_float(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return np.maximum(x, 0.0)
    y = np.where(x > threshold, x, 0.0).astype(x.dtype, copy=False)
    if max_value is not None:
        np.clip(y, 0.0, max_value, out=y)
    if negative_slope != 0.0:
        y -= negative_slope * np.maximum(threshold - x, 0.0)
    return y


@_backward_of(relu)
def _relu_backward(x, y, grad, negative_slope=0.0, max_value=None, threshold=0.0):
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return grad * (y > 0)
    on = x > threshold
    if max_value is not None:
        on &= (x > 0) & (x < max_value)
    slope = on.astype(grad.dtype)
    if negative_slope != 0.0:
        below = (x < threshold).astype(grad.dtype)
        below *= negative_slope
        slope += below
    slope *= grad
    return slope


def leaky_relu(x: ArrayLike, negative_slope: float = 0.2) -> np.ndarray:
    """Leaky ReLU: `x` where `x >= 0`, else `negative_slope * x`.

    Args:
        x: input array.
        negative_slope: slope for negative inputs. Defaults to `0.2`.

    Example:
    >>> leaky_relu(np.array([-2.0, 3.0]))
    array([-0.4,  3. ])
    """
    x = _as_float(x)
    # Branch-free form of where(x >= 0, x, slope * x).
    pick = np.maximum if negative_slope <= 1.0 else np.minimum
    return pick(x, x * negative_slope)


@_backward_of(leaky_relu)
def _leaky_relu_backward(x, y, grad, negative_slope=0.2):
    slope = (x >= 0).astype(grad.dtype)
    slope *= 1.0 - negative_slope
    slope += negative_slope
    slope *= grad
    return slope


def relu6(x: ArrayLike) -> np.ndarray:
    """ReLU capped at 6: `min(max(x, 0), 6)`.

    Example:
    >>> relu6(np.array([-1.0, 3.0, 9.0]))
    array([0., 3., 6.])
    """
    x = _as_float(x)
    return np.clip(x, 0.0, 6.0)


@_backward_of(relu6)
def _relu6_backward(x, y, grad):
    return grad * ((y > 0) & (y < 6))


def sigmoid(x: ArrayLike) -> np.ndarray:
    """Logistic sigmoid: `1 / (1 + exp(-x))`, accurate in both tails.

    Example:
    >>> sigmoid(np.array([0.0, 2.0]))
    array([0.5       , 0.88079708])
    """
    x = _as_float(x)
    y = np.negative(x)
    with np.errstate(over="ignore"):  # exp(-x) = inf for very negative x gives exactly 0
        np.exp(y, out=y)
    y += 1.0
    return np.reciprocal(y, out=y)


@_backward_of(sigmoid)
def _sigmoid_backward(x, y, grad):
    slope = 1.0 - y
    slope *= y
    slope *= grad
    return slope


def hard_sigmoid(x: ArrayLike) -> np.ndarray:
    """Piecewise-linear sigmoid of Keras 3: `clip(x / 6 + 0.5, 0, 1)`.

    Example:
    >>> hard_sigmoid(np.array([-4.0, 0.0, 1.5, 4.0]))
    array([0.  , 0.5 , 0.75, 1.  ])
    """
    x = _as_float(x)
    y = x / 6.0
    y += 0.5
    return np.clip(y, 0.0, 1.0, out=y)


@_backward_of(hard_sigmoid)
def _hard_sigmoid_backward(x, y, grad):
    return grad * ((x > -3.0) & (x < 3.0)) / 6.0


def tanh(x: ArrayLike) -> np.ndarray:
    """Hyperbolic tangent.

    Example:
    >>> tanh(np.array([0.0, 1.0]))
    array([0.        , 0.76159416])
    """
    return np.tanh(_as_float(x))


@_backward_of(tanh)
def _tanh_backward(x, y, grad):
    slope = y * y
    np.subtract(1.0, slope, out=slope)
    slope *= grad
    return slope


def softmax(x: ArrayLike, axis: int | tuple[int, ...] = -1) -> np.ndarray:
    """Softmax: `exp(x) / sum(exp(x))` along `axis`, shifted by the max for stability.

    Args:
        x: input array (logits).
        axis: the axis (or axes) that sum to 1. Defaults to `-1`.

    Example:
    >>> softmax(np.array([[1.0, 1.0], [0.0, np.log(3.0)]]))
    array([[0.5 , 0.5 ],
           [0.25, 0.75]])
    """
    x = _as_float(x)
    y = x - np.max(x, axis=axis, keepdims=True)
    np.exp(y, out=y)
    y /= np.sum(y, axis=axis, keepdims=True)
    return y


@_backward_of(softmax)
def _softmax_backward(x, y, grad, axis=-1):
    return y * (grad - np.sum(grad * y, axis=axis, keepdims=True))


def log_softmax(x: ArrayLike, axis: int | tuple[int, ...] = -1) -> np.ndarray:
    """Log of the softmax: `x - logsumexp(x)` along `axis`, computed stably.

    Args:
        x: input array (logits).
        axis: the axis (or axes) of the softmax. Defaults to `-1`.

    Example:
    >>> np.exp(log_softmax(np.array([0.0, np.log(3.0)])))
    array([0.25, 0.75])
    """
    x = _as_float(x)
    y = x - np.max(x, axis=axis, keepdims=True)
    y -= np.log(np.sum(np.exp(y), axis=axis, keepdims=True))
    return y


@_backward_of(log_softmax)
def _log_softmax_backward(x, y, grad, axis=-1):
    return grad - np.exp(y) * np.sum(grad, axis=axis, keepdims=True)


def linear(x: ArrayLike) -> np.ndarray:
    """Identity: returns `x` unchanged (the activation of `activation=None`).

    Example:
    >>> linear(np.array([-1.0, 2.0]))
    array([-1.,  2.])
    """
    return _as_float(x)


@_backward_of(linear)
def _linear_backward(x, y, grad):
    return grad


def exponential(x: ArrayLike) -> np.ndarray:
    """Exponential: `exp(x)`.

    Example:
    >>> exponential(np.array([0.0, 1.0]))
    array([1.        , 2.71828183])
    """
    return np.exp(_as_float(x))


@_backward_of(exponential)
def _exponential_backward(x, y, grad):
    return grad * y


def elu(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    """Exponential linear unit: `x` where `x > 0`, else `alpha * (exp(x) - 1)`.

    Clevert et al., "Fast and Accurate Deep Network Learning by Exponential
    Linear Units (ELUs)" (2016).

    Args:
        x: input array.
        alpha: the value approached for large negative inputs is `-alpha`.
            Defaults to `1.0`.

    Example:
    >>> elu(np.array([-1.0, 2.0]))
    array([-0.63212056,  2.        ])
    """
    x = _as_float(x)
    y = np.expm1(np.minimum(x, 0.0))
    y *= alpha
    y += np.maximum(x, 0.0)
    return y


@_backward_of(elu)
def _elu_backward(x, y, grad, alpha=1.0):
    # Below 0, d/dx alpha * (exp(x) - 1) = alpha * exp(x) = y + alpha.
    return grad * (1.0 + (x <= 0) * (y + (alpha - 1.0)))


def selu(x: ArrayLike) -> np.ndarray:
    """Scaled ELU: `scale * elu(x, alpha)` with the self-normalizing constants.

    `alpha = 1.67326324...`, `scale = 1.05070098...` (Klambauer et al.,
    "Self-Normalizing Neural Networks", 2017). Use with `lecun_normal`.

    Example:
    >>> selu(np.array([-1.0, 1.0]))
    array([-1.11133074,  1.05070099])
    """
    y = elu(x, _SELU_ALPHA)
    y *= _SELU_SCALE
    return y


@_backward_of(selu)
def _selu_backward(x, y, grad):
    # Above 0 the slope is scale; below, scale * alpha * exp(x) = y + scale * alpha.
    slope = (x <= 0) * (y + (_SELU_SCALE * _SELU_ALPHA - _SELU_SCALE))
    slope += _SELU_SCALE
    return grad * slope


def softplus(x: ArrayLike) -> np.ndarray:
    """Softplus: `log(1 + exp(x))`, without overflow for large `x`.

    Example:
    >>> softplus(np.array([0.0, 100.0]))
    array([  0.69314718, 100.        ])
    """
    return np.logaddexp(_as_float(x), 0.0)


@_backward_of(softplus)
def _softplus_backward(x, y, grad):
    # sigmoid(x) = 1 - exp(-softplus(x)).
    return grad * -np.expm1(-y)


def softsign(x: ArrayLike) -> np.ndarray:
    """Softsign: `x / (1 + |x|)`.

    Example:
    >>> softsign(np.array([-3.0, 1.0]))
    array([-0.75,  0.5 ])
    """
    x = _as_float(x)
    return x / (1.0 + np.abs(x))


@_backward_of(softsign)
def _softsign_backward(x, y, grad):
    # 1 / (1 + |x|)^2 = (1 - |y|)^2.
    d = 1.0 - np.abs(y)
    return grad * d * d


def silu(x: ArrayLike) -> np.ndarray:
    """Sigmoid linear unit, also called swish: `x * sigmoid(x)`.

    Ramachandran et al., "Searching for Activation Functions" (2017).

    Example:
    >>> silu(np.array([0.0, 2.0]))
    array([0.        , 1.76159416])
    """
    x = _as_float(x)
    return x * sigmoid(x)


@_backward_of(silu)
def _silu_backward(x, y, grad):
    # d/dx x * s(x) = s + x * s * (1 - s) = s * (1 + x * (1 - s)).
    s = sigmoid(x)
    slope = 1.0 - s
    slope *= x
    slope += 1.0
    slope *= s
    slope *= grad
    return slope


swish = silu


def gelu(x: ArrayLike, approximate: bool = False) -> np.ndarray:
    """Gaussian error linear unit: `x * P(X <= x)` for `X ~ N(0, 1)`.

    Exact (the Keras 3 default): `0.5 * x * (1 + erf(x / sqrt(2)))`.
    With `approximate=True`:
    `0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))`.
    Hendrycks and Gimpel, "Gaussian Error Linear Units (GELUs)" (2016).

    Args:
        x: input array.
        approximate: whether to use the tanh approximation. Defaults to `False`.

    Example:
    >>> gelu(np.array([-1.0, 0.0, 1.0]))
    array([-0.15865525,  0.        ,  0.84134475])
    """
    x = _as_float(x)
    if approximate:
        # 0.5 * (1 + tanh(a)) = sigmoid(2a), which keeps its precision for x << 0.
        y = sigmoid(2.0 * _gelu_tanh_argument(x))
        y *= x
        return y
    y = _normal_cdf(x)
    y *= x
    return y


@_backward_of(gelu)
def _gelu_backward(x, y, grad, approximate=False):
    if approximate:
        # y = x * s(2a): dy/dx = s + x * s * (1 - s) * 2a', a' = sqrt(2/pi) (1 + 3c x^2).
        s = sigmoid(2.0 * _gelu_tanh_argument(x))
        inner_slope = (2.0 * _SQRT_2_OVER_PI) * (1.0 + (3.0 * _GELU_CUBIC) * x * x)
        return grad * (s + x * s * (1.0 - s) * inner_slope)
    # d/dx x * cdf(x) = cdf(x) + x * pdf(x); cdf(x) = y / x recovers it cheaply.
    cdf = np.divide(y, x, out=np.full_like(x, 0.5), where=np.abs(x) >= np.finfo(x.dtype).tiny)
    slope = x * x
    slope *= -0.5
    np.exp(slope, out=slope)
    slope *= x
    slope *= _INV_SQRT_2PI
    slope += cdf
    slope *= grad
    return slope


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_CUBIC = 0.044715


def _gelu_tanh_argument(x: np.ndarray) -> np.ndarray:
    return _SQRT_2_OVER_PI * (x + _GELU_CUBIC * (x * x * x))


# The standard normal CDF without SciPy. For w >= 0,
#     P(X <= -w) = 0.5 * erfc(z),  z = w / sqrt(2),
#     erfc(z) = t * exp(-z^2 + p(u)),  t = 2 / (2 + z),  u = 2t - 1 = (2 - z) / (2 + z),
# where p is smooth on u in [-1, 1] (u = -1 is z = inf). We fitted p once, as a
# Chebyshev series in u, to log(erfc(z) / t) + z^2 (math.erfc for z < 8, the
# asymptotic series of erfc above). The series is cut per precision: 13 terms
# give float32 to ~3 ulp, 25 terms give float64 to ~10 ulp, relative, over the
# whole range (including the far negative tail, where 1 - ... would lose it).
# fmt: off
_ERFC_CHEBYSHEV = (
    -0.6513268598908546, 0.6419697923564907, 0.01947647320418588, -0.00956151478680883,
    -0.0009465953444819056, 0.00036683949785258104, 4.252332480673038e-05,
    -2.0278578112426123e-05, -1.6242900046161923e-06, 1.303655835881068e-06,
    1.562644122109729e-08, -8.523809597609737e-08, 6.529054314996296e-09,
    5.0593434890075186e-09, -9.913646232553487e-10, -2.2736514755697114e-10,
    9.6467874012848e-11, 2.393666039959646e-12, -6.886164271340538e-12,
    8.943683261023991e-13, 3.1330611276254274e-13, -1.1251913645655219e-13,
    3.8985535916873273e-16, 7.0790280107881286e-15, -1.6396857753273171e-15,
)
# fmt: on


def _chebyshev_to_power(coefficients: tuple[float, ...]) -> tuple[float, ...]:
    """Power-basis coefficients (lowest first) of a Chebyshev series."""
    power = [0.0] * len(coefficients)
    previous, current = [1.0], [0.0, 1.0]  # T0 and T1
    for k, c in enumerate(coefficients):
        basis = previous if k == 0 else current
        for i, b in enumerate(basis):
            power[i] += c * b
        if k >= 1:  # T_{k+1} = 2u T_k - T_{k-1}
            nxt = [0.0] + [2.0 * b for b in current]
            for i, b in enumerate(previous):
                nxt[i] -= b
            previous, current = current, nxt
    return tuple(power)


_ERFC_POWER_64 = _chebyshev_to_power(_ERFC_CHEBYSHEV)
_ERFC_POWER_32 = _chebyshev_to_power(_ERFC_CHEBYSHEV[:13])
_SQRT_8 = 2.0 * math.sqrt(2.0)


def _normal_tail(w: np.ndarray) -> np.ndarray:
    """`P(X <= -w)` for `X ~ N(0, 1)` and `w >= 0`, in the dtype of `w` (overwritten)."""
    if w.dtype.itemsize >= 8:
        coefficients, grid = _ERFC_POWER_64, 2.0**20
    else:
        coefficients, grid = _ERFC_POWER_32, 2.0**8
    scratch = w + _SQRT_8
    u = _SQRT_8 - w
    u /= scratch
    acc = u * coefficients[-1]
    for c in coefficients[-2:0:-1]:
        acc += c
        acc *= u
    acc += coefficients[0]
    # exp(-w^2 / 2) is split as exp(-h^2 / 2) * exp(-(w - h)(w + h) / 2), with h = w
    # rounded to a short grid so that h^2 is exact: the rounding error of w^2 (up to
    # 85 ulp of the result in float32) would otherwise land in the exponent.
    head = np.multiply(w, grid, out=scratch)
    np.rint(head, out=head)
    head /= grid
    low = w + head
    w -= head
    low *= w
    low *= 0.5
    acc -= low
    np.exp(acc, out=acc)
    head *= head
    head *= -0.5
    acc *= np.exp(head, out=head)
    u += 1.0
    u *= 0.25  # t / 2
    acc *= u
    return acc


def _normal_cdf(x: np.ndarray) -> np.ndarray:
    """`P(X <= x)` for `X ~ N(0, 1)`, accurate to a few ulp in float32 and float64."""
    work = x if x.dtype.itemsize >= 4 else x.astype(np.float32)
    tail = _normal_tail(np.abs(work))
    # tail where x < 0, else 1 - tail: arithmetic rather than np.where, whose
    # data-dependent branches cost ~5x more on inputs of mixed signs.
    cdf = tail * -2.0
    cdf += 1.0
    cdf *= np.heaviside(work, 1.0)
    cdf += tail
    return cdf.astype(x.dtype, copy=False)


_ACTIVATIONS: dict[str, Callable] = {
    fn.__name__: fn
    for fn in (
        elu,
        exponential,
        gelu,
        hard_sigmoid,
        leaky_relu,
        linear,
        log_softmax,
        relu,
        relu6,
        selu,
        sigmoid,
        silu,
        softmax,
        softplus,
        softsign,
        tanh,
    )
}
_ACTIVATIONS["swish"] = silu


# ---------------------------------------------------------------- in place
# The training loop keeps activations in buffers it reuses. For the functions
# below, whose gradient needs only the output, it computes the output over
# the pre-activation itself (no new array) and the gradient from the output
# alone. Each computes exactly what the function above computes, in the same
# order, so the numbers do not change.
_ZEROS: dict[tuple[tuple[int, ...], np.dtype], np.ndarray] = {}


def _zeros(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A shared read-only array of zeros (a loop uses one or two batch shapes)."""
    zeros = _ZEROS.get((shape, dtype))
    if zeros is None:
        if len(_ZEROS) >= 16:
            _ZEROS.clear()
        zeros = _ZEROS[shape, dtype] = np.zeros(shape, dtype)
        zeros.flags.writeable = False
    return zeros


def _relu_in_place(z: np.ndarray) -> np.ndarray:
    # Against an array of zeros NumPy runs its vectorised loop, several times
    # faster than against the scalar 0; the maxima are the same.
    return np.maximum(z, _zeros(z.shape, z.dtype), out=z)


def _sigmoid_in_place(z: np.ndarray) -> np.ndarray:
    np.negative(z, out=z)
    with np.errstate(over="ignore"):
        np.exp(z, out=z)
    z += 1.0
    return np.reciprocal(z, out=z)


def _softmax_in_place(z: np.ndarray) -> np.ndarray:
    # the array methods are the same reductions as np.max/np.sum, called directly
    z -= z.max(axis=-1, keepdims=True)
    np.exp(z, out=z)
    z /= z.sum(axis=-1, keepdims=True)
    return z


def _relu_backward_into(y, grad, out):
    # `grad * (y > 0)` with the 0/1 mask written as floats straight into `out`:
    # the same products, without a boolean temporary and a mixed-type multiply
    np.greater(y, 0, out=out)
    out *= grad
    return out


def _sigmoid_backward_into(y, grad, out):
    np.subtract(1.0, y, out=out)
    out *= y
    out *= grad
    return out


def _tanh_backward_into(y, grad, out):
    np.multiply(y, y, out=out)
    np.subtract(1.0, out, out=out)
    out *= grad
    return out


def _softmax_backward_into(y, grad, out):
    np.multiply(grad, y, out=out)
    total = out.sum(axis=-1, keepdims=True)
    np.subtract(grad, total, out=out)
    out *= y
    return out


_IN_PLACE: dict[Callable, tuple[Callable, Callable | None]] = {
    relu: (_relu_in_place, _relu_backward_into),
    sigmoid: (_sigmoid_in_place, _sigmoid_backward_into),
    tanh: (lambda z: np.tanh(z, out=z), _tanh_backward_into),
    softmax: (_softmax_in_place, _softmax_backward_into),
    linear: (lambda z: z, None),
}


def in_place(fn: Callable) -> tuple[Callable, Callable | None] | None:
    """`(forward, backward)` that work in buffers, for a function with defaults.

    `forward(z)` overwrites `z` with `fn(z)` and returns it;
    `backward(y, grad, out)` writes dL/dz into `out` from the output `y` alone
    and returns it (None for `linear`, whose gradient is `grad` itself).
    None when `fn` has no such form (its gradient needs its input, or it has
    non-default arguments). So only functions whose `backward(x, y, grad)`
    ignores `x` are here: after an in-place forward a layer passes `y` for `x`
    (`Dense.backward`). The 2-D training loop uses them along the last axis.

    Example:
    >>> forward, backward = in_place(relu)
    >>> z = np.array([-1.0, 2.0])
    >>> forward(z) is z, z
    (True, array([0., 2.]))
    """
    return _IN_PLACE.get(fn)


def get(identifier: Any) -> Callable:
    """The activation function an identifier names.

    Args:
        identifier: None (gives `linear`), a Keras name such as `"relu"`
            (case-sensitive), a function (returned as is), or a config dict.

    Returns:
        The activation function.

    Raises:
        KerasnpError: the name is unknown; the message lists the names and
            suggests the closest one.

    Example:
    >>> get("relu") is relu, get(None) is linear, get("swish") is silu
    (True, True, True)
    """
    if identifier is None:
        return linear
    if isinstance(identifier, Mapping) and identifier.get("class_name") == "function":
        identifier = identifier.get("config")  # Keras's dict form of a named function
    return resolve(
        "activation", identifier, _ACTIVATIONS, None, case_sensitive=True, instantiate=False
    )


def serialize(activation: Callable) -> str | dict[str, Any]:
    """The name under which `activation` is saved (`"relu"`; `swish` gives `"silu"`).

    A custom function gives its registered name, or its `__name__` (load it
    again with `custom_objects`). An object with `get_config` gives its config
    dict.

    Raises:
        KerasnpError: the function has no usable name (a lambda).

    Example:
    >>> serialize(relu), serialize(swish)
    ('relu', 'silu')
    """
    name = getattr(activation, "__name__", None)
    if name is not None and _ACTIVATIONS.get(name) is activation:
        return name
    registered = getattr(activation, "_registered_name", None)
    if registered:
        return registered
    if not inspect.isclass(activation) and hasattr(activation, "get_config"):
        return _serialize_object(activation, "keras.activations")  # e.g. a layer
    if callable(activation) and name and name != "<lambda>":
        return name
    raise KerasnpError(
        f"Cannot serialize the activation {activation!r}: it has no name to be loaded by. "
        "Define it with `def` (not `lambda`), and pass it in `custom_objects` when loading."
    )


def deserialize(config: str | Mapping[str, Any]) -> Callable:
    """The activation function of a saved name or config (the inverse of `serialize`).

    Example:
    >>> deserialize(serialize(gelu)) is gelu
    True
    """
    return get(config)
