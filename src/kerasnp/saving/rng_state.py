"""The random generators' states, saved so that `fit` resumes bit for bit.

`model._rng` shuffles the data each epoch and each Dropout layer has its
own `_rng`; their `bit_generator.state` dicts (plain ints and strings) go to
`kerasnp.json` under `"model"` and the layer's weight-group path
(`"layers/dropout"`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._errors import KerasnpError
from .archive import STATE
from .weights import layer_groups


def rng_states(model: Any) -> dict[str, Any]:
    """The states of the model's shuffling generator and of every layer's generator."""
    states: dict[str, Any] = {}
    rng = getattr(model, "_rng", None)
    if isinstance(rng, np.random.Generator):
        states["model"] = rng.bit_generator.state
    for group, layer in layer_groups(model):
        rng = getattr(layer, "_rng", None)
        if isinstance(rng, np.random.Generator):
            _without_ahead(layer)
            states[group.removesuffix("/vars")] = rng.bit_generator.state
    return states


def _without_ahead(layer: Any) -> None:
    """A Dropout layer's generator as if no mask had been drawn ahead of time."""
    discard = getattr(layer, "_discard_ahead", None)
    if discard is not None:
        discard()


def restore_rng_states(model: Any, state: Any, source: str) -> None:
    if not isinstance(state, Mapping):
        raise KerasnpError(f"{source} is corrupted: {STATE} is not a JSON object.")
    states = state.get("rng") or {}
    if not isinstance(states, Mapping):
        raise KerasnpError(f"{source} is corrupted: {STATE} has no valid 'rng' states.")
    owners: dict[str, Any] = {"model": model}
    owners.update({g.removesuffix("/vars"): layer for g, layer in layer_groups(model)})
    plan = []
    for key, value in states.items():
        rng = getattr(owners.get(key), "_rng", None)
        if not isinstance(rng, np.random.Generator):
            raise KerasnpError(
                f"{source} holds a random-generator state for {key!r}, which "
                "this model does not have."
            )
        expected = type(rng.bit_generator).__name__
        if not isinstance(value, Mapping) or value.get("bit_generator") != expected:
            raise KerasnpError(
                f"{source} is corrupted: the random-generator state for {key!r} "
                f"is not a {expected} state."
            )
        try:  # validate on a scratch generator, so a bad state changes nothing
            type(rng.bit_generator)().state = dict(value)
        except (TypeError, ValueError, KeyError, OverflowError) as exc:
            raise KerasnpError(
                f"{source} is corrupted: the random-generator state for {key!r} is invalid ({exc})."
            ) from exc
        plan.append((rng, dict(value)))
    for layer in owners.values():
        _without_ahead(layer)
    for rng, value in plan:
        rng.bit_generator.state = value
