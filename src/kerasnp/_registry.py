"""Turn the identifiers users write into objects, one rule for every family.

Each family (activations, initializers, regularizers, losses, metrics,
optimizers, layers) has a table of names; `resolve` accepts what Keras
accepts: a name, a config dict ``{"class_name": ..., "config": ...}``, a
class, an instance or a function. Unknown names list the choices.
Custom classes register by name with `register_serializable` and are found
by every family, and by `load_model(custom_objects=...)`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any

from ._errors import KerasnpError, closest

_CUSTOM: dict[str, Any] = {}
_SCOPE: list[Mapping[str, Any]] = []


def register_serializable(package: str = "Custom", name: str | None = None) -> Callable:
    """Class decorator: make a custom object loadable by name.

    Args:
        package: a namespace for the name. Defaults to `"Custom"`.
        name: the registered name. Defaults to the class name.

    Example:
    >>> @register_serializable(package="demo")
    ... class Twice:
    ...     def get_config(self):
    ...         return {}
    >>> lookup_custom("demo>Twice") is Twice
    True
    """

    def decorate(obj: Any) -> Any:
        key = f"{package}>{name or obj.__name__}"
        _CUSTOM[key] = obj
        _CUSTOM.setdefault(name or obj.__name__, obj)
        obj._registered_name = key
        return obj

    return decorate


def lookup_custom(name: str) -> Any | None:
    """A custom object by registered name or class name, or None."""
    for scope in reversed(_SCOPE):
        if name in scope:
            return scope[name]
        short = name.split(">")[-1]
        if short in scope:
            return scope[short]
    return _CUSTOM.get(name) or _CUSTOM.get(name.split(">")[-1])


class custom_object_scope:  # noqa: N801 - the Keras name
    """Context manager that makes `custom_objects` visible to every `get()`."""

    def __init__(self, custom_objects: Mapping[str, Any] | None):
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self) -> custom_object_scope:
        _SCOPE.append(self.custom_objects)
        return self

    def __exit__(self, *exc: object) -> None:
        _SCOPE.pop()


def serialize(obj: Any, module: str) -> dict[str, Any] | str:
    """The Keras-style config dict of an object (a function becomes its name)."""
    if obj is None:
        return None
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return obj.__name__
    return {
        "module": module,
        "class_name": type(obj).__name__,
        "config": obj.get_config(),
        "registered_name": getattr(type(obj), "_registered_name", None),
    }


def resolve(family: str, identifier: Any, table: Mapping[str, Any], base: type | None,
            *, case_sensitive: bool = True, instantiate: bool = True) -> Any:
    """Resolve `identifier` within one family's `table` of names.

    Args:
        family: the family's name, used in messages (`"optimizer"`).
        identifier: a string, config dict, class, instance or callable.
        table: name -> class or function.
        base: the family's base class (instances of it are returned as is).
        case_sensitive: whether names must match in case (losses: yes,
            optimizers: no), as in Keras.
        instantiate: whether a class found by name is called with no arguments.

    Raises:
        KerasnpError: the identifier names nothing in the family.
    """
    if base is not None and isinstance(identifier, base):
        return identifier
    if isinstance(identifier, Mapping):
        if "class_name" not in identifier:
            raise KerasnpError(
                f"Could not interpret {family} identifier: a config dict needs a "
                f"'class_name' key. Received: {dict(identifier)!r}")
        name = identifier["class_name"]
        target = _lookup(family, identifier.get("registered_name") or name, table,
                         case_sensitive)
        config = dict(identifier.get("config") or {})
        if inspect.isclass(target):
            return target.from_config(config) if hasattr(target, "from_config") else target(
                **config)
        return target
    if isinstance(identifier, str):
        target = _lookup(family, identifier, table, case_sensitive)
        return target() if instantiate and inspect.isclass(target) else target
    if inspect.isclass(identifier):
        return identifier() if instantiate else identifier
    if callable(identifier):
        return identifier
    raise KerasnpError(
        f"Could not interpret {family} identifier: expected a name, a config dict, a class, "
        f"an instance or a function. Received: {identifier!r}")


def _lookup(family: str, name: str, table: Mapping[str, Any], case_sensitive: bool) -> Any:
    if name in table:
        return table[name]
    if not case_sensitive:
        lowered = {k.lower(): v for k, v in table.items()}
        if name.lower() in lowered:
            return lowered[name.lower()]
    custom = lookup_custom(name)
    if custom is not None:
        return custom
    hint = closest(name, table)
    msg = f"Could not interpret {family} identifier: {name!r}."
    if hint:
        msg += f" Did you mean {hint!r}?"
    msg += " Known names: " + ", ".join(sorted(table)) + "."
    raise KerasnpError(msg)
