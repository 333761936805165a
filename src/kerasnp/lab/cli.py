"""The ``kerasnp`` command: train, compare, diagnose, predict, and the guided ``lab``.

Run ``kerasnp --help`` or ``kerasnp COMMAND --help``; the same program runs as
``python -m kerasnp``. Results go to standard output, progress bars to
standard error. Exit status: 0 on success, 2 for invalid arguments or input
files (with a message saying what is wrong), 1 for any other failure.

Example:
    >>> parser = build_parser()
    >>> args = parser.parse_args(["train", "mnist", "--hidden", "256,128", "--l2", "1e-3"])
    >>> args.command, args.hidden, args.l2
    ('train', (256, 128), 0.001)
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence

from .._errors import KerasnpError
from . import commands
from .guided import LAB
from .run_config import OPTIMIZERS, RunConfig, parse_hidden

DESCRIPTION = """\
kerasnp: the Keras API on NumPy, and a fitting lab that reads learning curves
and says whether a model underfits or overfits, with the evidence, pictures
and what to try next.

Start with `kerasnp lab`: a guided run on the bundled MNIST (about a minute)."""

EPILOG = """\
examples:
  kerasnp lab                                   the guided overfitting/underfitting study
  kerasnp train mnist --subset 3000 --hidden 512 --epochs 40 --try-fix
  kerasnp compare fashion_mnist --subset 5000 --variants "base;l2=1e-3;dropout=0.3"
  kerasnp diagnose training.log --num-classes 10 --report report.html
  kerasnp predict kerasnp-runs/train-*/model.keras digit.png sample.npy

the rules behind each verdict: docs/lab-rules.md"""


# -- argument types (argparse turns their errors into exit status 2) -----------------------


def _number(kind, text: str, low=None, high=None, low_open=False, high_open=False, what=""):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected {'an integer' if kind is int else 'a number'}{what}, got {text!r}"
        ) from None
    if value != value or (low is not None and (value < low or (low_open and value == low))):
        raise argparse.ArgumentTypeError(f"expected a value{what}, got {text}")
    if high is not None and (value > high or (high_open and value == high)):
        raise argparse.ArgumentTypeError(f"expected a value{what}, got {text}")
    return value


def positive_int(text: str) -> int:
    return _number(int, text, 1, what=" >= 1")


def rate(text: str) -> float:
    return _number(float, text, 0.0, 1.0, high_open=True, what=" in [0, 1)")


def non_negative(text: str) -> float:
    return _number(float, text, 0.0, what=" >= 0")


def positive(text: str) -> float:
    return _number(float, text, 0.0, low_open=True, what=" > 0")


def hidden(text: str) -> tuple[int, ...]:
    try:
        return parse_hidden(text)
    except KerasnpError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def image_shape(text: str) -> tuple[int, ...]:
    parts = text.lower().replace("*", "x").split("x")
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        shape = ()
    if len(shape) not in (2, 3) or any(s < 1 for s in shape):
        raise argparse.ArgumentTypeError(f"expected HxW or HxWxC, e.g. 28x28, got {text!r}")
    return shape


def optimizer(text: str) -> str:
    name = text.lower()
    if name not in OPTIMIZERS:
        raise argparse.ArgumentTypeError(
            f"unknown optimizer {text!r}; choose from {', '.join(OPTIMIZERS)}"
        )
    return name


# -- the parser ------------------------------------------------------------------------------


def _data_options(p: argparse.ArgumentParser, *, subset: int | None) -> None:
    g = p.add_argument_group("data")
    g.add_argument(
        "dataset",
        nargs="?",
        default="mnist",
        help="mnist (bundled), fashion_mnist, or the path of an .npz file (x_train, y_train"
        "[, x_test, y_test]) or a .csv file (label column first or named 'label'); "
        "default: mnist",
    )
    g.add_argument(
        "--subset",
        type=positive_int,
        default=subset,
        metavar="N",
        help="use N random training samples (with --validation-split, the validation "
        "samples are taken from them)" + (f"; default: {subset}" if subset else "; default: all"),
    )
    g.add_argument(
        "--validation-split",
        type=rate,
        default=0.2,
        metavar="F",
        help="hold out this fraction of the training samples for validation; default: 0.2",
    )
    g.add_argument(
        "--validation-size",
        type=positive_int,
        metavar="N",
        help="instead of a split: validate on N further samples of the training set",
    )
    g.add_argument(
        "--test-size",
        type=positive_int,
        metavar="N",
        help="evaluate on N random test samples (default: the whole test set)",
    )
    g.add_argument(
        "--scale",
        choices=("auto", "255", "standardize", "none"),
        default="auto",
        help="input scaling: x/255 for 8-bit pixels, per-feature standardisation, or none; "
        "default: auto (255 for whole numbers in 0..255, none for values within [-1.5, "
        "1.5], else standardize)",
    )
    g.add_argument(
        "--image-shape",
        type=image_shape,
        metavar="HxW",
        help="the image shape of flat samples (e.g. 28x28 for a CSV of MNIST pixels), so "
        "that `kerasnp predict` accepts images",
    )


def _model_options(p: argparse.ArgumentParser, *, epochs: int) -> None:
    d = RunConfig()
    g = p.add_argument_group("model and training")
    g.add_argument(
        "--hidden",
        type=hidden,
        default=d.hidden,
        metavar="W1,W2",
        help="hidden layer widths (ReLU), e.g. 128,64; 'none' for softmax regression; "
        "default: 128,64",
    )
    g.add_argument(
        "--dropout",
        type=rate,
        default=0.0,
        metavar="R",
        help="Dropout rate after each hidden layer; default: 0",
    )
    g.add_argument(
        "--l2",
        type=non_negative,
        default=0.0,
        metavar="F",
        help="L2 factor on every Dense kernel; default: 0",
    )
    g.add_argument(
        "--optimizer",
        type=optimizer,
        default="adam",
        help=f"one of {', '.join(OPTIMIZERS)}; default: adam",
    )
    g.add_argument(
        "--learning-rate",
        "--lr",
        type=positive,
        metavar="LR",
        help="default: the optimizer's own (Adam 0.001, SGD 0.01)",
    )
    g.add_argument("--clipnorm", type=positive, metavar="N", help="clip each gradient to this norm")
    g.add_argument(
        "--epochs", type=positive_int, default=epochs, metavar="N", help=f"default: {epochs}"
    )
    g.add_argument("--batch-size", type=positive_int, default=32, metavar="N", help="default: 32")
    g.add_argument(
        "--early-stopping",
        type=positive_int,
        nargs="?",
        const=3,
        metavar="PATIENCE",
        help="stop when val_loss has not improved for PATIENCE epochs (default 3) and keep "
        "the best weights",
    )
    g.add_argument(
        "--seed",
        type=_seed,
        default=0,
        help="seed of the data subset, weights, Dropout and batch order; default: 0",
    )


def _seed(text: str) -> int:
    return _number(int, text, 0, what=" >= 0")


def _output_options(p: argparse.ArgumentParser, *, baseline: bool = True) -> None:
    g = p.add_argument_group("output")
    g.add_argument(
        "--out", metavar="DIR", help="the run folder (default: kerasnp-runs/<command>-<date-time>)"
    )
    if baseline:
        g.add_argument(
            "--no-baseline",
            action="store_true",
            help="skip the linear (softmax-regression) baseline run",
        )
    g.add_argument("--no-plots", action="store_true", help="write no PNG plots")
    g.add_argument("--quiet", "-q", action="store_true", help="no progress bars")
    g.add_argument("--ascii", action="store_true", help="7-bit text charts")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``kerasnp`` command."""
    parser = argparse.ArgumentParser(
        prog="kerasnp",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    from .. import __version__

    parser.add_argument("--version", action="version", version=f"kerasnp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser(
        "train",
        help="train an MLP, diagnose it, write a run folder",
        description="Train an MLP classifier, diagnose its learning curves against the "
        "chance loss and a linear baseline, and write a run folder (model.keras, "
        "history.csv, plots, report.html, config.json).",
    )
    _data_options(p, subset=None)
    _model_options(p, epochs=20)
    p.add_argument(
        "--try-fix",
        action="store_true",
        help="retrain with the top suggestion applied (same data and seed) and "
        "report both runs side by side",
    )
    _output_options(p)

    p = sub.add_parser(
        "compare",
        help="the regularization study: the same run as baseline, L2, Dropout, L2+Dropout",
        description="Train the same data, seed and architecture as several variants and put "
        "them side by side: a table, overlaid curves and one report.",
    )
    _data_options(p, subset=None)
    _model_options(p, epochs=20)
    p.add_argument(
        "--variants",
        default=commands.DEFAULT_VARIANTS,
        metavar="LIST",
        help="variants separated by ';', settings by ',' (l2, dropout, hidden=256+128, lr, "
        "optimizer, epochs, batch_size, early_stopping, clipnorm; 'name:' prefix optional); "
        f'default: "{commands.DEFAULT_VARIANTS}"',
    )
    _output_options(p)

    p = sub.add_parser(
        "diagnose",
        help="the verdict for a history file (CSV or JSON, from any framework)",
        description="Diagnose the learning curves in a CSVLogger CSV (Keras's or kerasnp's), "
        "a JSON history, or a kerasnp run folder.",
    )
    p.add_argument("file", help="a .csv or .json history, or a run folder")
    p.add_argument(
        "--num-classes",
        type=_classes,
        metavar="K",
        help="number of classes (gives the chance loss ln K)",
    )
    p.add_argument("--metric", help="the metric to judge (default: the first accuracy)")
    p.add_argument("--report", metavar="OUT.html", help="also write an HTML report")
    p.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    p.add_argument("--no-chart", action="store_true", help="no terminal charts")
    p.add_argument("--ascii", action="store_true", help="7-bit text charts")

    p = sub.add_parser(
        "predict",
        help="classes and probabilities for images (.png) or arrays (.npy)",
        description="Predict with a model trained by `kerasnp train` (a model.keras file or "
        "its run folder), preprocessing the inputs as in training.",
    )
    p.add_argument("model", help="a .keras file, or a run folder holding model.keras")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help=".npy arrays or images")
    p.add_argument(
        "--top",
        type=positive_int,
        default=3,
        metavar="K",
        help="show the K most likely classes; default: 3",
    )
    p.add_argument(
        "--invert",
        choices=("auto", "always", "never"),
        default="auto",
        help="invert image colours: auto when the background is the opposite of "
        "the training images'; default: auto",
    )
    p.add_argument(
        "--prescaled",
        action="store_true",
        help="the inputs are already scaled as the model's inputs (skip x/255)",
    )
    p.add_argument("--json", action="store_true", help="print JSON")

    p = sub.add_parser(
        "lab",
        help="the guided run: overfitting, its cures and underfitting, on MNIST",
        description="The guided default run: a deliberately overfitting MLP on a small MNIST "
        "subset next to its regularised variants (L2, Dropout, EarlyStopping), the fix the "
        "lab suggests, and an underfitting run, each with its verdict, a comparison table "
        "and a report.",
    )
    p.add_argument(
        "dataset",
        nargs="?",
        default="mnist",
        help="mnist (default) or fashion_mnist, or an .npz / .csv path",
    )
    p.add_argument(
        "--subset",
        type=positive_int,
        default=LAB["subset"],
        metavar="N",
        help=f"training images; default: {LAB['subset']}",
    )
    p.add_argument(
        "--epochs",
        type=positive_int,
        default=LAB["epochs"],
        metavar="N",
        help=f"epochs per run; default: {LAB['epochs']}",
    )
    p.add_argument("--seed", type=_seed, default=0, help="default: 0")
    _output_options(p, baseline=False)
    return parser


def _classes(text: str) -> int:
    return _number(int, text, 2, what=" >= 2")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kerasnp`` command line; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(list(argv) if argv is not None else None)
    if args.command is None:
        parser.print_help()
        return 0
    args.argv = list(argv) if argv is not None else sys.argv[1:]
    handler = {
        "train": commands.train,
        "compare": commands.compare,
        "diagnose": commands.diagnose_file,
        "predict": commands.predict,
        "lab": commands.lab,
    }[args.command]
    try:
        return handler(args)
    except commands.UsageError as exc:
        sub = parser._subparsers._group_actions[0].choices[args.command]  # noqa: SLF001
        sub.error(str(exc))  # exits with status 2
    except KerasnpError as exc:
        print(f"kerasnp {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"kerasnp {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `kerasnp ... | head`: the reader left; stop quietly
        with contextlib.suppress(OSError, ValueError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush at exit into the pipe
        return 141
    return 1  # pragma: no cover - sub.error exits
