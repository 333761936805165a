"""`overfitting.*`: validation got worse while training improved, or variance outweighs bias."""

from __future__ import annotations

import math

from .._context import Context
from ..findings import Finding, epoch_of, fmt_num, fmt_pct, need_epochs, need_finite, need_val
from ._accuracy import _accuracy_needed


def overfitting_val_rise(ctx: Context) -> Finding | None:
    need_epochs(ctx)
    need_finite(ctx)
    need_val(ctx)
    th, ev, b = ctx.th, ctx.evidence, ctx.best_pos
    since, gl = ev["evals_since_best"], ctx.gl
    vmin, vlast = ev["best_val_loss"], ev["final_val_loss"]
    patience = max(
        th.overfit_min_patience, math.ceil(th.overfit_patience_fraction * len(ctx.val_pos_finite))
    )
    severe = gl >= th.overfit_severe_rise
    waited = (since >= patience and gl >= th.overfit_mild_rise) or (
        since >= th.overfit_severe_min_since and severe
    )
    beyond_noise = vlast - vmin > max(th.noise_z * ctx.val_noise, ctx.floor)
    t_best = _at_or_before(ctx, b)
    t_last = ev["final_train_loss"]
    train_ok = t_best is None or t_last <= t_best + ctx.floor
    if not (waited and beyond_noise and train_ok):
        return None
    numbers = {
        "best_val_epoch": ev["best_val_epoch"],
        "best_val_loss": vmin,
        "final_val_loss": vlast,
        "val_rise": gl,
        "evals_since_best": since,
        "patience": patience,
        "severe": bool(severe),
        "train_loss_at_best": t_best,
        "final_train_loss": t_last,
    }
    story = (
        f"validation loss bottomed at epoch {ev['best_val_epoch']} ({fmt_num(vmin)}) and rose "
        f"{fmt_pct(gl)} in the {since} evaluation{'s' if since != 1 else ''} since"
    )
    if ctx.stopped_early:
        return Finding(
            "overfitting.stopped_in_time",
            "info",
            f"{story}, and training stopped at epoch {ctx.n and epoch_of(ctx, ctx.n - 1)} "
            f"of {ctx.params.get('epochs')}: early stopping caught the overfitting. "
            "With restore_best_weights=True the model kept is the epoch-"
            f"{ev['best_val_epoch']} one.",
            numbers,
            None,
        )
    return Finding(
        "overfitting.val_rise",
        "warning",
        f"{story}, while the training loss kept falling ({fmt_num(t_best)} -> "
        f"{fmt_num(t_last)}): the model is memorising its training set.",
        numbers,
        "overfitting",
    )


def overfitting_high_variance(ctx: Context) -> Finding | None:
    need_epochs(ctx)
    need_finite(ctx)
    ev = _accuracy_needed(ctx)
    th = ctx.th
    var, bias = ev["variance"], ev["avoidable_bias"]
    if ctx.improving and ctx.improving["improving"] and ctx.improving["series"] == "val_loss":
        return None
    if not (var >= th.overfit_min_variance and var >= bias):
        return None
    return Finding(
        "overfitting.high_variance",
        "warning",
        f"validation error {ev['val_error']:.1%} vs training error "
        f"{ev['train_error']:.1%} at epoch {ev['accuracy_epoch']}: the variance "
        f"({var:.1%}) outweighs the avoidable bias ({bias:.1%}"
        + (
            ", taking the target error as 0"
            if ev["target_error_assumed"]
            else f", target error {ev['target_error']:.1%}"
        )
        + "). The model fits its training set far better than new data.",
        {
            k: ev[k]
            for k in (
                "accuracy_epoch",
                "train_error",
                "val_error",
                "variance",
                "avoidable_bias",
                "target_error",
            )
        },
        "overfitting",
    )


def _at_or_before(ctx: Context, pos: int) -> float | None:
    ok = [p for p in ctx.t_pos if p <= pos]
    return float(ctx.T[ok[-1]]) if ok else None
