"""What `compile` resolves: the loss object and the metrics, named as Keras names them."""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from .. import losses as losses_mod
from .. import metrics as metrics_mod
from .._errors import KerasnpError


def resolve_loss(loss: Any) -> Any:
    """A `Loss` object for `compile(loss=...)`, or None."""
    if loss is None:
        return None
    if isinstance(loss, (list, dict)):
        raise KerasnpError("kerasnp models have one output, so `loss` must be a single loss, "
                           f"not a {type(loss).__name__}. Received: loss={loss!r}")
    resolved = losses_mod.get(loss)
    if isinstance(resolved, losses_mod.Loss):
        return resolved
    if callable(resolved):  # a plain function (ours or the user's): wrap it
        return losses_mod.LossFunctionWrapper(resolved, name=getattr(resolved, "__name__", None))
    raise KerasnpError(f"Could not interpret loss identifier: {loss!r}")


def _resolve_metric(spec: Any, y_shape: tuple[int, ...], y_pred_shape: tuple[int, ...]) -> Any:
    if isinstance(spec, str) and spec.lower() in ("accuracy", "acc"):
        return metrics_mod.resolve_accuracy(spec, y_shape, y_pred_shape)
    if isinstance(spec, metrics_mod.Metric):
        return spec
    resolved = metrics_mod.get(spec)
    if isinstance(resolved, metrics_mod.Metric):
        if isinstance(spec, str):
            resolved.name = spec
        return resolved
    if inspect.isfunction(resolved) or callable(resolved):
        name = spec if isinstance(spec, str) else getattr(resolved, "__name__", "metric")
        return metrics_mod.MeanMetricWrapper(resolved, name=name)
    raise KerasnpError(f"Could not interpret metric identifier: {spec!r}")


class CompiledMetrics:
    """The compiled metrics, resolved once the label and output shapes are known."""

    def __init__(self, specs: list[Any], weighted_specs: list[Any], y_shape: tuple[int, ...],
                 y_pred_shape: tuple[int, ...]):
        self.plain = [_resolve_metric(s, y_shape, y_pred_shape) for s in specs]
        self.weighted = [_resolve_metric(s, y_shape, y_pred_shape) for s in weighted_specs]
        self.metrics = self.plain + self.weighted

    def update_state(self, y: np.ndarray, y_pred: np.ndarray,
                     sample_weight: np.ndarray | None) -> None:
        for m in self.plain:
            m.update_state(y, y_pred)
        for m in self.weighted:
            m.update_state(y, y_pred, sample_weight)

    def results(self) -> dict[str, float]:
        return {m.name: float(m.result()) for m in self.metrics}


def check_loss_weights(loss_weights: Any) -> None:
    """One output has one loss: only a weight of 1 (or None) means anything."""
    if loss_weights is None:
        return
    values = (list(loss_weights.values()) if isinstance(loss_weights, dict)
              else list(loss_weights) if isinstance(loss_weights, (list, tuple))
              else [loss_weights])
    if any(isinstance(v, str) for v in values):
        raise KerasnpError(
            "Invalid value for argument `loss_weights` of compile: expected numbers. "
            f"Received: loss_weights={loss_weights!r}. The third positional argument of "
            "compile is loss_weights; pass metrics by name: compile(optimizer, loss, "
            "metrics=['accuracy']).")
    if len(values) != 1 or values[0] != 1:
        raise KerasnpError(
            "kerasnp models have one output, so `loss_weights` can only be None or 1. "
            f"Received: loss_weights={loss_weights!r}. To scale the loss, scale the "
            "learning rate instead.")
