"""The model's `config.json`: architecture, build and compile settings, in Keras's dialect.

What is written is what Keras 3 writes for the same model (`keras_format.py`
translates the few differences), so `keras.saving.load_model` reads it; what
is read may come from Keras or from any kerasnp version.

Only names are read back, never code: a class is found in kerasnp's own
tables or among the classes registered with `register_serializable` (or
passed as `custom_objects`); the `"module"` field is written for Keras and
ignored when loading, so a file cannot make kerasnp import anything.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Mapping
from typing import Any

import numpy as np

from .. import _registry
from .._errors import KerasnpError
from . import keras_format


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (tuple, set, frozenset)):
        return list(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable: {value!r}")


def to_json(obj: Any, what: str) -> bytes:
    try:
        return json.dumps(obj, default=_json_default, indent=None).encode("utf-8")
    except (TypeError, ValueError) as exc:
        raise KerasnpError(
            f"Cannot save the {what}: a value in it cannot be written as JSON "
            f"({exc}). Custom objects need a `get_config()` returning plain "
            "numbers, strings, lists and dicts."
        ) from exc


def _serialize_entry(entry: Any, family: Any) -> Any:
    """A compile argument as Keras writes it: names stay names, objects become configs."""
    if entry is None or isinstance(entry, str):
        return entry
    if inspect.isfunction(entry) or inspect.isbuiltin(entry):
        return entry.__name__
    return family.serialize(entry)


def compile_config(model: Any) -> dict[str, Any] | None:
    """The `compile()` arguments of a compiled model, as JSON-able data."""
    if not getattr(model, "compiled", False):
        return None
    from .. import losses, metrics, optimizers

    given = model.get_compile_config() or {}
    loss = given.get("loss")
    if loss is None and model.loss is not None:
        wrapped = getattr(model.loss, "fn", None)
        if (
            type(model.loss).__name__ == "LossFunctionWrapper"
            and wrapped is not None
            and not getattr(model.loss, "_fn_kwargs", None)
        ):
            loss = _serialize_entry(wrapped, losses)
        else:
            loss = losses.serialize(model.loss)
    specs = getattr(model, "_metrics_spec", [])
    weighted = getattr(model, "_weighted_spec", [])
    return {
        "optimizer": optimizers.serialize(model.optimizer),
        "loss": loss,
        "loss_weights": None,
        "metrics": [_serialize_entry(m, metrics) for m in specs] or None,
        "weighted_metrics": [_serialize_entry(m, metrics) for m in weighted] or None,
        "run_eagerly": False,
        "steps_per_execution": 1,
        # kerasnp never compiles; "auto" lets Keras choose, as its own compile() does
        "jit_compile": "auto",
    }


def model_config(model: Any) -> dict[str, Any]:
    """The whole `config.json`, in Keras's dialect: the model's config plus build
    and compile configs."""
    config: dict[str, Any] = {
        "module": "keras",
        "class_name": type(model).__name__,
        "config": model.get_config(),
        "registered_name": getattr(type(model), "_registered_name", None),
    }
    shape = getattr(model, "input_shape", None) if getattr(model, "built", False) else None
    if shape is not None:
        config["build_config"] = {"input_shape": list(shape)}
    compiled = compile_config(model)
    if compiled is not None:
        config["compile_config"] = compiled
    return keras_format.model_to_keras(config, model)


def _model_classes() -> dict[str, Any]:
    from ..models import Sequential

    return {"Sequential": Sequential}


def model_from_config(
    config: Any,
    source: str,
    custom_objects: Mapping[str, Any] | None,
    compile: bool,
    from_keras: bool = False,
) -> Any:
    """Rebuild (and compile) the model that `config` describes.

    `from_keras` says the file was written by Keras.

    Raises:
        KerasnpError: for anything wrong in the config, whatever the
            constructors raised (a hostile file gets one kind of error).
    """
    if (
        not isinstance(config, Mapping)
        or not isinstance(config.get("class_name"), str)
        or not isinstance(config.get("config"), Mapping)
    ):
        raise KerasnpError(
            f"{source} is not a Keras/kerasnp model file: its config.json does "
            "not describe a model (no 'class_name' and 'config')."
        )
    with _registry.custom_object_scope(custom_objects):
        try:
            model = _build_model(config, custom_objects, from_keras)
        except KerasnpError as exc:
            raise _unknown(source, exc) from exc
        except Exception as exc:
            raise KerasnpError(
                f"Cannot rebuild the model saved in {source}: {type(exc).__name__}: {exc}"
            ) from exc
        # Keras writes an empty compile_config for a model it never compiled
        if (
            compile
            and isinstance(config.get("compile_config"), Mapping)
            and config["compile_config"]
        ):
            try:
                _compile_from_config(model, config["compile_config"])
            except KerasnpError as exc:
                raise _unknown(source, exc, "compile settings") from exc
            except Exception as exc:
                raise KerasnpError(
                    f"Cannot restore the compile settings saved in {source}: "
                    f"{type(exc).__name__}: {exc}"
                ) from exc
    return model


def _build_model(
    config: Mapping[str, Any], custom_objects: Mapping[str, Any] | None, from_keras: bool
) -> Any:
    from ..models import Model

    cls = _registry.resolve(
        "model", config["class_name"], _model_classes(), None, instantiate=False
    )
    if not (inspect.isclass(cls) and issubclass(cls, Model)):
        raise KerasnpError(
            f"config.json names {config['class_name']!r}, which is not a model class."
        )
    inner = keras_format.model_from_keras(config["config"])
    model = cls.from_config(inner, custom_objects=custom_objects)
    build = config.get("build_config")
    if not model.built and isinstance(build, Mapping) and build.get("input_shape"):
        model.build(tuple(build["input_shape"]))
    return model


def _compile_from_config(model: Any, cfg: Mapping[str, Any]) -> None:
    from .. import losses, metrics, optimizers

    def objects(entries: Any, family: Any) -> list[Any] | None:
        if entries is None:
            return None
        return [e if isinstance(e, str) else family.deserialize(e) for e in entries]

    loss = cfg.get("loss")
    model.compile(
        optimizer=optimizers.deserialize(cfg["optimizer"])
        if isinstance(cfg.get("optimizer"), Mapping)
        else cfg.get("optimizer", "rmsprop"),
        loss=loss if loss is None or isinstance(loss, str) else losses.deserialize(loss),
        metrics=objects(cfg.get("metrics"), metrics),
        weighted_metrics=objects(cfg.get("weighted_metrics"), metrics),
    )


def _unknown(source: str, exc: Exception, what: str = "model") -> KerasnpError:
    msg = f"Cannot rebuild the {what} saved in {source}: {exc}"
    if "Could not interpret" in str(exc):
        msg += (
            " If the file uses a custom class or function, register it with "
            "@kerasnp.saving.register_serializable() or pass it in "
            "custom_objects={'Name': Name}."
        )
    return KerasnpError(msg)
