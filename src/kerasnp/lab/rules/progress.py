"""How far the run got: `too_short`, `still_improving`, or `good_fit` (no problem found).

`good_fit` is not in `RULES`: `diagnose` calls it when no verdict rule fired.
"""

from __future__ import annotations

from .._context import Context
from ..findings import Finding, Skip, fmt_num, need_epochs, need_finite


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
