"""The error-rate evidence (bias and variance) that both overfitting and underfitting rules read."""

from __future__ import annotations

from .._context import Context
from ..findings import Skip


def _accuracy_needed(ctx: Context, need_val: bool = True) -> dict:
    ev = ctx.evidence
    if ctx.metric is None or not ctx.metric_is_accuracy:
        raise Skip("no accuracy metric logged")
    if ctx.A_train is None:
        raise Skip(f"no training {ctx.metric}")
    if "train_error" in ev:
        return ev
    if need_val:
        raise Skip(f"no validation {ctx.metric}")
    _, acc = ctx.last_finite(ctx.A_train)
    target = ctx.baseline.get("target_error", 0.0)
    return {"train_error": 1 - acc, "avoidable_bias": 1 - acc - target, "target_error": target}
