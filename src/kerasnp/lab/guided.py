"""`kerasnp lab`: the guided study of overfitting, its cures, and underfitting.

On one fixed MNIST subset, with one seed, the lab trains:

1. a linear baseline (softmax regression), the reference for underfitting;
2. a deliberately overfitting MLP: a wide hidden layer, few training images,
   many epochs;
3. the fix the lab itself suggests for it (its top suggestion, applied);
4. the classic cures side by side: L2 weight decay, Dropout, EarlyStopping;
5. an underfitting MLP (far too much L2), and the fix the lab suggests for it;

then prints a table of every run with its verdict and writes one report.
Every run is reproducible with the ``kerasnp train`` command shown in the
report. The sizes (`LAB`) were chosen so that the whole study runs
in about a minute on a 2-core laptop; docs/lab-rules.md has the timings.
"""

from __future__ import annotations

import shlex
import time
import types
from typing import Any

from .experiment import (
    Console,
    Experiment,
    changes_text,
    images_for,
    load,
    report_run,
    save_run,
    train_command,
    write_comparison,
    write_report_with_progress,
)
from .run_config import RunConfig, first_applicable
from .run_folder import new_folder
from .runs import RunResult, format_table, results_table

#: The guided run's settings; the sizes, and the wall time they take, are
#: in docs/lab-rules.md ("The guided run").
LAB = {
    "subset": 10000,  # training images
    "validation_size": 2000,  # further training-set images held out for validation
    "test_size": 5000,
    "epochs": 20,
    "hidden": (256,),  # one wide hidden layer: 200k weights for 10k images
    "l2": 1e-3,
    "dropout": 0.5,  # the rate of Srivastava et al. (2014) for hidden units
    "patience": 3,
    "underfit_l2": 1e-2,  # ten times the L2 that works: the model cannot fit
}


def plan(epochs: int, seed: int) -> dict[str, RunConfig]:
    """The runs of the study (before the suggested fixes are known)."""
    over = RunConfig(
        hidden=LAB["hidden"], epochs=epochs, validation_split=0.0, seed=seed, batch_size=32
    )
    return {
        "overfit": over,
        "L2": over.replace(l2=LAB["l2"]),
        "Dropout": over.replace(dropout=LAB["dropout"]),
        "EarlyStopping": over.replace(early_stopping=LAB["patience"]),
        "underfit": over.replace(l2=LAB["underfit_l2"]),
    }


def run_lab(args: Any, console: Console) -> int:
    start = time.perf_counter()
    ds = load(args.dataset)
    settings = types.SimpleNamespace(
        subset=args.subset,
        validation_size=LAB["validation_size"],
        test_size=LAB["test_size"],
        scale="auto",
        seed=args.seed,
    )
    exp = Experiment(ds, settings, console)
    runs = plan(args.epochs, args.seed)
    data = exp.data(0.0)
    folder = new_folder(args.out, "lab")
    say = console.say
    say("kerasnp lab: overfitting, its cures, and underfitting, on one small dataset.")
    say(exp.describe(0.0))
    say()

    results: dict[str, RunResult] = {}
    folders: dict[str, Any] = {}
    labels: dict[str, str] = {}

    def train(key: str, cfg: RunConfig, label: str) -> RunResult:
        for done in results.values():
            if done.config == cfg:  # the same settings ran already: reuse, do not retrain
                labels[key] = f"{label} (the same run as {done.name!r})"
                return done
        folders[key] = folder / f"{len(results) + 1:02d}-{key.lower()}"
        r = exp.run(label, cfg, folders[key])
        results[key] = r
        labels[key] = label
        return r

    say("1. The reference: softmax regression (no hidden layer) on the same data.")
    base = exp.baseline(0.0)
    say(f"   {_scores(base)}; verdict: {base.diagnosis.verdict}")
    say()
    say(
        f"2. A wide network ({runs['overfit'].hidden[0]} units) on {data.info['train_samples']} "
        f"images for {args.epochs} epochs: built to overfit."
    )
    over = train("overfit", runs["overfit"], "overfit")
    _report(say, over)
    say()
    pick = first_applicable(over.diagnosis, over.config)
    if pick is not None:
        suggestion, cfg = pick
        say(
            f"3. {_which(over, suggestion)}, applied and retrained (same data, same seed):\n"
            f"   {suggestion}"
        )
        fix = train("fix", cfg, f"fix: {changes_text(suggestion.changes)}")
        _report(say, fix, label=labels["fix"])
        say()
    say("4. The classic cures, one at a time:")
    for key, label in (
        ("L2", f"L2 {LAB['l2']:g}"),
        ("Dropout", f"Dropout {LAB['dropout']:g}"),
        ("EarlyStopping", f"EarlyStopping({LAB['patience']})"),
    ):
        r = train(key, runs[key], label)
        _report(say, r, label=labels[key])
    say()
    say(f"5. The opposite problem: far too much L2 ({LAB['underfit_l2']:g}) on the same network.")
    under = train("underfit", runs["underfit"], f"underfit: L2 {LAB['underfit_l2']:g}")
    _report(say, under)
    pick = first_applicable(under.diagnosis, under.config)
    if pick is not None:
        suggestion, cfg = pick
        say(f"   {_which(under, suggestion)}: {suggestion}")
        r = train("underfit_fix", cfg, f"underfit fix: {changes_text(suggestion.changes)}")
        _report(say, r, label=labels["underfit_fix"])
    say()

    ordered = [base] + list(results.values())
    say(format_table(results_table(ordered)))
    say()
    for key, r in results.items():
        save_run(args, exp, r, folders[key])
    write_comparison(folder, ordered, args, console)
    report = write_report_with_progress(
        folder / "report.html",
        [report_run(r, train_command(args.dataset, r.config, exp), data) for r in ordered],
        console,
        images=images_for(args),
        title=f"kerasnp lab: overfitting and underfitting on {data.info['dataset']}",
        command=shlex.join(["kerasnp", *args.argv]),
        config={
            "lab": {k: list(v) if isinstance(v, tuple) else v for k, v in LAB.items()},
            "epochs": args.epochs,
            "data": data.info,
        },
    )
    say(
        "How to read it: each verdict comes with the rule that fired and its numbers; "
        "docs/lab-rules.md explains every rule."
    )
    say(f"Everything is in {folder}/ (one folder per run: model, history, curves).")
    say(f"Open the report: {report}")
    say(f"The lab took {time.perf_counter() - start:.0f} s.")
    return 0


def _scores(r: RunResult) -> str:
    parts = [
        f"{split} accuracy {v['accuracy']:.1%}" for split, v in r.final.items() if "accuracy" in v
    ]
    return ", ".join(parts)


def _report(say, r: RunResult, label: str | None = None) -> None:
    d = r.diagnosis
    say(f"   {label or r.name}: {_scores(r)}")
    say(
        f"   -> {d.verdict.upper().replace('_', ' ')}"
        + (f": {d.reason.message}" if d.reason else "")
    )


def _which(r: RunResult, suggestion) -> str:
    if suggestion is r.diagnosis.suggestions[0]:
        return "The lab's top suggestion"
    return "The first of the lab's suggestions that changes a setting"
