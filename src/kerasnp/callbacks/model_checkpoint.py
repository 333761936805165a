"""`ModelCheckpoint`: save the model (or its weights) during training."""

from __future__ import annotations

import os
import warnings
from typing import Any

from .._errors import KerasnpError, check_bool, check_float, check_int, invalid
from .monitor import MonitorCallback
from .save_frequency import checked_save_freq


class ModelCheckpoint(MonitorCallback):
    """Save the model at the end of each epoch (or every `save_freq` batches).

    `filepath` may hold `str.format` fields filled from the epoch (from 1)
    and the logs: `"ckpt-{epoch:02d}-{val_loss:.2f}.keras"` gives
    `ckpt-03-0.41.keras`; with `save_freq` in batches, `{batch}` is the batch
    (from 1) too. Files are written atomically, so a checkpoint on disk is
    always complete, even if training is interrupted while it is written.

    Args:
        filepath: a `.keras` path (the whole model: resuming from it with
            `load_model` continues training exactly), or with
            `save_weights_only=True`, a `.weights.npz` path (or
            `.weights.h5`, which needs h5py).
        monitor: the value `save_best_only` compares. Defaults to `"val_loss"`.
        verbose: 1 prints each save (and each skipped save). Defaults to `0`.
        save_best_only: save only when `monitor` improves on the best so far
            (a fixed `filepath` then always holds the best model).
            Defaults to `False`.
        save_weights_only: save only the weights (and the optimizer state).
            Defaults to `False`.
        mode: `"min"`, `"max"` or `"auto"`. Defaults to `"auto"`.
        save_freq: `"epoch"`, or an int: save every that many batches.
            Defaults to `"epoch"`.
        initial_value_threshold: with `save_best_only`, the value to beat
            for the first save. Defaults to `None`.

    Raises:
        KerasnpError: an extension that does not fit `save_weights_only`, or
            another invalid argument.

    Example:
    >>> ModelCheckpoint("best.keras", save_best_only=True).save_best_only
    True
    """

    def __init__(
        self,
        filepath: Any,
        monitor: str = "val_loss",
        verbose: int = 0,
        save_best_only: bool = False,
        save_weights_only: bool = False,
        mode: str = "auto",
        save_freq: Any = "epoch",
        initial_value_threshold: float | None = None,
    ):
        owner = "ModelCheckpoint"
        threshold = check_float(
            owner, "initial_value_threshold", initial_value_threshold, allow_none=True
        )
        super().__init__(monitor, mode, threshold)
        if not isinstance(filepath, (str, os.PathLike)):
            raise invalid(owner, "filepath", "a path", filepath)
        self.filepath = os.fspath(filepath)
        self.verbose = check_int(owner, "verbose", verbose, minimum=0)
        self.save_best_only = check_bool(owner, "save_best_only", save_best_only)
        self.save_weights_only = check_bool(owner, "save_weights_only", save_weights_only)
        self.save_freq, self._batches = checked_save_freq(
            owner, save_freq, f"Unrecognized save_freq: {save_freq}. Expected save_freq "
            "are 'epoch' or integer values")
        self._check_extension()
        self._current_epoch = 0

    def _check_extension(self) -> None:
        from ..saving.arrays import h5py_or_error

        path = self.filepath
        if self.save_weights_only:
            if path.endswith(".weights.h5"):
                h5py_or_error("ModelCheckpoint(save_weights_only=True) with a `.weights.h5` path")
            elif not path.endswith(".weights.npz"):
                raise KerasnpError(
                    "When using `save_weights_only=True` in `ModelCheckpoint`, the filepath "
                    "provided must end in `.weights.npz` (kerasnp's format) or `.weights.h5` "
                    f"(Keras's format, needs h5py). Received: filepath={path}"
                )
        elif not path.endswith(".keras"):
            raise KerasnpError(
                "The filepath provided must end in `.keras` (Keras model "
                f"format). Received: filepath={path}"
            )

    # -------------------------------------------------------------- hooks
    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(self._current_epoch, batch, logs)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch":
            self._save_model(epoch, None, logs)

    def _should_save_on_batch(self, batch: int) -> bool:
        return self._batches is not None and self._batches.due(batch)

    # ------------------------------------------------------------- saving
    def _should_save_model(self, epoch: int, logs: dict[str, Any], filepath: str) -> bool:
        if not self.save_best_only:
            if self.verbose > 0:
                print(f"\nEpoch {epoch + 1}: saving model to {filepath}", flush=True)
            return True
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available.", stacklevel=3)
            return True
        current = float(current)
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print(
                    f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                    f"{current:.5f}, saving model to {filepath}",
                    flush=True,
                )
            self.best = current
            return True
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}", flush=True)
        return False

    def _save_model(self, epoch: int, batch: int | None, logs: dict[str, Any] | None) -> None:
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs or {}
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                "Please specify a non-directory filepath for "
                "ModelCheckpoint. Filepath used is an existing directory: "
                f"{filepath}"
            )
        directory = os.path.dirname(filepath)
        if directory:
            os.makedirs(directory, exist_ok=True)
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished saving model to {filepath}", flush=True)

    def _get_file_path(self, epoch: int, batch: int | None, logs: dict[str, Any]) -> str:
        fields = dict(logs)
        if batch is not None and "batch" not in logs:
            fields["batch"] = batch + 1
        fields["epoch"] = epoch + 1
        try:
            return self.filepath.format(**fields)
        except (KeyError, IndexError, ValueError) as exc:
            raise KerasnpError(
                f'Failed to format this callback filepath: "{self.filepath}". Reason: {exc!r}. '
                f"Available fields: {', '.join(sorted(fields))}."
            ) from exc

    def __repr__(self) -> str:
        return (
            f"ModelCheckpoint(filepath={self.filepath!r}, monitor={self.monitor!r}, "
            f"save_best_only={self.save_best_only}, "
            f"save_weights_only={self.save_weights_only}, save_freq={self.save_freq!r})"
        )
