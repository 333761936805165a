"""Keras's default object names: the snake case of the class name, made unique."""

from __future__ import annotations

import re


def to_snake_case(name: str) -> str:
    """`"CategoricalAccuracy"` -> `"categorical_accuracy"`, as Keras names objects.

    >>> to_snake_case("BatchNormalization"), to_snake_case("RMSprop"), to_snake_case("Conv2D")
    ('batch_normalization', 'rm_sprop', 'conv2d')
    """
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def unique_name(base: str, counts: dict[str, int]) -> str:
    """`base`, then `base_1`, `base_2`, ...: `counts` is one family's process-wide
    tally (layers, losses and metrics, optimizers each number their own)."""
    count = counts.get(base, 0)
    counts[base] = count + 1
    return base if count == 0 else f"{base}_{count}"
