"""Keras 3's dialect of `config.json`: translate kerasnp's configs to it and back.

kerasnp's objects already describe themselves with Keras's class names and
constructor arguments, so most of a config passes through unchanged. Three
things differ and are translated here:

* a layer's `dtype`: Keras writes a `DTypePolicy` dict
  (`{"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"}}`)
  where kerasnp has the dtype's name (the `InputLayer` keeps a plain string
  in both);
* arguments Keras has and kerasnp does not (weight constraints, sparse
  inputs, quantization, ...): written with the value that means "not used",
  and read back only when they have that value;
* `build_config`: Keras records the input shape of the layers it builds
  (`Dense`, `Flatten`) and of the model.

`portability_problems` lists what a stock Keras could not rebuild from a
config (custom classes and functions, kerasnp-only wrappers), for
`export_keras`, which must refuse before it writes anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .._errors import KerasnpError

#: Keras-only arguments of the layers both libraries have, with the value that
#: means "as kerasnp behaves". A Keras file with any other value cannot load.
KERAS_ONLY: dict[str, dict[str, Any]] = {
    "InputLayer": {"sparse": False, "ragged": False, "optional": False},
    "Dense": {
        "kernel_constraint": None,
        "bias_constraint": None,
        "quantization_config": None,
        "lora_rank": None,
        "lora_alpha": None,
    },
    "Dropout": {},
    "Activation": {},
    "Flatten": {},
    "Reshape": {},
}
#: Read when Keras writes them, never written (Keras omits them when unused).
_NOT_WRITTEN = {"lora_rank", "lora_alpha"}
#: The layers whose `build` Keras records in a `build_config`.
_BUILT_BY_KERAS = {"Dense", "Flatten"}
#: Keras's key order for the configs it writes (a cosmetic match with Keras's files).
_ORDER = {
    "InputLayer": ["batch_shape", "dtype", "sparse", "ragged", "name", "optional"],
    "Dense": [
        "name", "trainable", "dtype", "activity_regularizer", "units", "activation",
        "use_bias", "kernel_initializer", "bias_initializer", "kernel_regularizer",
        "bias_regularizer", "kernel_constraint", "bias_constraint", "quantization_config",
    ],
    "Dropout": ["name", "trainable", "dtype", "activity_regularizer", "rate", "seed",
                "noise_shape"],
}  # fmt: skip


# ---------------------------------------------------------------------- dtypes
def dtype_policy(name: Any) -> Any:
    """Keras's `DTypePolicy` dict for a dtype name (None stays None)."""
    if not isinstance(name, str):
        return name
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": {"name": name},
        "registered_name": None,
    }


def dtype_name(value: Any) -> Any:
    """The dtype name in a `DTypePolicy` dict (strings and None pass through).

    Raises:
        KerasnpError: a mixed-precision or quantized policy, which kerasnp lacks.
    """
    if not isinstance(value, Mapping):
        return value
    config = value.get("config")
    name = config.get("name") if isinstance(config, Mapping) else None
    if value.get("class_name") != "DTypePolicy" or not isinstance(name, str):
        raise KerasnpError(
            f"kerasnp supports plain float dtype policies only (float32, float64). "
            f"Received: dtype={dict(value)!r}"
        )
    if name.startswith("mixed_"):
        raise KerasnpError(
            f"kerasnp has no mixed precision: the file uses the dtype policy {name!r}. "
            "Load it in Keras, set the policy to 'float32' and save it again."
        )
    return name


# -------------------------------------------------------------- kerasnp -> Keras
def layer_input_shapes(model: Any) -> list[tuple[Any, ...] | None]:
    """The input shape of each of `model.layers` (None where it is unknown)."""
    shape = getattr(model, "input_shape", None) if getattr(model, "built", False) else None
    shapes: list[tuple[Any, ...] | None] = []
    for layer in getattr(model, "layers", []):
        shapes.append(shape)
        if shape is not None:
            shape = tuple(layer.compute_output_shape(shape))
    return shapes


def _ordered(config: dict[str, Any], class_name: str) -> dict[str, Any]:
    order = _ORDER.get(class_name)
    if not order:
        return config
    head = {k: config[k] for k in order if k in config}
    return {**head, **{k: v for k, v in config.items() if k not in head}}


def layer_to_keras(entry: Any, input_shape: tuple[Any, ...] | None) -> Any:
    """One serialized layer (`{"module", "class_name", "config", ...}`) in Keras's dialect."""
    if not isinstance(entry, Mapping) or not isinstance(entry.get("config"), Mapping):
        return entry
    name = entry.get("class_name")
    config = dict(entry["config"])
    builtin = name in KERAS_ONLY and not entry.get("registered_name")
    if name == "InputLayer" and builtin:
        config = {**config, **KERAS_ONLY["InputLayer"]}
    else:
        config["dtype"] = dtype_policy(config.get("dtype"))
        if builtin:
            config.update({k: v for k, v in KERAS_ONLY[name].items() if k not in _NOT_WRITTEN})
    out = {**entry, "config": _ordered(config, name) if builtin else config}
    if builtin and name in _BUILT_BY_KERAS and input_shape is not None:
        out["build_config"] = {"input_shape": list(input_shape)}
    return out


def model_to_keras(config: dict[str, Any], model: Any) -> dict[str, Any]:
    """`config.json` (kerasnp's `model_config`) in Keras's dialect."""
    inner = dict(config["config"])
    inner["dtype"] = dtype_policy(inner.get("dtype"))
    layers = inner.get("layers")
    if isinstance(layers, list):
        shapes = iter(layer_input_shapes(model))
        inner["layers"] = [
            layer_to_keras(entry, None if _is_input(entry) else next(shapes, None))
            for entry in layers
        ]
        if "build_config" in config:
            inner["build_input_shape"] = config["build_config"]["input_shape"]
    return {**config, "config": inner}


def _is_input(entry: Any) -> bool:
    return isinstance(entry, Mapping) and entry.get("class_name") == "InputLayer"


# -------------------------------------------------------------- Keras -> kerasnp
def layer_from_keras(entry: Any) -> Any:
    """One layer of a Keras (or kerasnp) config as kerasnp's constructors take it.

    Raises:
        KerasnpError: a Keras-only argument has a value kerasnp cannot honour.
    """
    if not isinstance(entry, Mapping) or not isinstance(entry.get("config"), Mapping):
        return entry
    name = entry.get("class_name")
    config = dict(entry["config"])
    if "dtype" in config:
        config["dtype"] = dtype_name(config["dtype"])
    if name in KERAS_ONLY and not entry.get("registered_name"):
        for key, neutral in KERAS_ONLY[name].items():
            if key in config and config.pop(key) != neutral:
                raise KerasnpError(
                    f"layer '{config.get('name')}' ({name}) uses {key}="
                    f"{entry['config'][key]!r}, which kerasnp does not support "
                    f"(only {key}={neutral!r})"
                )
    return {**entry, "config": config}


def model_from_keras(config: Mapping[str, Any]) -> dict[str, Any]:
    """The model's `config` (the inner dict) as kerasnp's `from_config` takes it."""
    inner = dict(config)
    if "dtype" in inner:
        inner["dtype"] = dtype_name(inner["dtype"])
    if isinstance(inner.get("layers"), list):
        inner["layers"] = [layer_from_keras(entry) for entry in inner["layers"]]
    return inner


# -------------------------------------------------------------- portability
def _keras_names() -> dict[str, set[str]]:
    """The class names, per family, that stock Keras 3 rebuilds without custom objects."""
    from .. import activations, initializers, layers, losses, metrics, optimizers
    from ..optimizers import schedules

    def classes(table: Mapping[str, Any]) -> set[str]:
        return {k for k, v in table.items() if isinstance(v, type) and v.__name__ == k}

    return {
        "keras.layers": set(KERAS_ONLY) & set(layers._TABLE),
        "keras.initializers": classes(initializers._INITIALIZERS),
        "keras.regularizers": {"L1", "L2", "L1L2"},
        "keras.optimizers": set(optimizers._TABLE),
        "keras.optimizers.schedules": {
            n for n in schedules.__all__ if isinstance(getattr(schedules, n), type)
        }
        - {"LearningRateSchedule"},
        "keras.losses": classes(losses.ALL_OBJECTS) - {"Loss", "LossFunctionWrapper"},
        "keras.metrics": classes(metrics.ALL_OBJECTS) - {"Metric", "MeanMetricWrapper"},
        "activations": set(activations._ACTIVATIONS),
        # "crossentropy"/"ce" are resolved from the data's shapes, by both libraries
        "loss names": {k for k, v in losses.ALL_OBJECTS.items() if not isinstance(v, type)}
        | classes(losses.ALL_OBJECTS) - {"Loss", "LossFunctionWrapper"}
        | {"crossentropy", "ce"},
        "metric names": {
            k for k, v in metrics.ALL_OBJECTS.items() if v is not metrics.MeanMetricWrapper
        }
        | {"accuracy", "acc"},
    }


def portability_problems(config: Mapping[str, Any]) -> list[str]:
    """What in a Keras-dialect `config.json` stock Keras could not rebuild.

    Returns:
        One sentence per problem (empty when Keras loads the file as it is).
    """
    names = _keras_names()
    problems: list[str] = []

    def check_object(obj: Any, family: str, where: str) -> None:
        if obj is None:
            return
        if isinstance(obj, str):  # a function, saved by its name
            if family != "activations" or obj not in names["activations"]:
                problems.append(f"{where} is the custom function {obj!r}")
            return
        if not isinstance(obj, Mapping):
            problems.append(f"{where} is {obj!r}, which cannot be written as a Keras config")
            return
        name = obj.get("class_name")
        if obj.get("registered_name") or name not in names.get(family, set()):
            problems.append(
                f"{where} is {obj.get('registered_name') or name!r}, a custom or kerasnp-only "
                "class that Keras cannot rebuild"
            )

    if config.get("class_name") != "Sequential" or config.get("registered_name"):
        problems.append(f"the model class {config.get('class_name')!r} is not keras.Sequential")
    for entry in config.get("config", {}).get("layers", []):
        cfg = entry.get("config", {})
        where = f"layer '{cfg.get('name')}'"
        check_object(entry, "keras.layers", where)
        for key in ("kernel_initializer", "bias_initializer"):
            check_object(cfg.get(key), "keras.initializers", f"the {key} of {where}")
        for key in ("kernel_regularizer", "bias_regularizer", "activity_regularizer"):
            check_object(cfg.get(key), "keras.regularizers", f"the {key} of {where}")
        if "activation" in cfg:
            check_object(cfg["activation"], "activations", f"the activation of {where}")
    compiled = config.get("compile_config")
    if compiled:
        optimizer = compiled.get("optimizer")
        check_object(optimizer, "keras.optimizers", "the optimizer")
        lr = (optimizer or {}).get("config", {}).get("learning_rate")
        if isinstance(lr, Mapping):
            check_object(lr, "keras.optimizers.schedules", "the learning-rate schedule")
        loss = compiled.get("loss")
        if isinstance(loss, str):
            if loss not in names["loss names"]:
                problems.append(f"the loss {loss!r} is a custom function")
        else:
            check_object(loss, "keras.losses", "the loss")
        for key in ("metrics", "weighted_metrics"):
            for metric in compiled.get(key) or []:
                if isinstance(metric, str):
                    if metric not in names["metric names"]:
                        problems.append(f"the metric {metric!r} is a custom function")
                else:
                    check_object(metric, "keras.metrics", "a metric")
    return problems
