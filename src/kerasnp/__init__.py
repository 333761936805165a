"""kerasnp: the Keras API on NumPy, with a fitting lab.

Use it as you would use Keras::

    import kerasnp as keras
    from kerasnp import layers, regularizers

    model = keras.Sequential([keras.Input(shape=(784,)),
                              layers.Dense(128, activation="relu"),
                              layers.Dropout(0.2),
                              layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, epochs=5, validation_split=0.2)
"""

from . import (
    activations,
    callbacks,
    config,
    datasets,
    initializers,
    layers,
    losses,
    metrics,
    models,
    optimizers,
    regularizers,
    saving,
    utils,
)
from ._errors import KerasnpError
from .layers import Input
from .models import Model, Sequential

__version__ = "0.1.0"

__all__ = [
    "Input",
    "KerasnpError",
    "Model",
    "Sequential",
    "activations",
    "callbacks",
    "config",
    "datasets",
    "initializers",
    "layers",
    "losses",
    "metrics",
    "models",
    "optimizers",
    "regularizers",
    "saving",
    "utils",
]
