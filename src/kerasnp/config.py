"""Global numeric settings: the float type and the fuzz factor, as in Keras.

>>> floatx()
'float32'
>>> epsilon()
1e-07
"""

from __future__ import annotations

from ._errors import check_choice, check_float

_FLOATX = "float32"
_EPSILON = 1e-7


def floatx() -> str:
    """The default float type of weights, activations and losses: `"float32"`."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float type (`"float16"`, `"float32"` or `"float64"`)."""
    global _FLOATX
    _FLOATX = check_choice("set_floatx", "value", value, ["float16", "float32", "float64"])


def epsilon() -> float:
    """The small constant used to clip probabilities and avoid division by 0."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    """Set the fuzz factor returned by `epsilon()`."""
    global _EPSILON
    _EPSILON = check_float("set_epsilon", "value", value, low=0, low_open=True)
