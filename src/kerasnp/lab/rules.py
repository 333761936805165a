"""The fitting lab's rules: each one reads the evidence and fires a `Finding` or not.

A rule returns a `Finding` when it fires, None when it ran and found nothing,
and raises `Skip` (with the reason) when the run lacks the data it needs.
Rules are grouped by the verdict they support (the first part of their
name); the ``flag.*`` rules in `flags.py` support none and add context to any
verdict. `RULES` lists them all in the order they run; docs/lab-rules.md
explains each one.
"""

from __future__ import annotations

import math

import numpy as np

from . import _stats, flags
from ._context import Context
from .findings import (
    Finding,
    Skip,
    epoch_of,
    fmt_num,
    fmt_pct,
    need_epochs,
    need_finite,
    need_val,
    train_points,
)

# -- diverged ------------------------------------------------------------------


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


# -- too short -------------------------------------------------------------------


def too_short(ctx: Context) -> Finding | None:
    if ctx.n >= ctx.th.min_epochs:
        return None
    return Finding(
        "too_short.epochs",
        "warning",
        f"only {ctx.n} epoch{'s' if ctx.n != 1 else ''}: at least "
        f"{ctx.th.min_epochs} are needed to tell a trend from the first fast drop.",
        {"n_epochs": ctx.n, "min_epochs": ctx.th.min_epochs},
        "too_short",
    )


# -- unstable --------------------------------------------------------------------


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


# -- overfitting -----------------------------------------------------------------


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


# -- underfitting ------------------------------------------------------------------


def underfitting_not_learning(ctx: Context) -> Finding | None:
    need_epochs(ctx)
    need_finite(ctx)
    th, ev = ctx.th, ctx.evidence
    series = ctx.T_running if ctx.T_running is not None else ctx.T
    improvement = _stats.first_last_improvement(series[np.isfinite(series)])
    final = ev["final_train_loss"]
    reasons, numbers = [], {"improvement": improvement, "final_train_loss": final}
    high = ctx.K is None or final >= th.underfit_chance_fraction * ctx.chance_loss
    if improvement < th.not_learning_min_improvement and high:
        reasons.append(
            f"the training loss improved only {improvement:.1%} from the first to "
            f"the last epochs (under {th.not_learning_min_improvement:.0%})"
        )
    if ctx.K is not None:
        numbers["final_loss_vs_chance"] = final / ctx.chance_loss
        if final >= th.not_learning_chance_fraction * ctx.chance_loss:
            reasons.append(
                f"it is still {final / ctx.chance_loss:.0%} of the loss at "
                f"initialisation, ln {ctx.K} = {fmt_num(ctx.chance_loss)}"
            )
    gain = ev.get("train_accuracy_gain_over_chance")
    if gain is not None:
        numbers["accuracy_gain_over_chance"] = gain
        if gain < th.not_learning_min_accuracy_gain:
            reasons.append(
                f"training {ctx.metric} {ev['final_train_metric']:.3f} is barely above "
                f"chance (1/{ctx.K} = {ctx.chance_accuracy:.3f})"
            )
    if not reasons:
        return None
    return Finding(
        "underfitting.not_learning",
        "warning",
        "the model is not learning: " + "; ".join(reasons) + ".",
        numbers,
        "underfitting",
    )


def underfitting_vs_chance(ctx: Context) -> Finding | None:
    if ctx.K is None:
        raise Skip("number of classes unknown (pass num_classes=K)")
    need_epochs(ctx)
    need_finite(ctx)
    th, ev = ctx.th, ctx.evidence
    final, chance = ev["final_train_loss"], ctx.chance_loss
    if not (
        ctx.plateau
        and final > th.underfit_chance_fraction * chance
        and _bias_not_below_variance(ctx)
    ):
        return None
    return Finding(
        "underfitting.vs_chance",
        "warning",
        f"the training loss has levelled off at {fmt_num(final)} "
        f"({ev['train_slope_rel']:+.1%} per epoch lately), still "
        f"{final / chance:.0%} of the chance loss ln {ctx.K} = {fmt_num(chance)}"
        + (", and validation is not much worse" if ctx.V is not None else "")
        + ": the model cannot fit even its training data.",
        {
            "final_train_loss": final,
            "chance_loss": chance,
            "final_loss_vs_chance": final / chance,
            "train_slope_rel": ev["train_slope_rel"],
        },
        "underfitting",
    )


def underfitting_vs_baseline(ctx: Context) -> Finding | None:
    if not ctx.baseline:
        raise Skip("no baseline given (baseline= the results of a linear model)")
    need_epochs(ctx)
    need_finite(ctx)
    th, ev = ctx.th, ctx.evidence
    measures = []
    if ev.get("gain_over_baseline") is not None:
        measures.append(
            ("loss", ev["gain_over_baseline"], ev["final_train_loss"], ctx.baseline["loss"])
        )
    if ev.get("error_gain_over_baseline") is not None:
        measures.append(
            (
                "error",
                ev["error_gain_over_baseline"],
                1 - ev["final_train_metric"],
                1 - ctx.baseline["accuracy"],
            )
        )
    if not measures:
        raise Skip("the baseline has no training loss or accuracy")
    # Every measure must agree: the loss includes weight penalties (as val_loss does), so
    # an L2 run that fits its training set far better than the baseline can still have
    # the larger loss; its error then shows that it does fit.
    if not (
        ctx.plateau and all(gain < th.underfit_min_baseline_gain for _, gain, _, _ in measures)
    ):
        return None
    what, gain, ours, theirs = measures[0]
    extra = (
        f"; training error {measures[1][2]:.1%} vs the baseline's {measures[1][3]:.1%}"
        if len(measures) > 1
        else ""
    )
    return Finding(
        "underfitting.vs_baseline",
        "warning",
        f"the training {what} has levelled off at {fmt_num(ours)}, "
        + ("no better than" if gain <= 0 else "barely better than")
        + f" the linear baseline's {fmt_num(theirs)} (gain {gain:+.0%}, needs "
        f"{th.underfit_min_baseline_gain:.0%}{extra}): the hidden layers add nothing on "
        "the training data.",
        {
            "gain": gain,
            "measure": what,
            "model": ours,
            "baseline": theirs,
            **{f"{m}_gain": g for m, g, _, _ in measures},
        },
        "underfitting",
    )


def underfitting_bias(ctx: Context) -> Finding | None:
    if "target_error" not in ctx.baseline:
        raise Skip("no target error given (baseline={'target_error': ...})")
    need_epochs(ctx)
    need_finite(ctx)
    ev, th = _accuracy_needed(ctx, need_val=False), ctx.th
    bias, var = ev["avoidable_bias"], ev.get("variance", 0.0)
    if not (ctx.plateau and bias >= th.underfit_min_bias and bias > var):
        return None
    return Finding(
        "underfitting.bias",
        "warning",
        f"training error {ev['train_error']:.1%} against a target of "
        f"{ev['target_error']:.1%}: the avoidable bias ({bias:.1%}) outweighs the "
        f"variance ({var:.1%}).",
        {
            "avoidable_bias": bias,
            "variance": var,
            "train_error": ev["train_error"],
            "target_error": ev["target_error"],
        },
        "underfitting",
    )


# -- still improving -----------------------------------------------------------


def still_improving(ctx: Context) -> Finding | None:
    need_epochs(ctx)
    need_finite(ctx)
    imp = ctx.improving
    if imp is None:
        raise Skip("needs at least 2 finite points")
    if not imp["improving"]:
        return None
    which = "validation" if imp["series"] == "val_loss" else "training"
    return Finding(
        "still_improving.trend",
        "warning",
        f"the {which} loss is still falling: down {fmt_num(imp['drop'])} "
        f"({imp['rel_slope']:+.1%} per epoch) over the last {imp['window']} "
        f"points, with its best at the end: the run stopped before it converged.",
        {k: imp[k] for k in ("series", "drop", "needed", "rel_slope", "window")},
        "still_improving",
    )


def good_fit(ctx: Context) -> Finding:
    """The fallback verdict's finding: what "nothing fired" looked like."""
    ev = ctx.evidence
    if ctx.V is None:
        msg = (
            "no rule fired on the training curve; with no validation data, how well the "
            "model generalises was not checked."
        )
    else:
        msg = (
            f"validation loss settled at its best ({fmt_num(ev.get('best_val_loss'))}, epoch "
            f"{ev.get('best_val_epoch')}), ending {(ev.get('val_rise_since_best') or 0):.0%} "
            "above it; no rule for a problem fired."
        )
        if ev.get("variance") is not None:
            msg += (
                f" Validation error {ev['val_error']:.1%} vs training error "
                f"{ev['train_error']:.1%}."
            )
    if ctx.K is None and not ctx.baseline:
        msg += (
            " Underfitting could only be judged from the shape of the curves: give "
            "num_classes (the chance loss ln K) or a baseline to compare the level with."
        )
    keys = (
        "best_val_epoch",
        "best_val_loss",
        "val_rise_since_best",
        "variance",
        "avoidable_bias",
        "final_train_loss",
    )
    return Finding(
        "good_fit.settled",
        "info",
        msg,
        {k: ev[k] for k in keys if ev.get(k) is not None},
        "good_fit",
    )


# -- helpers -----------------------------------------------------------------


def _at_or_before(ctx: Context, pos: int) -> float | None:
    ok = [p for p in ctx.t_pos if p <= pos]
    return float(ctx.T[ok[-1]]) if ok else None


def _bias_not_below_variance(ctx: Context) -> bool:
    """In loss terms (target 0): validation - training <= training, at the best epoch."""
    gap = ctx.evidence.get("gap_at_best")
    t = ctx.evidence.get("final_train_loss")
    return gap is None or t is None or gap <= t


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


#: (rule name, function), in the order they run. The verdict each supports is
#: the first part of its name; see diagnose.PRIORITY for how verdicts combine.
RULES = [
    ("diverged.non_finite", diverged_non_finite),
    ("diverged.loss_rise", diverged_loss_rise),
    ("diverged.above_start", diverged_above_start),
    ("diverged.above_chance", diverged_above_chance),
    ("diverged.collapsed", diverged_collapsed),
    ("too_short.epochs", too_short),
    ("unstable.train_spikes", unstable_train_spikes),
    ("unstable.val_swings", unstable_val_swings),
    ("overfitting.val_rise", overfitting_val_rise),
    ("overfitting.high_variance", overfitting_high_variance),
    ("underfitting.not_learning", underfitting_not_learning),
    ("underfitting.vs_chance", underfitting_vs_chance),
    ("underfitting.vs_baseline", underfitting_vs_baseline),
    ("underfitting.bias", underfitting_bias),
    ("still_improving.trend", still_improving),
    ("flag.no_validation", flags.flag_no_validation),
    ("flag.stopped_early", flags.flag_stopped_early),
    ("flag.generalization_gap", flags.flag_generalization_gap),
    ("flag.val_below_train", flags.flag_val_below_train),
    ("flag.noisy_validation", flags.flag_noisy_validation),
    ("flag.saturated_early", flags.flag_saturated_early),
    ("flag.metric_disagrees", flags.flag_metric_disagrees),
    ("flag.init_loss_high", flags.flag_init_loss_high),
    ("flag.learning_rate_changed", flags.flag_learning_rate_changed),
]
