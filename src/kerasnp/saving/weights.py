"""Which array goes where: the model's weights and the optimizer's state as a store.

The group names follow Keras's weights files, so a kerasnp store and a
Keras `model.weights.h5` have the same tree:

    layers/<snake_case class>[_k]/vars/<i>   the i-th weight of each layer, in
                                             layer order (`dense`, `dense_1`, ...,
                                             numbered per class, not by layer.name)
    optimizer/vars/<i>                       `iteration`, `learning_rate`, slots

Loading checks every count and shape before it changes anything, so a
failed load leaves the model exactly as it was.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import numpy as np

from .._errors import KerasnpError
from .arrays import Store


def keras_snake_case(name: str) -> str:
    """A class name as Keras names its weight group: `"Dense"` -> `"dense"`."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def layer_groups(model: Any) -> list[tuple[str, Any]]:
    """`[("layers/dense/vars", layer), ...]` for the model's layers (no InputLayer)."""
    used: dict[str, int] = {}
    out = []
    for layer in model.layers:
        base = keras_snake_case(type(layer).__name__)
        if base in used:
            used[base] += 1
            name = f"{base}_{used[base]}"
        else:
            used[base] = 0
            name = base
        out.append((f"layers/{name}/vars", layer))
    return out


def model_store(
    model: Any, include_optimizer: bool = True, built_optimizer: bool = False
) -> tuple[Store, dict[str, str]]:
    """The model's weights (and optimizer state) as a store, with each group's owner name.

    With `built_optimizer`, an optimizer not built yet is saved with the state
    it will have once built (iteration 0, fresh slots), as Keras's
    `load_model` builds it: Keras then loads the file without warning that
    the counts differ, and kerasnp reads it back as an unbuilt optimizer.
    """
    store: Store = {}
    names: dict[str, str] = {}
    for group, layer in layer_groups(model):
        store[group] = {str(i): np.array(v.value) for i, v in enumerate(layer.weights)}
        names[group] = layer.name
    optimizer = getattr(model, "optimizer", None)
    if include_optimizer and optimizer is not None:
        variables = optimizer.variables
        if built_optimizer and not optimizer.built and model.built:
            variables = _freshly_built(optimizer, model)
        store["optimizer/vars"] = {str(i): np.array(v.value) for i, v in enumerate(variables)}
        names["optimizer/vars"] = optimizer.name
    store["vars"] = {}
    names["vars"] = model.name
    return store, names


def _freshly_built(optimizer: Any, model: Any) -> list[Any]:
    """The variables `optimizer` will have once built, from a scratch copy of it
    (its current, unbuilt ones if it cannot be copied, e.g. a custom class)."""
    try:
        copy = type(optimizer).from_config(optimizer.get_config())
        copy.build(model._train_variables())
    except Exception:
        return list(optimizer.variables)
    for mine, theirs in zip(optimizer.variables, copy.variables, strict=False):
        theirs.assign(mine.value)  # iteration and learning rate, as they are now
    return list(copy.variables)


def _is_fresh(stored: dict[str, np.ndarray]) -> bool:
    """Whether a saved optimizer state is that of an optimizer that never stepped."""
    iteration = stored.get("0")
    return iteration is not None and iteration.shape == () and iteration == 0


def assign_store(
    model: Any,
    store: Store,
    source: str,
    *,
    skip_mismatch: bool = False,
    load_optimizer: bool = True,
) -> None:
    """Put a store's arrays into the model (and its optimizer), all or nothing.

    Raises:
        KerasnpError: a layer's weights are missing, extra, or of another
            shape (unless `skip_mismatch`, which warns and skips that layer);
            or the file holds layers this model does not have.
    """
    plan: list[tuple[Any, np.ndarray]] = []
    problems: list[str] = []
    expected = layer_groups(model)
    for group, layer in expected:
        stored = store.get(group, {})
        variables = layer.weights
        issue = _match(layer, variables, stored)
        if issue is None:
            plan += [(v, stored[str(i)]) for i, v in enumerate(variables)]
        elif skip_mismatch:
            warnings.warn(
                f"Skipping loading weights for layer '{layer.name}': {issue}", stacklevel=3
            )
        else:
            problems.append(f"Layer '{layer.name}' ({group}): {issue}")
    known = {group for group, _ in expected} | {"optimizer/vars", "vars"}
    extra = sorted(g for g in store if g not in known and store[g])
    if extra and not skip_mismatch:
        problems.append(f"the file holds weights for layers this model does not have: {extra}")
    if store.get("vars"):
        problems.append("the file holds model-level variables, which kerasnp models do not have")
    if problems:
        raise KerasnpError(
            f"Cannot load the weights in {source} into model '{model.name}': "
            + "; ".join(problems)
            + ". Does the model have the same layers as the saved one?"
        )
    optimizer_plan = None
    if load_optimizer:
        optimizer_plan = _optimizer_plan(model, store.get("optimizer/vars"), source)
    for variable, value in plan:
        variable.assign(value)
    if optimizer_plan is not None:
        for variable, value in optimizer_plan:
            variable.assign(value)


def _match(layer: Any, variables: list[Any], stored: dict[str, np.ndarray]) -> str | None:
    if len(stored) != len(variables) or set(stored) != {str(i) for i in range(len(stored))}:
        return (
            f"expected {len(variables)} variables, but received {len(stored)} variables "
            f"during loading. Expected: {[v.name for v in variables]}"
        )
    for i, variable in enumerate(variables):
        value = stored[str(i)]
        if value.shape != variable.value.shape:
            return (
                f"the shape of `{variable.name}` is {variable.value.shape}, but the file "
                f"holds an array of shape {value.shape}"
            )
    return None


def _optimizer_plan(
    model: Any, stored: dict[str, np.ndarray] | None, source: str
) -> list[tuple[Any, np.ndarray]] | None:
    """What to assign to the optimizer's state, building it first when the file
    holds the slots of a built optimizer (so training resumes exactly)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not stored:
        return None
    if len(stored) > len(optimizer.variables) and not optimizer.built:
        if _is_fresh(stored):  # never stepped: its slots are what building gives
            keys = [str(i) for i in range(len(optimizer.variables))]
            stored = {k: stored[k] for k in keys if k in stored}
        else:
            optimizer.build(model._train_variables())
    variables = list(optimizer.variables)
    if len(stored) != len(variables):
        warnings.warn(
            f"Skipping variable loading for optimizer '{optimizer.name}', because it "
            f"has {len(variables)} variables whereas the saved optimizer has "
            f"{len(stored)} variables.",
            stacklevel=4,
        )
        return None
    plan = []
    for i, variable in enumerate(variables):
        value = stored.get(str(i))
        if value is None or value.shape != variable.value.shape:
            got = None if value is None else value.shape
            raise KerasnpError(
                f"Cannot load the optimizer state in {source}: the variable "
                f"`{variable.name}` has shape {variable.value.shape}, the file {got}."
            )
        plan.append((variable, value))
    return plan
