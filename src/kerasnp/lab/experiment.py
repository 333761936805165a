"""What the ``kerasnp`` commands share: the console, the data and baseline of one
experiment, the reproducing command line, the run records and the report.

Example:
    >>> from kerasnp.lab.run_config import RunConfig
    >>> print(train_command("mnist", RunConfig(hidden=(64,), l2=1e-3, epochs=5)))
    ... # doctest: +NORMALIZE_WHITESPACE
    kerasnp train mnist --hidden 64 --l2 0.001 --optimizer adam --learning-rate 0.001
        --epochs 5 --batch-size 32 --validation-split 0.2 --seed 0
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path
from typing import Any

from .._errors import KerasnpError
from .data import Dataset, Prepared, load_dataset, prepare
from .report import ReportRun, write_report
from .run_config import RunConfig, check_config
from .run_folder import environment, write_run
from .runs import (
    RunResult,
    baseline_numbers,
    format_table,
    linear_baseline,
    results_table,
    train_run,
)


class UsageError(Exception):
    """A problem with the arguments or the input files: exit status 2, with this message."""


class Console:
    """Results to stdout; progress and notes to stderr (unless quiet); Unicode or ASCII charts."""

    def __init__(self, args: Any):
        self.out, self.err = sys.stdout, sys.stderr
        self.quiet = bool(getattr(args, "quiet", False))
        encoding = getattr(self.out, "encoding", None) or "ascii"
        try:
            "▁•○━".encode(encoding)
            unicode_ok = True
        except (UnicodeEncodeError, LookupError):
            unicode_ok = False
        self.ascii = bool(getattr(args, "ascii", False)) or not unicode_ok

    def say(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def note(self, text: str) -> None:
        if not self.quiet:
            print(text, file=self.err, flush=True)

    @property
    def progress(self) -> bool:
        return not self.quiet


# -- shared pieces -------------------------------------------------------------------------


def config_from_args(args: Any) -> RunConfig:
    try:
        return check_config(
            RunConfig(
                hidden=tuple(args.hidden),
                dropout=args.dropout,
                l2=args.l2,
                optimizer=args.optimizer,
                learning_rate=args.learning_rate,
                clipnorm=args.clipnorm,
                epochs=args.epochs,
                batch_size=args.batch_size,
                early_stopping=args.early_stopping,
                validation_split=0.0 if args.validation_size else args.validation_split,
                seed=args.seed,
            )
        )
    except KerasnpError as exc:
        raise UsageError(str(exc)) from None


def load(spec: str, image_shape: Any = None) -> Dataset:
    try:
        return load_dataset(spec, image_shape=image_shape)
    except KerasnpError as exc:
        raise UsageError(str(exc)) from None


class Experiment:
    """One dataset, prepared once per validation split, with one linear baseline each.

    Every run of a command shares the data subset and seed, so variants and
    fixes are compared on exactly the same samples.
    """

    def __init__(self, ds: Dataset, args: Any, console: Console, *, baseline: bool = True):
        self.ds, self.console = ds, console
        self.subset = args.subset
        self.validation_size = getattr(args, "validation_size", None)
        self.test_size = getattr(args, "test_size", None)
        self.scale = getattr(args, "scale", "auto")
        self.seed = args.seed
        self.use_baseline = baseline
        self._data: dict[float, Prepared] = {}
        self._baselines: dict[float, RunResult | None] = {}

    def data(self, validation_split: float) -> Prepared:
        if validation_split not in self._data:
            try:
                self._data[validation_split] = prepare(
                    self.ds,
                    subset=self.subset,
                    validation_split=validation_split,
                    validation_size=self.validation_size,
                    test_size=self.test_size,
                    seed=self.seed,
                    scale=self.scale,
                )
            except KerasnpError as exc:
                raise UsageError(str(exc)) from None
        return self._data[validation_split]

    def baseline(self, validation_split: float) -> RunResult | None:
        if not self.use_baseline:
            return None
        if validation_split not in self._baselines:
            self._baselines[validation_split] = linear_baseline(
                self.data(validation_split), seed=self.seed, progress=self.console.progress
            )
        return self._baselines[validation_split]

    def run(self, name: str, cfg: RunConfig, folder: Path | None = None) -> RunResult:
        data = self.data(cfg.validation_split)
        base = self.baseline(cfg.validation_split)
        csv_path = None
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
            csv_path = folder / "history.csv"
        return train_run(
            name,
            cfg,
            data,
            baseline=baseline_numbers(base) if base is not None else None,
            csv_path=csv_path,
            progress=self.console.progress,
        )

    def describe(self, validation_split: float) -> str:
        i = self.data(validation_split).info
        return (
            f"Data: {i['dataset']}: {i['train_samples']} training, {i['validation_samples']} "
            f"validation, {i['test_samples']} test samples (seed {i['seed']}); "
            f"{i['preprocessing']}"
        )


def train_command(dataset: str, cfg: RunConfig, exp: Experiment | None = None, **extra) -> str:
    """The ``kerasnp train`` command line that reproduces one run."""
    argv = ["kerasnp", "train", dataset]
    if exp is not None:
        if exp.subset:
            argv += ["--subset", str(exp.subset)]
        if exp.validation_size:
            argv += ["--validation-size", str(exp.validation_size)]
        if exp.test_size:
            argv += ["--test-size", str(exp.test_size)]
        if exp.scale != "auto":
            argv += ["--scale", exp.scale]
    argv += ["--hidden", ",".join(map(str, cfg.hidden)) or "none"]
    if cfg.dropout:
        argv += ["--dropout", f"{cfg.dropout:g}"]
    if cfg.l2:
        argv += ["--l2", f"{cfg.l2:g}"]
    argv += ["--optimizer", cfg.optimizer, "--learning-rate", f"{cfg.lr:g}"]
    if cfg.clipnorm:
        argv += ["--clipnorm", f"{cfg.clipnorm:g}"]
    argv += ["--epochs", str(cfg.epochs), "--batch-size", str(cfg.batch_size)]
    if not (exp and exp.validation_size):
        argv += ["--validation-split", f"{cfg.validation_split:g}"]
    if cfg.early_stopping is not None:
        argv += ["--early-stopping", str(cfg.early_stopping)]
    argv += ["--seed", str(cfg.seed)]
    for key, value in extra.items():
        argv += [f"--{key.replace('_', '-')}", str(value)]
    return shlex.join(argv)


def meta(args: Any, exp: Experiment, cfg: RunConfig, command: str) -> dict[str, Any]:
    """What config.json records besides the run itself."""
    data = exp.data(cfg.validation_split)
    base = exp.baseline(cfg.validation_split)
    return {
        "command": command,
        "invoked_as": shlex.join(["kerasnp", *args.argv]),
        "data": data.info,
        "preprocessing": data.preprocessing.to_dict(),
        "baseline": baseline_numbers(base) if base is not None else None,
        "environment": environment(),
    }


def save_run(args: Any, exp: Experiment, result: RunResult, folder: Path, **extra: Any) -> str:
    """The run folder of one result (`write_run`), with its data's preprocessing and
    `meta`; returns the command that repeats the run."""
    cfg = result.config
    command = train_command(args.dataset, cfg, exp)
    write_run(
        folder,
        result,
        exp.data(cfg.validation_split).preprocessing,
        meta=meta(args, exp, cfg, command) | extra,
        plots=not getattr(args, "no_plots", False),
    )
    return command


def finish(
    folder: Path, runs: list[ReportRun], console: Console, args: Any, **kwargs: Any
) -> None:
    """Write the report of a `train` or `compare` folder and say where both are."""
    report = write_report_with_progress(
        folder / "report.html",
        runs,
        console,
        images=images_for(args),
        command=shlex.join(["kerasnp", *args.argv]),
        **kwargs,
    )
    console.say()
    console.say(f"Run folder: {folder}")
    console.say(f"Report:     {report}")


def report_run(result: RunResult, command: str, data: Prepared) -> ReportRun:
    return ReportRun(
        result.name,
        result.history,
        result.diagnosis,
        config={"run": result.config.to_dict(), "data": data.info},
        command=command,
        test=result.final.get("test"),
    )


def write_report_with_progress(
    path: Path, runs: list[ReportRun], console: Console, *, images: str, **kwargs: Any
) -> Path:
    """The report; drawing its plots is the slow part, so say so."""
    console.note(f"Writing the report ({len(runs)} run{'s' if len(runs) != 1 else ''}) ...")
    return write_report(path, runs if len(runs) > 1 else runs[0], images=images, **kwargs)


def images_for(args: Any) -> str:
    return "svg" if getattr(args, "no_plots", False) else "auto"


def verdict_line(result: RunResult) -> str:
    d = result.diagnosis
    why = d.reason.message if d.reason else ""
    return f"{result.name}: {d.verdict.upper().replace('_', ' ')}" + (f" - {why}" if why else "")


def write_comparison(folder: Path, results: list[RunResult], args: Any, console: Console) -> None:
    rows = results_table(results)
    (folder / "table.txt").write_text(format_table(rows) + "\n", encoding="utf-8")
    summary = [
        {
            "name": r.name,
            "verdict": r.diagnosis.verdict,
            "final": r.final,
            "best_val_epoch": r.diagnosis.evidence.get("best_val_epoch"),
            "epochs_run": r.epochs_run,
            "config": r.config.to_dict(),
        }
        for r in results
    ]
    (folder / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    if not getattr(args, "no_plots", False):
        from .plots import has_matplotlib, plot_comparison

        if has_matplotlib():
            plot_comparison(
                {r.name: r.diagnosis for r in results},
                folder / "comparison.png",
                title="validation (solid) and training (dashed) curves",
            )


def changes_text(changes: dict[str, Any]) -> str:
    """``{"l2": 0.001, "epochs": 40}`` -> ``"l2=0.001, epochs=40"``."""
    return ", ".join(
        f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in changes.items()
    )


def slug(name: str) -> str:
    keep = "".join(c if c.isalnum() or c in "-_.=" else "-" for c in name.lower())
    return keep.strip("-")[:40] or "run"
