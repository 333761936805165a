"""The one error class of kerasnp, and the argument checks that raise it.

Every message has one shape, so a learner always finds the same three facts:
what was wrong, what was expected, and what was received::

    Invalid value for argument `rate` of Dropout: expected a float in [0, 1].
    Received: rate=1.5
"""

from __future__ import annotations

import difflib
import inspect
import numbers
from collections.abc import Iterable
from typing import Any


class KerasnpError(ValueError, TypeError):
    """Raised for invalid arguments and data.

    It is both a `ValueError` and a `TypeError`, so code written for Keras
    (`except ValueError:`) keeps working, whichever of the two Keras raises.
    """


def invalid(owner: str, name: str, expected: str, value: Any) -> KerasnpError:
    """Build the standard error for one bad argument (the caller raises it)."""
    return KerasnpError(
        f"Invalid value for argument `{name}` of {owner}: expected {expected}. "
        f"Received: {name}={value!r}"
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_real(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_int(owner: str, name: str, value: Any, *, minimum: int | None = None,
              allow_none: bool = False) -> int | None:
    """Return `value` as a Python int, or raise if it is not an int >= minimum.

    NumPy integers are accepted; `bool` is not (``True`` is not a size).
    """
    if value is None and allow_none:
        return None
    if not _is_int(value) or (minimum is not None and value < minimum):
        what = "an integer" if minimum is None else (
            "a positive integer" if minimum == 1 else f"an integer >= {minimum}")
        if allow_none:
            what += " or None"
        raise invalid(owner, name, what, value)
    return int(value)


def check_float(owner: str, name: str, value: Any, *, low: float | None = None,
                high: float | None = None, low_open: bool = False, high_open: bool = False,
                allow_none: bool = False) -> float | None:
    """Return `value` as a Python float, or raise if it is not a finite number in range.

    ``low_open``/``high_open`` exclude the bound itself, e.g. ``[0, 1)`` is
    ``low=0, high=1, high_open=True``.
    """
    if value is None and allow_none:
        return None
    ok = _is_real(value) and value == value and abs(float(value)) != float("inf")
    if ok and low is not None:
        ok = value > low if low_open else value >= low
    if ok and high is not None:
        ok = value < high if high_open else value <= high
    if not ok:
        if low is not None and high is not None:
            what = (f"a float in {'(' if low_open else '['}{low:g}, {high:g}"
                    f"{')' if high_open else ']'}")
        elif low is not None:
            what = f"a float {'>' if low_open else '>='} {low:g}"
        elif high is not None:
            what = f"a float {'<' if high_open else '<='} {high:g}"
        else:
            what = "a finite float"
        if allow_none:
            what += " or None"
        raise invalid(owner, name, what, value)
    return float(value)


def check_bool(owner: str, name: str, value: Any) -> bool:
    """Return `value` if it is a bool (NumPy bools too), else raise."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise invalid(owner, name, "True or False", value)


def check_choice(owner: str, name: str, value: Any, choices: Iterable[Any]) -> Any:
    """Return `value` if it is one of `choices`, else raise listing them."""
    choices = list(choices)
    if value in choices:
        return value
    expected = "one of " + ", ".join(repr(c) for c in choices)
    hint = closest(value, [c for c in choices if isinstance(c, str)])
    err = invalid(owner, name, expected, value)
    if hint:
        err = KerasnpError(f"{err} Did you mean {hint!r}?")
    raise err


def closest(word: Any, candidates: Iterable[str]) -> str | None:
    """The candidate that looks most like `word`, or None."""
    if not isinstance(word, str):
        return None
    candidates = list(candidates)
    for c in candidates:  # a difference in capitals only wins
        if c.lower() == word.lower():
            return c
    match = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    if not match:
        match = difflib.get_close_matches(word.lower(), [c.lower() for c in candidates],
                                          n=1, cutoff=0.6)
        if match:
            return next(c for c in candidates if c.lower() == match[0])
    return match[0] if match else None


def keywords_of(cls: type) -> list[str]:
    """The keyword arguments `cls(...)` takes: its `__init__`'s and its bases'.

    >>> class Base:
    ...     def __init__(self, name=None): ...
    >>> class Child(Base):
    ...     def __init__(self, units, name=None, **kwargs): ...
    >>> keywords_of(Child)
    ['units', 'name']
    """
    names: list[str] = []
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        for p in inspect.signature(init).parameters.values():
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name != "self":
                names.append(p.name)
    return list(dict.fromkeys(names))


def reject_keywords(owner: str, kwargs: dict[str, Any], cls: type) -> None:
    """Raise `unexpected_keywords` for any of `kwargs` (the `**kwargs` of `cls`)."""
    if kwargs:
        raise unexpected_keywords(owner, kwargs, keywords_of(cls))


def unexpected_keywords(owner: str, kwargs: dict[str, Any], allowed: Iterable[str]) -> KerasnpError:
    """The error for keyword arguments `owner` does not take, with a suggestion.

    >>> print(unexpected_keywords("Dense", {"unit": 10}, ["units", "activation"]))
    Dense got an unexpected keyword argument `unit`. Did you mean `units`? Received: unit=10
    """
    allowed = list(allowed)
    name = sorted(kwargs)[0]
    hint = closest(name, allowed)
    msg = f"{owner} got an unexpected keyword argument `{name}`."
    if hint:
        msg += f" Did you mean `{hint}`?"
    else:
        msg += " It accepts: " + ", ".join(f"`{a}`" for a in allowed) + "."
    return KerasnpError(f"{msg} Received: {name}={kwargs[name]!r}")


class NotInKerasnp(ImportError):
    """A name Keras has and kerasnp does not implement (`kerasnp.layers.Conv2D`).

    An `ImportError`, so that `from kerasnp.layers import Conv2D` shows this
    message: Python replaces an `AttributeError` there with its own "cannot
    import name".
    """


def missing_names(module: str, kind: str, available: Iterable[str],
                  keras_only: Iterable[str]) -> Any:
    """A module `__getattr__` for names the module lacks.

    `available`: the module's public names (its classes, capitalised, are
    listed). A name Keras has in the same module (`keras_only`, in any case) raises
    `NotInKerasnp` saying what kerasnp offers instead and where such a model
    can go; any other name raises the usual `AttributeError`, with the
    closest available name when one looks alike.

    >>> getattr_ = missing_names("kerasnp.layers", "layer", ["Dense"], ["Conv2D"])
    >>> getattr_("Dence")
    Traceback (most recent call last):
    ...
    AttributeError: module 'kerasnp.layers' has no attribute 'Dence'. Did you mean `Dense`?
    """
    available = sorted(name for name in available if name[:1].isupper())
    keras_names = {name.lower(): name for name in keras_only}

    def __getattr__(name: str) -> Any:
        keras_name = None if name.startswith("_") else keras_names.get(name.lower())
        if keras_name is not None:
            raise NotInKerasnp(
                f"{module}.{name}: `{keras_name}` is a Keras {kind} that kerasnp does not "
                f"implement. kerasnp's {kind}s are {', '.join(available)} (COMPAT.md lists "
                f"what kerasnp covers). For `{keras_name}`, use Keras itself: a kerasnp "
                "model moves there with `model.to_keras()` or `model.save('model.keras')`.",
                name=module,
            )
        hint = None if name.startswith("_") else closest(name, available)
        raise AttributeError(f"module {module!r} has no attribute {name!r}"
                             + (f". Did you mean `{hint}`?" if hint else ""))

    return __getattr__
