"""What each ``kerasnp`` subcommand does (the parser is in `cli.py`, the guided run in `guided.py`).

Every command prints its results to standard output and its progress bars to
standard error. A problem with the arguments or the input files raises
`UsageError` (exit status 2); other failures raise `KerasnpError` (status 1).
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from .._errors import KerasnpError
from .experiment import (
    Console,
    Experiment,
    UsageError,
    changes_text,
    config_from_args,
    finish,
    load,
    report_run,
    save_run,
    slug,
    train_command,
    verdict_line,
    write_comparison,
)
from .report import ReportRun, write_report
from .run_config import apply_changes, first_applicable, parse_variants
from .run_folder import new_folder
from .runs import RunResult, baseline_numbers, format_table, results_table

__all__ = ["DEFAULT_VARIANTS", "UsageError", "compare", "diagnose_file", "lab", "predict", "train"]

DEFAULT_VARIANTS = "base;l2=1e-3;dropout=0.3;l2=1e-3,dropout=0.3"


# -- train -----------------------------------------------------------------------------------


def _start(args: Any, console: Any, validation_split: float, kind: str) -> tuple:
    """Load the data, split it, name the run folder and train the linear baseline:
    the start `train` and `compare` share. Returns `(exp, data, folder, baseline)`."""
    exp = Experiment(
        load(args.dataset, args.image_shape), args, console, baseline=not args.no_baseline
    )
    data = exp.data(validation_split)
    folder = new_folder(args.out, kind)
    console.note(exp.describe(validation_split))
    base = exp.baseline(validation_split)
    if base is not None:
        console.note(_baseline_line(base))
    return exp, data, folder, base


def train(args: Any) -> int:
    console = Console(args)
    cfg = config_from_args(args)
    exp, data, folder, base = _start(args, console, cfg.validation_split, "train")
    result = exp.run("run", cfg, folder)
    command = save_run(args, exp, result, folder)
    _print_diagnosis(console, result)
    runs = [report_run(result, command, data)]
    if args.try_fix:
        fix = _try_fix(args, exp, result, folder, console)
        if fix is not None:
            runs.append(
                report_run(
                    fix,
                    train_command(args.dataset, fix.config, exp),
                    exp.data(fix.config.validation_split),
                )
            )
            console.say(format_table(results_table([result, fix])))
    finish(folder, runs, console, args, title=f"kerasnp train: {data.info['dataset']}")
    return 0


def _baseline_line(base: RunResult) -> str:
    n = baseline_numbers(base)
    parts = [f"training loss {n['loss']:.3f}, accuracy {n['accuracy']:.1%}"]
    if "val_accuracy" in n:
        parts.append(f"validation accuracy {n['val_accuracy']:.1%}")
    return "Linear baseline (softmax regression): " + "; ".join(parts)


def _print_diagnosis(console: Console, result: RunResult) -> None:
    from .terminal import render_terminal

    console.say(
        render_terminal(
            result.diagnosis, title=f"Learning curves of {result.name}", ascii=console.ascii
        )
    )
    console.say()
    console.say(str(result.diagnosis))
    console.say()
    scores = ", ".join(
        f"{split} accuracy {v['accuracy']:.2%}"
        for split, v in result.final.items()
        if "accuracy" in v
    )
    console.say(f"Final model ({result.epochs_run} epochs, {result.seconds:.1f}s): {scores}")


def _try_fix(
    args: Any, exp: Experiment, result: RunResult, folder: Path, console: Console
) -> RunResult | None:
    pick = first_applicable(result.diagnosis, result.config)
    if pick is None:
        console.say(
            "\n--try-fix: no suggestion changes a setting this command controls; "
            "nothing to retrain."
        )
        return None
    suggestion, cfg = pick
    which = (
        "the top suggestion"
        if suggestion is result.diagnosis.suggestions[0]
        else "the first suggestion that changes a setting"
    )
    console.say(f"\n--try-fix: retraining with {which} applied: {suggestion}")
    console.say(f"  changes: {json.dumps(suggestion.changes)}")
    fix = exp.run(f"fix: {changes_text(suggestion.changes)}", cfg, folder / "fix")
    save_run(args, exp, fix, folder / "fix", suggestion=suggestion.to_dict())
    console.say(verdict_line(result))
    console.say(verdict_line(fix))
    return fix


# -- compare ---------------------------------------------------------------------------------


def compare(args: Any) -> int:
    console = Console(args)
    base_cfg = config_from_args(args)
    try:
        variants = [
            (name, apply_changes(base_cfg, ch)) for name, ch in parse_variants(args.variants)
        ]
    except KerasnpError as exc:
        raise UsageError(f"--variants: {exc}") from None
    exp, data, folder, base = _start(args, console, base_cfg.validation_split, "compare")
    results, runs = [], []
    for i, (name, cfg) in enumerate(variants):
        sub = folder / f"{i + 1:02d}-{slug(name)}"
        r = exp.run(name, cfg, sub)
        command = save_run(args, exp, r, sub)
        results.append(r)
        runs.append(report_run(r, command, exp.data(cfg.validation_split)))
    console.say(format_table(results_table(results)))
    console.say()
    for r in results:
        console.say(verdict_line(r))
    write_comparison(folder, results, args, console)
    finish(
        folder,
        runs,
        console,
        args,
        title=f"kerasnp compare: {data.info['dataset']}",
        config={"base": base_cfg.to_dict(), "variants": args.variants, "data": data.info},
    )
    return 0


# -- diagnose --------------------------------------------------------------------------------


def diagnose_file(args: Any) -> int:
    from .diagnose import diagnose
    from .terminal import render_terminal

    console = Console(args)
    path = Path(args.file)
    if path.is_dir():
        path = next(
            (path / n for n in ("history.json", "history.csv") if (path / n).is_file()), path
        )
    if not path.is_file():
        raise UsageError(f"no history file at {args.file!r}")
    baseline = _run_folder_baseline(path)
    if baseline:
        console.note(f"Linear baseline from {path.parent / 'config.json'}")
    try:
        d = diagnose(str(path), num_classes=args.num_classes, metric=args.metric, baseline=baseline)
    except KerasnpError as exc:
        raise UsageError(str(exc)) from None
    if args.json:
        console.say(d.to_json(indent=1))
    else:
        if not args.no_chart:
            console.say(render_terminal(d, ascii=console.ascii))
            console.say()
        console.say(str(d))
    if args.report:
        out = write_report(
            args.report,
            ReportRun(path.name, d.curves, d),
            command=shlex.join(["kerasnp", *args.argv]),
        )
        console.note(f"Report: {out}")
    return 0


def _run_folder_baseline(history_path: Path) -> dict | None:
    """The linear baseline recorded in the config.json of a kerasnp run folder, if any."""
    config = history_path.parent / "config.json"
    if not config.is_file():
        return None
    try:
        baseline = json.loads(config.read_text(encoding="utf-8")).get("baseline")
    except (ValueError, AttributeError):
        return None
    return baseline if isinstance(baseline, dict) and baseline else None


# -- predict ---------------------------------------------------------------------------------


def predict(args: Any) -> int:
    from ..saving import load_model
    from .predict import format_predictions, load_inputs, predict_samples
    from .run_folder import find_preprocessing, resolve_model_path

    console = Console(args)
    try:
        path = resolve_model_path(args.model)
    except KerasnpError as exc:
        raise UsageError(str(exc)) from None
    pre, where = find_preprocessing(path)
    if pre is None:
        raise UsageError(
            f"{path} carries no preprocessing record (it was not written by `kerasnp train`), "
            "and there is no preprocessing.json beside it: the lab cannot know how the "
            "training inputs were scaled."
        )
    model = load_model(str(path), compile=False)
    try:
        samples = load_inputs(args.inputs, pre, invert=args.invert)
    except KerasnpError as exc:
        raise UsageError(str(exc)) from None
    results = predict_samples(model, pre, samples, prescaled=args.prescaled, top=args.top)
    if args.json:
        console.say(json.dumps(results, indent=1))
    else:
        console.note(f"Model {path} ({pre.dataset}); preprocessing from {where}: {pre.describe()}")
        console.say(format_predictions(results))
    return 0


def lab(args: Any) -> int:
    from .guided import run_lab

    return run_lab(args, Console(args))
