"""`diverged.*`: the run blew up (NaN or inf, a loss that rose and stayed up, a collapse)."""

from __future__ import annotations

import math

import numpy as np

from .._context import Context
from ..findings import Finding, Skip, epoch_of, fmt_num, need_finite, train_points


def diverged_non_finite(ctx: Context) -> Finding | None:
    if ctx.n == 0:
        raise Skip("no epochs recorded")
    if not ctx.nonfinite:
        return None
    key, pos = min(ctx.nonfinite.items(), key=lambda kv: kv[1])
    value = float(ctx.curves[key][pos])
    what = "NaN" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    return Finding(
        "diverged.non_finite",
        "error",
        f"`{key}` became {what} at epoch {epoch_of(ctx, pos)}: the weights blew up, and "
        "nothing after that point means anything.",
        {"key": key, "epoch": epoch_of(ctx, pos), "value": what},
        "diverged",
    )


def diverged_loss_rise(ctx: Context) -> Finding | None:
    need_finite(ctx)
    y = train_points(ctx)
    if len(y) < 2:
        raise Skip("needs at least 2 epochs")
    th, final, low = ctx.th, float(y[-1]), float(np.min(y))
    at = int(ctx.t_pos[int(np.argmin(y))])
    factor_ok = low <= 0 or final >= th.diverge_rise_factor * low
    if not (factor_ok and final - low >= th.diverge_min_rise_of_scale * ctx.S):
        return None
    return Finding(
        "diverged.loss_rise",
        "error",
        f"the training loss ended at {fmt_num(final)} after reaching {fmt_num(low)} at epoch "
        f"{epoch_of(ctx, at)} ({final / low:.1f}x): training went backwards and did not "
        "recover."
        if low > 0
        else f"the training loss ended at {fmt_num(final)} after reaching {fmt_num(low)}.",
        {
            "final_train_loss": final,
            "min_train_loss": low,
            "min_epoch": epoch_of(ctx, at),
            "factor": final / low if low > 0 else None,
        },
        "diverged",
    )


def diverged_above_start(ctx: Context) -> Finding | None:
    need_finite(ctx)
    y = train_points(ctx)
    if len(y) < 3:
        raise Skip("needs at least 3 epochs")
    first, final = float(y[0]), float(y[-1])
    if final - first < ctx.th.diverge_min_rise_of_scale * ctx.S:
        return None
    return Finding(
        "diverged.above_start",
        "error",
        f"the training loss ended higher ({fmt_num(final)}) than in the first epoch "
        f"({fmt_num(first)}): the optimizer made the model worse.",
        {"first_train_loss": first, "final_train_loss": final},
        "diverged",
    )


def diverged_above_chance(ctx: Context) -> Finding | None:
    need_finite(ctx)
    if ctx.K is None:
        raise Skip("number of classes unknown (pass num_classes=K)")
    y = train_points(ctx)
    if len(y) < 2:
        raise Skip("needs at least 2 epochs")
    final = float(y[-1])
    limit = ctx.th.diverge_chance_factor * ctx.chance_loss
    if final < limit or final < float(np.median(y)):
        return None
    return Finding(
        "diverged.above_chance",
        "error",
        f"the training loss is {fmt_num(final)}, {final / ctx.chance_loss:.1f}x the loss of "
        f"guessing uniformly (ln {ctx.K} = {fmt_num(ctx.chance_loss)}), and not coming down: "
        "the model makes confident wrong predictions, as after the weights blew up.",
        {
            "final_train_loss": final,
            "chance_loss": ctx.chance_loss,
            "factor": final / ctx.chance_loss,
        },
        "diverged",
    )


def diverged_collapsed(ctx: Context) -> Finding | None:
    """A blow-up that left the model at chance level (dead ReLUs), not a slow learner."""
    need_finite(ctx)
    if ctx.K is None:
        raise Skip("number of classes unknown (pass num_classes=K)")
    th = ctx.th
    series = [s for s in (ctx.T, ctx.T_running) if s is not None]
    values = np.concatenate([s[np.isfinite(s)] for s in series])
    if len(values) < 2:
        raise Skip("needs at least 2 epochs")
    start = max(ctx.initial_loss or 0.0, ctx.chance_loss)
    peak = float(np.max(values))
    final = ctx.evidence["final_train_loss"]
    gain = ctx.evidence.get("train_accuracy_gain_over_chance")
    stuck = final >= th.not_learning_chance_fraction * ctx.chance_loss and (
        gain is None or gain < th.not_learning_min_accuracy_gain
    )
    # The blow-up often happens within the first epoch, so its running mean mixes the
    # batches before it with the dead ones after (Fashion-MNIST, SGD lr=3: 2.79, then 2.33
    # for 19 epochs): any rise above the start by the divergence floor counts.
    if not (peak - start >= th.diverge_min_rise_of_scale * ctx.S and stuck):
        return None
    where = next(
        (s for s in series if np.isfinite(s).any() and float(np.nanmax(s)) == peak), series[0]
    )
    at = int(np.nanargmax(where))
    return Finding(
        "diverged.collapsed",
        "error",
        f"the training loss rose to {fmt_num(peak)} in epoch {epoch_of(ctx, at)}, above the "
        f"{fmt_num(start)} it started from, and has stayed at the chance level "
        f"ln {ctx.K} = {fmt_num(ctx.chance_loss)} since: a step too large threw the weights "
        "away and the model stopped learning (dead ReLU units predict the same for every "
        "input).",
        {
            "peak_loss": peak,
            "peak_epoch": epoch_of(ctx, at),
            "start_loss": start,
            "final_train_loss": final,
            "chance_loss": ctx.chance_loss,
        },
        "diverged",
    )
