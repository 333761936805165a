"""The lab's training runs: an MLP described by a `RunConfig`, trained, measured and diagnosed.

`train_run` builds a kerasnp ``Sequential`` (Dense layers with ReLU, optional
L2 on every kernel and Dropout after every hidden layer, a softmax output),
trains it with `TrainingEval` logging the inference-mode training loss,
evaluates the model it ends with on the training, validation and test data,
and diagnoses the curves against the `linear_baseline` (softmax regression
on the same data). The configs and their changes are in `run_config`.

Runs are repeatable: every run with the same config and seed starts from the
same weights (each layer gets its own seed) and sees the same batches.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import time
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from ..callbacks import Callback, CSVLogger, EarlyStopping
from ..utils.progbar import Progbar
from .callbacks import TrainingEval
from .data import Prepared
from .diagnose import Diagnosis, diagnose
from .run_config import RunConfig, check_config

#: Training samples `TrainingEval` measures at each epoch end.
EVAL_SAMPLES = 5000


# -- models ---------------------------------------------------------------------------


def build_model(cfg: RunConfig, input_dim: int, num_classes: int):
    """The MLP of `cfg`, compiled, with one seed per layer (same config = same weights)."""
    from .. import Input, Sequential, initializers, layers, optimizers, regularizers
    from ..utils import set_random_seed

    set_random_seed(cfg.seed)
    stack: list[Any] = [Input(shape=(input_dim,))]
    widths = list(cfg.hidden) + [num_classes]
    for i, units in enumerate(widths):
        last = i == len(widths) - 1
        stack.append(
            layers.Dense(
                units,
                activation="softmax" if last else "relu",
                kernel_initializer=initializers.GlorotUniform(seed=cfg.seed * 1000 + i),
                kernel_regularizer=regularizers.L2(cfg.l2) if cfg.l2 else None,
                name="output" if last else f"hidden_{i + 1}",
            )
        )
        if not last and cfg.dropout:
            stack.append(
                layers.Dropout(cfg.dropout, seed=cfg.seed * 1000 + 500 + i, name=f"dropout_{i + 1}")
            )
    model = Sequential(stack, name="lab_mlp" if cfg.hidden else "softmax_regression")
    config: dict[str, Any] = {"learning_rate": cfg.lr}
    if cfg.clipnorm:
        config["clipnorm"] = cfg.clipnorm
    # optimizers.get reads the lab's lower-case names ("adam", "rmsprop") as Keras does
    opt = optimizers.get({"class_name": cfg.optimizer, "config": config})
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


# -- running ----------------------------------------------------------------------------


class EpochProgress(Callback):
    """One progress bar per run, one step per epoch, with the epoch's loss and accuracy."""

    SHOWN = ("loss", "val_loss", "eval_accuracy", "val_accuracy")

    def __init__(self, epochs: int, stream: TextIO | None = None):
        super().__init__()
        self.bar = Progbar(epochs, unit_name="epoch", stream=stream)
        self.done = 0

    def on_epoch_end(self, epoch, logs=None):
        self.done += 1
        values = {k: (logs or {})[k] for k in self.SHOWN if k in (logs or {})}
        self.bar.update(self.done, values, finalize=self.done >= (self.bar.target or 0))

    def on_train_end(self, logs=None):
        if self.bar.target and self.done < self.bar.target:  # stopped early
            self.bar.update(self.done, None, finalize=True)


@dataclasses.dataclass
class RunResult:
    """A finished run: its curves, the model it ended with, its scores and its diagnosis."""

    name: str
    config: RunConfig
    history: Any
    diagnosis: Diagnosis
    model: Any
    final: dict[str, dict[str, float]]
    seconds: float
    epochs_run: int

    def score(self, split: str, key: str = "accuracy") -> float | None:
        return self.final.get(split, {}).get(key)

    @property
    def gap(self) -> float | None:
        """Training minus validation accuracy of the final model."""
        tr, va = self.score("train"), self.score("val")
        return None if tr is None or va is None else tr - va


def train_run(
    name: str,
    cfg: RunConfig,
    data: Prepared,
    *,
    baseline: dict[str, float] | None = None,
    csv_path: str | Path | None = None,
    stream: TextIO | None = None,
    progress: bool = True,
) -> RunResult:
    """Train `cfg` on `data`, evaluate the final model, and diagnose the curves.

    Args:
        name: shown in progress lines, tables and reports.
        cfg: the run.
        data: the preprocessed arrays (validation data required for a diagnosis
            of overfitting; without it the lab says so).
        baseline: the linear baseline's final numbers (`baseline_numbers`).
        csv_path: if given, a CSVLogger file of every epoch (with ``eval_*``).
        stream: where progress goes (defaults to standard error).
        progress: draw the progress bar.
    """
    check_config(cfg)
    stream = stream or sys.stderr
    pre = data.preprocessing
    model = build_model(cfg, pre.input_dim, pre.num_classes)
    evaluator = TrainingEval(data.x_train, data.y_train, max_samples=EVAL_SAMPLES, seed=cfg.seed)
    callbacks: list[Callback] = [evaluator]
    has_val = data.x_val is not None
    if cfg.early_stopping is not None:
        callbacks.append(
            EarlyStopping(
                monitor="val_loss" if has_val else "eval_loss",
                mode="min",
                patience=cfg.early_stopping,
                restore_best_weights=True,
            )
        )
    if csv_path is not None:
        callbacks.append(CSVLogger(str(csv_path)))
    if progress:
        print(f"{name}: {cfg.describe(pre.input_dim, pre.num_classes)}", file=stream, flush=True)
        callbacks.append(EpochProgress(cfg.epochs, stream))
    start = time.perf_counter()
    history = model.fit(
        data.x_train,
        data.y_train,
        batch_size=cfg.batch_size,
        epochs=cfg.epochs,
        verbose=0,
        callbacks=callbacks,
        validation_data=(data.x_val, data.y_val) if has_val else None,
    )
    seconds = time.perf_counter() - start
    if len(history.epoch) < cfg.epochs and not model.stop_training:
        # fit turns Ctrl-C into "stop after this batch" and returns; a command-line study
        # should stop there too, not go on to its next run
        raise KeyboardInterrupt
    final = {"train": evaluator.measure()}
    for split, x, y in (("val", data.x_val, data.y_val), ("test", data.x_test, data.y_test)):
        if x is not None:
            final[split] = {
                k: float(v)
                for k, v in model.evaluate(
                    x, y, batch_size=256, verbose=0, return_dict=True
                ).items()
            }
    history.params["eval_samples"] = evaluator.n_samples
    d = diagnose(history, baseline=baseline, num_classes=pre.num_classes)
    return RunResult(name, cfg, history, d, model, final, seconds, len(history.epoch))


#: The quick linear baseline: softmax regression, Adam with a larger step, few epochs.
BASELINE_CONFIG = RunConfig(
    hidden=(), optimizer="adam", learning_rate=0.003, epochs=10, batch_size=32, early_stopping=2
)


def linear_baseline(
    data: Prepared, *, seed: int = 0, stream: TextIO | None = None, progress: bool = True
) -> RunResult:
    """Softmax regression (one Dense softmax layer) on the same data: the lab's reference
    for "a network should fit its training data clearly better than this"."""
    cfg = BASELINE_CONFIG.replace(
        seed=seed, early_stopping=BASELINE_CONFIG.early_stopping if data.x_val is not None else None
    )
    return train_run("linear baseline", cfg, data, stream=stream, progress=progress)


def baseline_numbers(result: RunResult) -> dict[str, float]:
    """The baseline's final model scores, in the form `diagnose(baseline=...)` takes."""
    out = {"loss": result.final["train"]["loss"], "accuracy": result.final["train"]["accuracy"]}
    if "val" in result.final:
        out["val_loss"] = result.final["val"]["loss"]
        out["val_accuracy"] = result.final["val"]["accuracy"]
    return {k: v for k, v in out.items() if v is not None and math.isfinite(v)}


def results_table(results: list[RunResult]) -> list[list[str]]:
    """Rows for a side-by-side table: header first."""
    head = ["run", "train acc", "val acc", "test acc", "gap", "best epoch", "epochs", "verdict"]
    rows = [head]
    for r in results:
        ev = r.diagnosis.evidence
        rows.append(
            [
                r.name,
                _pct(r.score("train")),
                _pct(r.score("val")),
                _pct(r.score("test")),
                _pct(r.gap, signed=True),
                str(ev.get("best_val_epoch") or "-"),
                f"{r.epochs_run}/{r.config.epochs}",
                r.diagnosis.verdict,
            ]
        )
    return rows


def format_table(rows: list[list[str]]) -> str:
    """Plain text columns: the first left-aligned, the rest right-aligned."""
    widths = [max(len(row[j]) for row in rows) for j in range(len(rows[0]))]
    lines = []
    for i, row in enumerate(rows):
        cells = [
            c.ljust(w) if j == 0 or j == len(row) - 1 else c.rjust(w)
            for j, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if i == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _pct(x: float | None, signed: bool = False) -> str:
    if x is None or not np.isfinite(x):
        return "-"
    return f"{x:+.1%}" if signed else f"{x:.1%}"
