"""The fitting lab's flags: context shown with any verdict (``flag.*`` rules).

Like the verdict rules in `rules/`, each returns a `Finding` (with
``verdict=None``) when it fires, None when it ran and found nothing, and
raises `Skip` when the run lacks the data it needs.
"""

from __future__ import annotations

import math

import numpy as np

from ._context import Context
from .findings import Finding, Skip, epoch_of, fmt_num, fmt_pct, need_epochs, need_finite, need_val


def flag_no_validation(ctx: Context) -> Finding | None:
    if ctx.n == 0 or ctx.V is not None:
        return None
    return Finding(
        "flag.no_validation",
        "info",
        "no validation data: overfitting and the train/validation gap cannot be checked.",
        {},
        None,
    )


def flag_stopped_early(ctx: Context) -> Finding | None:
    if "epochs" not in ctx.params:
        raise Skip("the number of requested epochs is unknown (no params['epochs'])")
    if not ctx.stopped_early:
        return None
    return Finding(
        "flag.stopped_early",
        "info",
        f"training stopped at epoch {epoch_of(ctx, ctx.n - 1)} of "
        f"{ctx.params['epochs']} (EarlyStopping or another callback).",
        {"last_epoch": epoch_of(ctx, ctx.n - 1), "epochs": int(ctx.params["epochs"])},
        None,
    )


def flag_generalization_gap(ctx: Context) -> Finding | None:
    need_finite(ctx)
    ratio = ctx.evidence.get("gap_ratio_at_best")
    if ratio is None:
        raise Skip("needs training and validation loss at the same epoch")
    if ratio <= ctx.th.gap_ratio:
        return None
    caveat = (
        ""
        if ctx.train_key == "eval_loss"
        else " The running-mean training loss is biased upwards, so the true gap is larger."
    )
    return Finding(
        "flag.generalization_gap",
        "info",
        f"at the best epoch, validation loss is {ratio:.0%} above training loss "
        f"({fmt_num(ctx.evidence['best_val_loss'])} vs "
        f"{fmt_num(ctx.evidence['best_val_loss'] - ctx.evidence['gap_at_best'])})." + caveat,
        {"gap_ratio_at_best": ratio, "gap_at_best": ctx.evidence["gap_at_best"]},
        None,
    )


def flag_val_below_train(ctx: Context) -> Finding | None:
    if ctx.V is None:
        raise Skip("no validation data")
    both = [p for p in ctx.val_pos_finite if math.isfinite(ctx.T[p])]
    if len(both) < 3:
        raise Skip("needs at least 3 epochs with both losses")
    frac = float(np.mean([ctx.V[p] < ctx.T[p] for p in both]))
    if frac < ctx.th.val_below_train_fraction:
        return None
    if ctx.train_key == "loss":
        why = (
            "Usually harmless: the training loss is averaged over the epoch with dropout "
            "and regularisation on, the validation loss is measured at the end without "
            "dropout. Log the inference-mode training loss to compare like with like."
        )
    else:
        why = (
            "Even the inference-mode training loss is higher: check for validation "
            "samples duplicated in training (leakage) or an easier validation set."
        )
    return Finding(
        "flag.val_below_train",
        "info",
        f"validation loss is below the training loss at {frac:.0%} of the evaluations. {why}",
        {"fraction": frac},
        None,
    )


def flag_noisy_validation(ctx: Context) -> Finding | None:
    need_finite(ctx)
    need_val(ctx)
    trend = ctx.val_trend
    rel = ctx.val_noise / trend.level if trend is not None and trend.level else 0.0
    if rel <= ctx.th.noisy_val_rel:
        return None
    return Finding(
        "flag.noisy_validation",
        "info",
        f"the validation loss moves by about {rel:.0%} of its level from one "
        "evaluation to the next: the validation set is small or the steps are "
        "large, so single epochs mean little.",
        {"val_noise_rel": rel},
        None,
    )


def flag_saturated_early(ctx: Context) -> Finding | None:
    need_epochs(ctx)
    need_finite(ctx)
    need_val(ctx)
    b = ctx.best_pos
    done = (ctx.curves.epochs[b] - ctx.curves.epochs[0] + 1) / ctx.n
    if done > ctx.th.saturated_early_fraction:
        return None
    return Finding(
        "flag.saturated_early",
        "info",
        f"the best validation loss came at epoch {epoch_of(ctx, b)}, {done:.0%} of the "
        "way through: the epochs after it bought nothing.",
        {"best_val_epoch": epoch_of(ctx, b), "fraction_of_run": done},
        None,
    )


def flag_metric_disagrees(ctx: Context) -> Finding | None:
    need_finite(ctx)
    need_val(ctx)
    if ctx.A_val is None or not ctx.metric_is_accuracy:
        raise Skip("no validation accuracy")
    gl = ctx.gl
    at_best = ctx.at(ctx.A_val, ctx.best_pos)
    _, last = ctx.last_finite(ctx.A_val)
    if gl < ctx.th.overfit_mild_rise or at_best is None or last is None or last < at_best:
        return None
    return Finding(
        "flag.metric_disagrees",
        "info",
        f"validation {ctx.metric} did not fall ({at_best:.3f} -> {last:.3f}) while "
        f"the validation loss rose {fmt_pct(gl)}: the model is growing over-confident on "
        "the examples it gets wrong.",
        {"val_metric_at_best": at_best, "final_val_metric": last},
        None,
    )


def flag_init_loss_high(ctx: Context) -> Finding | None:
    if ctx.K is None:
        raise Skip("number of classes unknown (pass num_classes=K)")
    ref = ctx.initial_loss
    if ref is None:
        series = ctx.T_running if ctx.T_running is not None else ctx.T
        ok = series[np.isfinite(series)]
        ref = float(ok[0]) if len(ok) else None
    if ref is None or ref <= ctx.th.init_loss_factor * ctx.chance_loss:
        return None
    return Finding(
        "flag.init_loss_high",
        "warning",
        f"the first-epoch loss {fmt_num(ref)} is {ref / ctx.chance_loss:.1f}x ln {ctx.K} = "
        f"{fmt_num(ctx.chance_loss)}, the loss of a fresh model that guesses uniformly: "
        "look for a large regularisation penalty, unscaled inputs, labels that do not "
        "match the loss, or too large initial weights.",
        {"first_loss": ref, "chance_loss": ctx.chance_loss},
        None,
    )


def flag_learning_rate_changed(ctx: Context) -> Finding | None:
    if ctx.lr_key is None:
        raise Skip("no learning rate logged")
    lr = ctx.curves[ctx.lr_key]
    changes = [
        p
        for p in range(1, len(lr))
        if math.isfinite(lr[p])
        and math.isfinite(lr[p - 1])
        and not math.isclose(lr[p], lr[p - 1], rel_tol=1e-6)
    ]
    if not changes:
        return None
    epochs = [epoch_of(ctx, p) for p in changes]
    return Finding(
        "flag.learning_rate_changed",
        "info",
        f"the learning rate changed {len(changes)} time"
        f"{'s' if len(changes) != 1 else ''} (epochs {', '.join(map(str, epochs[:8]))}"
        f"), from {fmt_num(ctx.evidence['learning_rate_first'])} to "
        f"{fmt_num(ctx.evidence['learning_rate_last'])}.",
        {"change_epochs": epochs},
        None,
    )
