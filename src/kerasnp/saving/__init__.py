"""Saving and loading: whole models (`.keras`) and weights (`.weights.npz` / `.weights.h5`),
and the ways out to Keras 3 and ONNX.

`.keras` files are Keras 3's zip format (docs/file-format.md): Keras opens
kerasnp's files and kerasnp opens Keras's (for the layers it has). Nothing is
pickled, and loading never imports or runs anything named in a file. Writes
are atomic: a crash mid-save leaves the previous file intact. Custom classes
are found by name, through `register_serializable` or the `custom_objects`
argument. `export_keras` checks that stock Keras can rebuild the model,
`to_keras` builds it live, and `export_onnx` writes an ONNX graph.
"""

from __future__ import annotations

from typing import Any

from .._registry import _CUSTOM, custom_object_scope, lookup_custom, register_serializable
from .file_format import export_keras, load_model, load_weights, save_model, save_weights
from .keras_live import to_keras
from .onnx_export import export_onnx

#: Keras's name for `register_serializable`.
register_keras_serializable = register_serializable
#: Keras's class-style name for `custom_object_scope`.
CustomObjectScope = custom_object_scope


def get_custom_objects() -> dict[str, Any]:
    """The registry of custom objects (registered name -> object); changes to it
    are seen by every `get()` and by `load_model`."""
    return _CUSTOM


def get_registered_name(obj: Any) -> str:
    """The name `obj` is saved under: `"package>Name"` if registered, else its name."""
    return getattr(obj, "_registered_name", None) or getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(
    name: str,
    custom_objects: dict[str, Any] | None = None,
    module_objects: dict[str, Any] | None = None,
) -> Any:
    """The object registered (or passed in `custom_objects`) under `name`, or None."""
    with custom_object_scope(custom_objects):
        found = lookup_custom(name)
    if found is None and module_objects:
        found = module_objects.get(name)
    return found


__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "export_keras",
    "export_onnx",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "register_serializable",
    "save_model",
    "save_weights",
    "to_keras",
]
