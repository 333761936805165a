"""One self-contained HTML file per run or comparison, readable offline.

The page holds the learning curves (PNG embedded as base64 when matplotlib is
installed, else inline SVG drawn by `kerasnp.lab.svg`, or the Unicode charts),
the verdict, its findings and evidence, the suggestions, the per-epoch table,
which checks ran or were skipped, the thresholds, and the exact command and
configuration that reproduce the run. No scripts, no external files; every
piece of text is HTML-escaped.

Example:
    >>> page = render_report({"loss": [1.0, 0.7, 0.5, 0.45, 0.44],
    ...                       "val_loss": [1.1, 0.8, 0.6, 0.58, 0.57]}, images="svg")
    >>> page.startswith("<!DOCTYPE html>") and "Verdict" in page
    True
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
from collections.abc import Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import check_choice
from . import svg, thresholds
from .curves import LearningCurves, groups, higher_is_better
from .diagnose import HEADLINES, Diagnosis, diagnose, evidence_rows
from .history_io import load_history
from .terminal import render_terminal

_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;max-width:1100px;margin:2em auto;
 padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em}h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.92em}
th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}
th{background:#f4f4f4}td.name,th.name{text-align:left}
.verdict{font-size:1.15em;padding:.6em .9em;border-left:6px solid #888;background:#f7f7f7}
.v-diverged{border-color:#b2182b}.v-unstable{border-color:#e08214}
.v-overfitting{border-color:#d6604d}.v-underfitting{border-color:#8073ac}
.v-still_improving{border-color:#2166ac}.v-good_fit{border-color:#1b7837}
.v-too_short{border-color:#636363}
.badge{display:inline-block;padding:0 .5em;border-radius:.6em;color:white;font-size:.85em}
.b-diverged{background:#b2182b}.b-unstable{background:#e08214}.b-overfitting{background:#d6604d}
.b-underfitting{background:#8073ac}.b-still_improving{background:#2166ac}
.b-good_fit{background:#1b7837}.b-too_short{background:#636363}
.sev-error{color:#b2182b}.sev-warning{color:#b35806}.sev-info{color:#555}
pre{background:#f6f6f6;padding:.6em;overflow-x:auto;font-size:.85em}
figure{margin:.5em 0}img{max-width:100%}.charts svg{margin:.3em}
footer{margin-top:3em;color:#888;font-size:.85em}
"""


@dataclasses.dataclass
class ReportRun:
    """One run in a report.

    Attributes:
        name: shown in headings and tables.
        history: anything `load_history` reads.
        diagnosis: its `Diagnosis` (computed with defaults when None).
        config: the settings that produced it (printed as JSON).
        command: the command line that reproduces it.
        test: held-out results, e.g. ``{"loss": 0.31, "accuracy": 0.912}``.
    """

    name: str
    history: Any
    diagnosis: Diagnosis | None = None
    config: Mapping[str, Any] | None = None
    command: str | None = None
    test: Mapping[str, float] | None = None

    def __post_init__(self):
        if isinstance(self.history, Diagnosis):
            self.diagnosis = self.diagnosis or self.history
            self.history = self.history.curves
        self.curves: LearningCurves = load_history(self.history)
        if self.diagnosis is None:
            self.diagnosis = diagnose(self.curves)


def _runs(runs: Any) -> list[ReportRun]:
    if isinstance(runs, ReportRun):
        return [runs]
    if (
        isinstance(runs, Mapping)
        and runs
        and "history" not in runs
        and all(
            isinstance(v, ReportRun | Diagnosis | LearningCurves | Mapping) or hasattr(v, "history")
            for v in runs.values()
        )
    ):
        return [v if isinstance(v, ReportRun) else ReportRun(str(k), v) for k, v in runs.items()]
    if isinstance(runs, Sequence) and runs and all(isinstance(r, ReportRun) for r in runs):
        return list(runs)
    run = ReportRun("run", runs)
    run.name = run.curves.name
    return [run]


def render_report(
    runs: Any,
    *,
    title: str | None = None,
    command: str | None = None,
    config: Mapping[str, Any] | None = None,
    images: str = "auto",
) -> str:
    """The HTML page for one run or a comparison of several.

    Args:
        runs: one run (a history, `Diagnosis` or `ReportRun`), or several (a
            list of `ReportRun`, or a dict name -> history/Diagnosis/ReportRun),
            which gives a comparison page with a side-by-side table and overlay
            plots.
        title: the page title.
        command: the command line that reproduces the whole page.
        config: the configuration behind it (JSON-able; printed).
        images: ``"auto"`` (PNG if matplotlib is installed, else SVG),
            ``"png"``, ``"svg"`` or ``"text"`` (the Unicode charts).

    Returns:
        The HTML text.
    """
    images = check_choice("render_report", "images", images, ("auto", "png", "svg", "text"))
    if images == "auto":
        from .plots import has_matplotlib

        images = "png" if has_matplotlib() else "svg"
    items = _runs(runs)
    compare = len(items) > 1
    title = title or (
        "Comparison of " + ", ".join(r.name for r in items)
        if compare
        else f"Fitting lab: {items[0].name}"
    )
    body = [f"<h1>{escape(title)}</h1>"]
    if compare:
        body += _comparison(items, images)
        for i, run in enumerate(items):
            body.append(
                f'<section class="run" id="run-{i}"><h2>{escape(run.name)} '
                f"{_badge(run.diagnosis.verdict)}</h2>"
            )
            body += _run_body(run, images, level=3)
            body.append("</section>")
    else:
        body += _run_body(items[0], images, level=2)
    body += _reproduce(command, config, level=2)
    body.append(_thresholds_section(items[0].diagnosis))
    from .. import __version__

    body.append(
        f"<footer>Written by the kerasnp {escape(__version__)} fitting lab. "
        "Epochs are numbered from 1, as Keras prints them.</footer>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>\n"
        + "\n".join(body)
        + "\n</body></html>\n"
    )


def write_report(path: str | os.PathLike, runs: Any, **kwargs) -> Path:
    """Write `render_report` to `path` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(render_report(runs, **kwargs), encoding="utf-8")
    return path


# -- pieces ------------------------------------------------------------------


def _badge(verdict: str) -> str:
    return f'<span class="badge b-{verdict}">{escape(verdict.replace("_", " "))}</span>'


def _h(level: int, text: str) -> str:
    return f"<h{level}>{escape(text)}</h{level}>"


def _charts(run: ReportRun, images: str) -> str:
    if images == "png":
        from .plots import figure_png, plot_history

        fig = plot_history(run.curves, diagnosis=run.diagnosis, title=run.name)
        data = base64.b64encode(figure_png(fig)).decode("ascii")
        return (
            f'<figure><img src="data:image/png;base64,{data}" alt="learning curves of '
            f'{escape(run.name)}"></figure>'
        )
    if images == "svg":
        return (
            '<div class="charts">'
            + "".join(svg.history_charts(run.curves, run.diagnosis))
            + "</div>"
        )
    return f"<pre>{escape(render_terminal(run.curves, diagnosis=run.diagnosis))}</pre>"


def _run_body(run: ReportRun, images: str, level: int) -> list[str]:
    d = run.diagnosis
    out = [
        f'<p class="verdict v-{d.verdict}"><strong>Verdict: '
        f"{escape(d.verdict.replace('_', ' '))}</strong> ({escape(HEADLINES[d.verdict])})"
        + (f"<br>{escape(d.reason.message)}" if d.reason else "")
        + "</p>",
        f'<section class="plots">{_h(level, "Learning curves")}{_charts(run, images)}</section>',
        f'<section class="diagnosis">{_h(level, "Diagnosis")}',
        f"<p>Training loss used: {escape(d.loss_source)}.</p>",
        '<ul class="findings">',
    ]
    out += [
        f'<li class="sev-{f.severity}"><code>{escape(f.rule)}</code> '
        f"[{escape(f.severity)}]: {escape(f.message)}</li>"
        for f in d.findings
    ]
    out.append("</ul>")
    out.append(_h(level + 1, "What to try"))
    out.append(
        '<ol class="suggestions">'
        + "".join(f"<li>{escape(s)}</li>" for s in d.suggestions)
        + "</ol>"
    )
    out.append("</section>")
    out.append(
        f'<section class="evidence">{_h(level, "Evidence")}<table class="evidence">'
        '<tr><th class="name">measure</th><th>value</th></tr>'
        + "".join(
            f'<tr><td class="name">{escape(label)}</td><td>{escape(text)}</td></tr>'
            for label, text in evidence_rows(d.evidence)
        )
        + "</table></section>"
    )
    if run.test:
        out.append(
            f'{_h(level + 1, "Test set")}<table class="test">'
            + "".join(
                f'<tr><td class="name">{escape(str(k))}</td><td>{_fmt(v)}</td></tr>'
                for k, v in run.test.items()
            )
            + "</table>"
        )
    out.append(
        f'<section class="history">{_h(level, "Per-epoch values")}'
        + _history_table(run.curves, d)
        + "</section>"
    )
    out.append(
        f'<section class="checks">{_h(level, "Checks")}<p>Ran: '
        + ", ".join(f"<code>{escape(n)}</code>" for n in d.checks_run)
        + ".</p>"
    )
    if d.checks_skipped:
        out.append(
            "<p>Skipped:</p><ul>"
            + "".join(
                f"<li><code>{escape(n)}</code>: {escape(why)}</li>"
                for n, why in d.checks_skipped.items()
            )
            + "</ul>"
        )
    out.append("</section>")
    if run.command or run.config:
        out += _reproduce(run.command, run.config, level=level)
    return out


def _history_table(curves: LearningCurves, d: Diagnosis) -> str:
    keys = [k for base in groups(curves).values() for k in base.values()]
    keys += [k for k in curves.keys if k not in keys]
    best = d.evidence.get("best_val_epoch")
    head = "<tr><th>epoch</th>" + "".join(f"<th>{escape(k)}</th>" for k in keys) + "</tr>"
    rows = []
    values = {k: (curves[k], curves.recorded(k)) for k in keys}
    for pos, epoch in enumerate(curves.epochs):
        shown = int(epoch) + 1
        mark = ' class="best" style="font-weight:bold"' if shown == best else ""
        cells = "".join(
            f"<td>{_fmt(values[k][0][pos]) if values[k][1][pos] else 'NA'}</td>" for k in keys
        )
        rows.append(f"<tr{mark}><td>{shown}{' (best)' if shown == best else ''}</td>{cells}</tr>")
    return f'<table class="history">{head}{"".join(rows)}</table>'


def _comparison(items: list[ReportRun], images: str) -> list[str]:
    metric = next(
        (r.diagnosis.evidence.get("metric") for r in items if r.diagnosis.evidence.get("metric")),
        None,
    )
    test_keys = sorted({k for r in items for k in (r.test or {})})
    head = ["run", "verdict", "best epoch", "train loss", "val loss (best)"]
    if metric:
        head += [f"train {metric}", f"val {metric}"]
    head += [f"test {k}" for k in test_keys]
    head += ["variance (val - train error)", "val loss rise since best"]
    rows = []
    for r in items:
        ev = r.diagnosis.evidence
        cells = [
            f'<td class="name">{escape(r.name)}</td>',
            f"<td>{_badge(r.diagnosis.verdict)}</td>",
            f"<td>{_fmt(ev.get('best_val_epoch'))}</td>",
            f"<td>{_fmt(ev.get('final_train_loss'))}</td>",
            f"<td>{_fmt(ev.get('best_val_loss'))}</td>",
        ]
        if metric:
            cells += [
                f"<td>{_fmt(ev.get('final_train_metric'))}</td>",
                f"<td>{_fmt(ev.get('final_val_metric'))}</td>",
            ]
        cells += [f"<td>{_fmt((r.test or {}).get(k))}</td>" for k in test_keys]
        var, rise = ev.get("variance"), ev.get("val_rise_since_best")
        cells += [
            f"<td>{'' if var is None else f'{var:.1%}'}</td>",
            f"<td>{'' if rise is None else f'{rise:+.0%}'}</td>",
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    table = (
        '<table class="comparison"><tr>'
        + "".join(
            f"<th{' class=name' if i == 0 else ''}>{escape(h)}</th>" for i, h in enumerate(head)
        )
        + "</tr>"
        + "".join(rows)
        + "</table>"
    )
    overlay = _overlay(items, metric if metric and higher_is_better(metric) else None, images)
    return [
        f'<section class="summary"><h2>Side by side</h2>{table}</section>',
        f'<section class="plots"><h2>Learning curves, overlaid</h2>{overlay}</section>',
    ]


def _overlay(items: list[ReportRun], metric: str | None, images: str) -> str:
    runs = {r.name: r.diagnosis for r in items}
    if images == "png":
        from .plots import figure_png, plot_comparison

        data = base64.b64encode(figure_png(plot_comparison(runs, metric=metric))).decode()
        return f'<figure><img src="data:image/png;base64,{data}" alt="overlaid curves"></figure>'
    if images == "svg":
        return '<div class="charts">' + "".join(svg.comparison_charts(runs, metric)) + "</div>"
    return (
        "<pre>"
        + escape("\n\n".join(render_terminal(r.diagnosis, title=r.name) for r in items))
        + "</pre>"
    )


def _reproduce(command: str | None, config: Mapping[str, Any] | None, level: int) -> list[str]:
    if not command and not config:
        return []
    out = [f'<section class="reproduce">{_h(level, "Reproduce")}']
    if command:
        out.append(f'<pre class="command">{escape(command)}</pre>')
    if config:
        text = json.dumps(config, indent=2, sort_keys=True, default=str)
        out.append(f'<pre class="config">{escape(text)}</pre>')
    out.append("</section>")
    return out


def _thresholds_section(d: Diagnosis) -> str:
    used = d.thresholds.to_dict()
    rows = "".join(
        f'<tr><td class="name"><code>{escape(name)}</code></td>'
        f"<td>{escape(str(used.get(name.lower(), value)))}</td>"
        f'<td class="name">{escape(doc.splitlines()[0])}</td></tr>'
        for name, value, doc in thresholds.describe()
    )
    return (
        '<section class="thresholds"><details><summary>Thresholds used '
        '(kerasnp.lab.thresholds)</summary><table><tr><th class="name">name</th>'
        f'<th>value</th><th class="name">meaning</th></tr>{rows}</table></details></section>'
    )


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool | int | np.integer):
        return escape(str(v))
    try:
        f = float(v)
    except (TypeError, ValueError):
        return escape(str(v))
    return escape(f"{f:.4g}")
