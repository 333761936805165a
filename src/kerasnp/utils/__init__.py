"""Utilities: seeds, label encoding, holdout splits, the progress bar."""

from .._registry import custom_object_scope, register_serializable
from .numerical import normalize, to_categorical
from .progbar import Progbar
from .random import set_random_seed
from .split import train_test_split

register_keras_serializable = register_serializable

__all__ = [
    "Progbar",
    "custom_object_scope",
    "normalize",
    "register_keras_serializable",
    "set_random_seed",
    "to_categorical",
    "train_test_split",
]
