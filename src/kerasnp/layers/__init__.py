"""Layers: the building blocks of a model."""

from typing import Any

from .. import _keras_names
from .._errors import missing_names
from .._registry import resolve
from .._registry import serialize as _serialize
from .activation import Activation
from .dense import Dense
from .dropout import Dropout
from .input_layer import Input, InputLayer
from .layer import Layer
from .reshaping import Flatten, Reshape

__all__ = ["Activation", "Dense", "Dropout", "Flatten", "Input", "InputLayer", "Layer",
           "Reshape", "deserialize", "get", "serialize"]

_TABLE = {cls.__name__: cls for cls in (Activation, Dense, Dropout, Flatten, InputLayer, Reshape)}


def serialize(layer: Layer) -> dict[str, Any]:
    """The Keras-style config dict of a layer."""
    return _serialize(layer, "keras.layers")


def deserialize(config: dict[str, Any]) -> Layer:
    """Recreate a layer from `serialize`'s output (custom layers by registered name)."""
    return resolve("layer", config, _TABLE, Layer)


def get(identifier: Any) -> Layer:
    return resolve("layer", identifier, _TABLE, Layer)


# `layers.Conv2D` and the like: say it is a Keras layer kerasnp lacks
__getattr__ = missing_names(__name__, "layer", __all__,
                            _keras_names.LAYERS)
