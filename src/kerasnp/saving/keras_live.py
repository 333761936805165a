"""`to_keras(model)`: the same model as a live `keras.Sequential`, weights and all.

Keras is optional (`pip install kerasnp[keras]`). Keras picks its backend
once, when it is first imported, from the `KERAS_BACKEND` environment
variable or `~/.keras/keras.json`; kerasnp respects that choice. Only when
nothing usable is configured (the default, TensorFlow, is not installed)
does it choose JAX or PyTorch, whichever is installed.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import sys
import warnings
from typing import Any

from .._errors import KerasnpError
from .keras_format import portability_problems
from .model_config import model_config
from .weights import model_store

# Keras backend name -> the module it needs.
_BACKENDS = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch", "numpy": "numpy"}


def _configured_backend() -> str:
    """The backend Keras will use: KERAS_BACKEND, else keras.json, else TensorFlow."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"]
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    try:
        with open(os.path.join(home, "keras.json"), encoding="utf-8") as f:
            backend = json.load(f).get("backend")
    except (OSError, ValueError, AttributeError):
        backend = None
    return backend if isinstance(backend, str) else "tensorflow"


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _import_keras_module() -> Any:
    return importlib.import_module("keras")


def import_keras(what: str = "model.to_keras()") -> Any:
    """The `keras` module, importing it (on a backend that is installed) if needed.

    Raises:
        KerasnpError: Keras is not installed, or its backend cannot start.
    """
    if "keras" in sys.modules and sys.modules["keras"] is not None:
        return sys.modules["keras"]
    if not _installed("keras"):
        raise KerasnpError(
            f"{what} needs Keras 3, which is not installed: `pip install kerasnp[keras]` "
            "(Keras with the JAX backend), or `pip install keras` plus a backend."
        )
    if not os.environ.get("KERAS_BACKEND"):
        configured = _configured_backend()
        if not _installed(_BACKENDS.get(configured, configured)):
            for backend in ("jax", "torch", "tensorflow"):
                if _installed(backend):
                    os.environ["KERAS_BACKEND"] = backend
                    break
    try:
        return _import_keras_module()
    except ImportError as exc:
        raise KerasnpError(
            f"{what} could not import Keras on the backend {_configured_backend()!r} "
            f"({exc}). Install that backend, or choose an installed one by setting the "
            "environment variable KERAS_BACKEND (e.g. to 'jax') before Keras is imported."
        ) from exc


def to_keras(model: Any) -> Any:
    """The equivalent `keras.Sequential`: same layers, weights, compile settings
    and optimizer state.

    Args:
        model: a kerasnp model.

    Returns:
        A Keras 3 model, compiled if `model` is.

    Raises:
        KerasnpError: Keras is not installed, or the model uses something
            stock Keras lacks (a custom layer, activation, loss, ...).

    Example:
    >>> import kerasnp as keras
    >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    >>> model.to_keras().count_params()  # doctest: +SKIP
    8
    """
    keras = import_keras()
    config = model_config(model)
    problems = portability_problems(config)
    if problems:
        raise KerasnpError("Cannot convert the model to Keras: " + "; ".join(problems) + ".")
    try:
        converted = keras.saving.deserialize_keras_object(config)
    except Exception as exc:
        raise KerasnpError(
            f"Keras could not rebuild the model ({type(exc).__name__}: {exc})."
        ) from exc
    if model.built:
        converted.set_weights(model.get_weights())
    store, _ = model_store(model, built_optimizer=True)
    state = store.get("optimizer/vars")
    optimizer = getattr(converted, "optimizer", None)
    if state and optimizer is not None and model.built:
        if not optimizer.built:
            optimizer.build(converted.trainable_variables)
        if len(state) == len(optimizer.variables):
            for i, variable in enumerate(optimizer.variables):
                variable.assign(state[str(i)])
        else:  # pragma: no cover - kerasnp's optimizers have Keras's variables
            warnings.warn(
                f"The state of optimizer '{optimizer.name}' was not copied: Keras has "
                f"{len(optimizer.variables)} variables, kerasnp {len(state)}.",
                stacklevel=2,
            )
    return converted
