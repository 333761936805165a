"""`unstable.*`: the loss jumps between epochs (training spikes, validation swings)."""

from __future__ import annotations

import math

import numpy as np

from .. import _stats
from .._context import Context
from ..findings import Finding, epoch_of, need_epochs, need_finite, need_val


def unstable_train_spikes(ctx: Context) -> Finding | None:
    need_epochs(ctx)
    need_finite(ctx)
    th = ctx.th
    # The running mean when it is logged: an epoch whose *average* loss went up is the
    # Playbook's "the training loss goes up". The inference-mode loss is a single point of
    # the weight trajectory and jumps 10-60% between epochs on healthy Fashion-MNIST runs
    # (docs/lab-rules.md, calibration).
    series, key = (ctx.T_running, "loss") if ctx.T_running is not None else (ctx.T, ctx.train_key)
    pos = np.flatnonzero(np.isfinite(series))
    y = series[pos]
    spikes = _stats.rises(y, th.unstable_rel_rise, ctx.floor)
    best = _stats.running_min(y)
    explosions = [
        t
        for t in range(1, len(y))
        if y[t] >= th.explode_factor * best[t - 1]
        and y[t] - best[t - 1] > max(ctx.floor, th.explode_min_rise_of_scale * ctx.S)
        and np.min(y[t:]) < 0.5 * y[t]
    ]
    needed = max(th.unstable_min_spikes, math.ceil(th.unstable_spike_fraction * (len(y) - 1)))
    if len(spikes) < needed and not explosions:
        return None
    epochs = [epoch_of(ctx, int(pos[t])) for t in spikes]
    largest = max((y[t] / y[t - 1] - 1 for t in spikes if y[t - 1] > 0), default=None)
    shown = ", ".join(map(str, epochs[:8])) + (" ..." if len(epochs) > 8 else "")
    return Finding(
        "unstable.train_spikes",
        "warning",
        f"the training loss ({key}) jumped up {len(spikes)} time"
        f"{'s' if len(spikes) != 1 else ''} (epochs {shown}"
        + (f"; largest +{largest:.0%}" if largest is not None else "")
        + ")"
        + (f", once to {th.explode_factor:g}x its best" if explosions else "")
        + ": the updates overshoot, as with a learning rate that is too high.",
        {
            "spikes": len(spikes),
            "spike_epochs": epochs,
            "needed": needed,
            "largest_rise": largest,
            "explosions": len(explosions),
        },
        "unstable",
    )


def unstable_val_swings(ctx: Context) -> Finding | None:
    need_epochs(ctx)
    need_finite(ctx)
    need_val(ctx)
    th = ctx.th
    vals = ctx.V[ctx.val_pos_finite]
    found = _stats.swings(vals, th.val_spike_rel, ctx.floor)
    if len(found) < th.unstable_min_val_swings:
        return None
    epochs = [epoch_of(ctx, int(ctx.val_pos_finite[t])) for t in found]
    largest = max(vals[t] / vals[t - 1] - 1 for t in found)
    return Finding(
        "unstable.val_swings",
        "warning",
        f"the validation loss swung up and back {len(found)} times (epochs "
        f"{', '.join(map(str, epochs[:8]))}; up to +{largest:.0%} in one epoch): the "
        "weights jump between epochs, as with a learning rate that is too high.",
        {"swings": len(found), "swing_epochs": epochs, "largest_rise": largest},
        "unstable",
    )
