"""`underfitting.*`: the model does not fit its training data (vs chance, a baseline, a target)."""

from __future__ import annotations

import numpy as np

from .. import _stats
from .._context import Context
from ..findings import Finding, Skip, fmt_num, need_epochs, need_finite
from ._accuracy import _accuracy_needed


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


def _bias_not_below_variance(ctx: Context) -> bool:
    """In loss terms (target 0): validation - training <= training, at the best epoch."""
    gap = ctx.evidence.get("gap_at_best")
    t = ctx.evidence.get("final_train_loss")
    return gap is None or t is None or gap <= t
