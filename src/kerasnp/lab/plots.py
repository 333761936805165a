"""Learning-curve pictures as PNG, with matplotlib (the optional extra ``kerasnp[lab]``).

matplotlib is imported only when a plot is drawn, and only through its
object-oriented API (``Figure`` + the Agg canvas): no pyplot, no global
state, no GUI backend. Without matplotlib, `plot_history` raises an
ImportError that says what to install; `kerasnp.lab.terminal` and the
report's own SVG charts need nothing.

Example:
    >>> from kerasnp.lab import plots
    >>> fig = plots.plot_history({"loss": [1.0, 0.6, 0.5], "val_loss": [1.1, 0.8, 0.9]})
    >>> [ax.get_title() for ax in fig.axes]
    ['loss']
"""

from __future__ import annotations

import io
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from .curves import LR_KEYS, best_val_position, groups, higher_is_better
from .history_io import curves_of

VERDICT_COLORS = {
    "diverged": "#b2182b",
    "unstable": "#e08214",
    "overfitting": "#d6604d",
    "underfitting": "#8073ac",
    "still_improving": "#2166ac",
    "good_fit": "#1b7837",
    "too_short": "#636363",
}
ROLE_STYLE = {
    "train": dict(color="#1f77b4", linestyle="-", label="train (running mean)"),
    "eval": dict(color="#1f77b4", linestyle="--", label="train (inference mode)"),
    "val": dict(color="#ff7f0e", linestyle="-", label="validation"),
}


def has_matplotlib() -> bool:
    """True when matplotlib can be imported."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure(width: float, height: float):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as exc:
        raise ImportError(
            "the lab's PNG plots need matplotlib: pip install 'kerasnp[lab]'. "
            "Without it, use kerasnp.lab.render_terminal, or the HTML report, "
            "which draws its own SVG charts."
        ) from exc
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plot_history(
    history: Any,
    path: str | os.PathLike | None = None,
    *,
    diagnosis: Any = None,
    title: str | None = None,
    log_loss: bool = False,
    dpi: int = 100,
):
    """Draw loss and every metric (train vs validation), the best epoch, the verdict.

    Args:
        history: anything `load_history` reads, or a `Diagnosis`.
        path: if given, the PNG is written there.
        diagnosis: the run's `Diagnosis`: its verdict goes in the title, and
            the chance loss ``ln K``, chance accuracy and linear baseline are
            drawn as reference lines.
        title: the figure title (defaults to the source of the curves).
        log_loss: log-scale y axis for the loss panel.
        dpi: resolution of the PNG.

    Returns:
        The matplotlib ``Figure``.
    """
    curves, diagnosis = curves_of(history, diagnosis)
    panels = [(b, r) for b, r in groups(curves).items()]
    lr_key = next((k for k in LR_KEYS if k in curves), None)
    if lr_key is not None:
        panels.append((lr_key, {"train": lr_key}))
    ncols = min(2, max(1, len(panels)))
    nrows = max(1, math.ceil(len(panels) / ncols))
    fig = _figure(5.2 * ncols, 3.4 * nrows + 0.5)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    x = curves.epochs + 1
    best_pos = best_val_position(curves)
    best = None if best_pos is None else curves.display_epoch(best_pos)
    ev = diagnosis.evidence if diagnosis is not None else {}
    for ax, (base, roles) in zip(axes, panels, strict=False):
        for role in ("train", "eval", "val"):
            if role not in roles:
                continue
            key = roles[role]
            y, rec = curves[key], curves.recorded(key)
            style = dict(ROLE_STYLE[role]) if base != lr_key else dict(color="#555555")
            if base == lr_key:
                style["label"] = "learning rate"
            ax.plot(
                x[rec],
                np.where(np.isfinite(y[rec]), y[rec], np.nan),
                marker="o" if rec.sum() < 25 else None,
                markersize=3,
                **style,
            )
            bad = rec & ~np.isfinite(y)
            if bad.any():
                ax.axvline(x[bad][0], color="#b2182b", linewidth=1, label=f"{key} NaN/inf")
        if best is not None and base != lr_key:
            ax.axvline(
                best, color="#444444", linestyle=":", linewidth=1, label=f"best epoch {best}"
            )
            if base == "loss" and "val" in roles:
                vb = curves[roles["val"]][curves.epochs + 1 == best]
                ax.plot([best], vb, marker="*", markersize=12, color="#ff7f0e", linestyle="")
        _references(ax, base, ev)
        ax.set_title(base)
        ax.set_xlabel("epoch")
        _integer_epochs(ax)
        if (base == "loss" and log_loss) or base == lr_key:
            ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="best")
    for ax in axes[len(panels) :]:
        ax.set_visible(False)
    head = title or curves.name
    if diagnosis is not None:
        fig.suptitle(
            f"{head}: {diagnosis.verdict.replace('_', ' ')}",
            fontweight="bold",
            color=VERDICT_COLORS.get(diagnosis.verdict, "black"),
        )
    else:
        fig.suptitle(head)
    if path is not None:
        fig.savefig(path, format="png", dpi=dpi)
    return fig


def _references(ax, base: str, ev: dict) -> None:
    """Chance level and linear-baseline lines, the anchors the verdicts use."""
    if base == "loss":
        chance, baseline = ev.get("chance_loss"), ev.get("baseline_val_loss")
        chance_label = f"chance ln K = {chance:.3g}" if chance else ""
    elif higher_is_better(base) and ev.get("metric") == base:
        chance, baseline = ev.get("chance_accuracy"), ev.get("baseline_val_accuracy")
        chance_label = "chance 1/K"
    else:
        return
    if chance:
        ax.axhline(chance, color="#999999", linestyle="-.", linewidth=1, label=chance_label)
    if baseline is not None:
        ax.axhline(
            baseline, color="#8073ac", linestyle="--", linewidth=1, label="linear baseline (val)"
        )


def plot_comparison(
    runs: Mapping[str, Any],
    path: str | os.PathLike | None = None,
    *,
    metric: str | None = None,
    title: str | None = None,
    dpi: int = 100,
):
    """Overlay several runs: validation (solid) and training (dashed) loss, and a metric.

    Args:
        runs: name -> a history (anything `load_history` reads) or a `Diagnosis`.
            A Diagnosis puts its verdict in the legend.
        path: if given, the PNG is written there.
        metric: the metric panel (defaults to the first accuracy-like metric
            the runs share; None if they share none).
        title: the figure title.
        dpi: resolution of the PNG.

    Returns:
        The matplotlib ``Figure``.
    """
    loaded = {name: curves_of(h) for name, h in runs.items()}
    if metric is None:
        shared = [set(groups(c)) for c, _ in loaded.values()]
        common = set.intersection(*shared) if shared else set()
        metric = (
            next(
                (
                    b
                    for b in groups(next(iter(loaded.values()))[0])
                    if b in common and b != "loss" and higher_is_better(b)
                ),
                None,
            )
            if loaded
            else None
        )
    bases = ["loss"] + ([metric] if metric else [])
    fig = _figure(5.2 * len(bases), 3.8)
    axes = fig.subplots(1, len(bases), squeeze=False).ravel()
    colors = [f"C{i % 10}" for i in range(len(loaded))]
    for ax, base in zip(axes, bases, strict=True):
        for color, (name, (curves, diag)) in zip(colors, loaded.items(), strict=True):
            roles = groups(curves).get(base, {})
            label = name + (f" ({diag.verdict.replace('_', ' ')})" if diag is not None else "")
            x = curves.epochs + 1
            train_key = roles.get("eval") or roles.get("train")
            if train_key:
                rec = curves.recorded(train_key)
                ax.plot(
                    x[rec],
                    curves[train_key][rec],
                    color=color,
                    linestyle="--",
                    linewidth=1,
                    alpha=0.8,
                )
            if "val" in roles:
                rec = curves.recorded(roles["val"])
                ax.plot(x[rec], curves[roles["val"]][rec], color=color, label=label)
            elif train_key:
                ax.plot([], [], color=color, label=label)
        ax.set_title(f"{base} (solid: validation, dashed: train)")
        ax.set_xlabel("epoch")
        _integer_epochs(ax)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title or "comparison")
    if path is not None:
        fig.savefig(path, format="png", dpi=dpi)
    return fig


def _integer_epochs(ax) -> None:
    """Epoch ticks at whole numbers (1, 5, 10 ...), never 2.5."""
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def figure_png(fig, dpi: int = 100) -> bytes:
    """The figure as PNG bytes (for embedding)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()
