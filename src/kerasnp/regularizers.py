"""Weight penalties: L1, L2 and their sum, with the gradient the model adds.

A regularizer turns a weight array into one number that the model adds to
the loss of every batch, and gives the gradient of that number, which the
model adds to the weight's gradient before the optimizer step::

    L1(l1)(w)  = l1 * sum(|w|)       gradient  l1 * sign(w)
    L2(l2)(w)  = l2 * sum(w ** 2)    gradient  2 * l2 * w      (no 1/2 factor, as Keras)

`l1`, `l2` and `l1_l2` are the classes themselves, so `l2(0.1)` and
`L2(0.1)` are the same thing, as in Keras.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _registry
from ._errors import KerasnpError, check_float, reject_keywords

__all__ = [
    "Regularizer",
    "L1",
    "L2",
    "L1L2",
    "l1",
    "l2",
    "l1_l2",
    "get",
    "serialize",
    "deserialize",
]


def _factor(owner: str, name: str, value: Any, default: float) -> float:
    """A penalty factor: a finite float >= 0; None means the default (as Keras)."""
    if value is None:
        return default
    return check_float(owner, name, value, low=0.0)


class Regularizer:
    """Base class of weight penalties.

    A subclass overrides `__call__(x)` (the penalty, a float) and
    `gradient(x)` (its derivative with respect to `x`, an array of the same
    shape and dtype), and `get_config()` if it takes arguments. The base
    class itself is the zero penalty.

    Example:
    >>> import numpy as np
    >>> class Squares(Regularizer):
    ...     def __call__(self, x):
    ...         return float(np.sum(np.square(x)))
    ...     def gradient(self, x):
    ...         return 2 * np.asarray(x)
    >>> Squares()(np.array([1.0, 2.0]))
    5.0
    """

    def __call__(self, x: Any) -> float:
        """The penalty of the array `x`, a Python float."""
        return 0.0

    def gradient(self, x: Any) -> np.ndarray:
        """The gradient of the penalty with respect to `x` (same shape and dtype).

        Raises:
            KerasnpError: a subclass defines a penalty but no gradient.
        """
        if type(self).__call__ is not Regularizer.__call__:
            raise KerasnpError(
                f"{type(self).__name__} defines a penalty (`__call__`) but no `gradient(x)`; "
                "kerasnp computes gradients by hand, so a custom regularizer must define "
                "`gradient(x)` returning an array shaped like `x`."
            )
        return np.zeros_like(np.asarray(x))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments, as a dict."""
        return {}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Regularizer:
        """Rebuild a regularizer from `get_config()`."""
        return cls(**config)

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _as_float(x: Any) -> np.ndarray:
    """`x` as an array of floats (integer arrays become float64)."""
    x = np.asarray(x)
    return x if x.dtype.kind == "f" else x.astype(np.float64)


class L1(Regularizer):
    """The L1 penalty: `l1 * sum(|x|)`.

    Its gradient is `l1 * sign(x)` (0 where `x` is 0, the subgradient NumPy's
    `sign` gives).

    Args:
        l1: the factor, a float >= 0. Defaults to `0.01` (also when None).

    Example:
    >>> import numpy as np
    >>> L1(0.1)(np.array([1.0, -2.0, 0.5]))
    0.35
    >>> L1(0.1).gradient(np.array([1.0, -2.0, 0.0]))
    array([ 0.1, -0.1,  0. ])
    """

    def __init__(self, l1: float = 0.01, **kwargs: Any):
        reject_keywords("L1", kwargs, L1)
        self.l1 = _factor("L1", "l1", l1, 0.01)

    def __call__(self, x: Any) -> float:
        return self.l1 * float(np.abs(_as_float(x)).sum())

    def gradient(self, x: Any) -> np.ndarray:
        out = np.sign(_as_float(x))
        out *= self.l1
        return out

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """The L2 penalty: `l2 * sum(x ** 2)` (no 1/2 factor, as Keras).

    Its gradient is `2 * l2 * x`. With the same `l2`, this penalty is twice
    the "weight decay" penalty `0.5 * l2 * ||w||^2` of some textbooks.

    Args:
        l2: the factor, a float >= 0. Defaults to `0.01` (also when None).

    Example:
    >>> import numpy as np
    >>> L2(0.1)(np.array([1.0, -2.0]))
    0.5
    >>> L2(0.1).gradient(np.array([1.0, -2.0]))
    array([ 0.2, -0.4])
    """

    def __init__(self, l2: float = 0.01, **kwargs: Any):
        reject_keywords("L2", kwargs, L2)
        self.l2 = _factor("L2", "l2", l2, 0.01)

    def __call__(self, x: Any) -> float:
        flat = _as_float(x).reshape(-1)
        return self.l2 * float(np.dot(flat, flat))

    def gradient(self, x: Any) -> np.ndarray:
        # A Python float scalar does not promote a float32 array (NumPy >= 2).
        return np.multiply(_as_float(x), 2.0 * self.l2)

    def _gradient_into(self, x: np.ndarray, out: np.ndarray) -> np.ndarray | None:
        """`gradient(x)` written into `out` (shaped like `x`) for `fit`, or None
        (a subclass with its own `gradient`, or another dtype)."""
        if type(self).gradient is not L2.gradient or x.dtype != out.dtype:
            return None
        return np.multiply(x, 2.0 * self.l2, out=out)

    def get_config(self) -> dict[str, Any]:
        return {"l2": self.l2}


class L1L2(Regularizer):
    """The sum of the L1 and L2 penalties: `l1 * sum(|x|) + l2 * sum(x ** 2)`.

    Both factors default to 0 (as Keras), so `L1L2()` penalises nothing;
    give at least one. The string `"l1_l2"` gives `L1L2(l1=0.01, l2=0.01)`.

    Args:
        l1: the L1 factor, a float >= 0. Defaults to `0.0`.
        l2: the L2 factor, a float >= 0. Defaults to `0.0`.

    Example:
    >>> import numpy as np
    >>> L1L2(l1=0.1, l2=0.2)(np.array([1.0, -2.0]))
    1.3
    >>> L1L2(l1=0.1, l2=0.2).gradient(np.array([1.0, -2.0]))
    array([ 0.5, -0.9])
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any):
        reject_keywords("L1L2", kwargs, L1L2)
        self.l1 = _factor("L1L2", "l1", l1, 0.0)
        self.l2 = _factor("L1L2", "l2", l2, 0.0)

    def __call__(self, x: Any) -> float:
        x = _as_float(x)
        total = 0.0
        if self.l1:
            total += self.l1 * float(np.abs(x).sum())
        if self.l2:
            flat = x.reshape(-1)
            total += self.l2 * float(np.dot(flat, flat))
        return total

    def gradient(self, x: Any) -> np.ndarray:
        x = _as_float(x)
        out = np.zeros_like(x)
        if self.l1:
            np.sign(x, out=out)
            out *= self.l1
        if self.l2:
            out += np.multiply(x, 2.0 * self.l2)
        return out

    def get_config(self) -> dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


# Keras exposes the classes under lower-case names too: `l2(0.1) is an L2`.
l1 = L1
l2 = L2
l1_l2 = L1L2

_TABLE: dict[str, type] = {
    "Regularizer": Regularizer,
    "regularizer": Regularizer,
    "L1": L1,
    "l1": L1,
    "L2": L2,
    "l2": L2,
    "L1L2": L1L2,
    "l1l2": L1L2,
}


def get(identifier: Any) -> Regularizer | Any | None:
    """Resolve a regularizer identifier, as Keras does (names are case-sensitive).

    Args:
        identifier: None; a name (`"l1"`, `"l2"`, `"l1l2"`, `"L1"`, `"L2"`,
            `"L1L2"`, `"l1_l2"`); a config dict; a class; an instance; or a
            function of the weights (kept as is).

    Returns:
        A `Regularizer` (a name gives the default factors), the function, or None.

    Raises:
        KerasnpError: the identifier names no regularizer.

    Example:
    >>> get("l2")
    L2(l2=0.01)
    >>> get("l1_l2")
    L1L2(l1=0.01, l2=0.01)
    >>> get(None) is None
    True
    """
    if identifier is None:
        return None
    if isinstance(identifier, str) and identifier == "l1_l2":
        # Keras documents this string with 0.01/0.01 but does not register it.
        return L1L2(l1=0.01, l2=0.01)
    return _registry.resolve("regularizer", identifier, _TABLE, Regularizer)


def serialize(regularizer: Regularizer) -> dict[str, Any] | str:
    """The Keras-style config dict of a regularizer.

    Example:
    >>> serialize(L2(0.1))["config"]
    {'l2': 0.1}
    """
    return _registry.serialize(regularizer, "keras.regularizers")


def deserialize(config: dict[str, Any]) -> Regularizer:
    """Build a regularizer from `serialize()`'s dict.

    Example:
    >>> deserialize({"class_name": "L1", "config": {"l1": 0.5}})
    L1(l1=0.5)
    """
    return _registry.resolve("regularizer", config, _TABLE, Regularizer)
