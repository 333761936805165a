"""`EarlyStopping`: end `fit` when a watched value stops improving."""

from __future__ import annotations

import warnings
from typing import Any

from .._errors import check_bool, check_float, check_int
from .monitor import MonitorCallback


class EarlyStopping(MonitorCallback):
    """Stop training when `monitor` has not improved for `patience` epochs.

    At each epoch end (from `start_from_epoch` on), a counter `wait` goes up
    by one, and back to 0 when the value improves on the best so far by more
    than `min_delta` (and, with a `baseline`, also beats the baseline).
    Training stops once `wait >= patience` (never at epoch 0). Keras's exact
    algorithm, so the same values stop at the same epoch.

    Args:
        monitor: the value to watch. Defaults to `"val_loss"`.
        min_delta: a smaller change is not an improvement. Defaults to `0`.
        patience: epochs without improvement before stopping. Defaults to `0`.
        verbose: 1 prints when training stops and when weights are restored.
            Defaults to `0`.
        mode: `"min"`, `"max"` or `"auto"` (see `MonitorCallback`).
            Defaults to `"auto"`.
        baseline: a value the monitor must beat to reset `wait`; if it never
            does, training stops after `patience` epochs. Defaults to `None`.
        restore_best_weights: at the end of training, put back the weights
            of the best epoch, whether or not training stopped early (as
            Keras 3). Defaults to `False`.
        start_from_epoch: epochs of warm-up during which nothing is
            watched. Defaults to `0`.

    Example:
    >>> stop = EarlyStopping(monitor="val_loss", patience=2)
    >>> stop.patience
    2
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ):
        super().__init__(monitor, mode, min_delta=min_delta)
        owner = "EarlyStopping"
        self.patience = check_int(owner, "patience", patience, minimum=0)
        self.verbose = check_int(owner, "verbose", verbose, minimum=0)
        self.baseline = check_float(owner, "baseline", baseline, allow_none=True)
        self.restore_best_weights = check_bool(owner, "restore_best_weights", restore_best_weights)
        self.start_from_epoch = check_int(owner, "start_from_epoch", start_from_epoch, minimum=0)
        self.wait = 0
        self.stopped_epoch = 0
        self.best_epoch = 0
        self.best_weights: list[Any] | None = None

    def on_train_begin(self, logs=None):
        # one instance may serve several fit calls
        self.wait = 0
        self.stopped_epoch = 0
        self.best = None
        self.best_weights = None
        self.best_epoch = 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        current = self.get_monitor_value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # until something improves, the first watched epoch is the best
            self.best_weights = self.model.get_weights()
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping", flush=True)
        if self.restore_best_weights and self.best_weights is not None:
            if self.verbose > 0:
                print(
                    "Restoring model weights from the end of the best epoch: "
                    f"{self.best_epoch + 1}.",
                    flush=True,
                )
            self.model.set_weights(self.best_weights)

    def get_monitor_value(self, logs: dict[str, Any] | None) -> float | None:
        """`logs[monitor]`, or None with a warning naming the available keys."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"Early stopping conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs)}",
                stacklevel=2,
            )
            return None
        return float(value)

    def __repr__(self) -> str:
        return (
            f"EarlyStopping(monitor={self.monitor!r}, patience={self.patience}, "
            f"mode={self.mode!r}, restore_best_weights={self.restore_best_weights})"
        )
