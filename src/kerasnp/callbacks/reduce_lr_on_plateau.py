"""`ReduceLROnPlateau`: lower the learning rate when progress stalls."""

from __future__ import annotations

import numbers
import warnings
from typing import Any

import numpy as np

from .._errors import KerasnpError, check_float, check_int, unexpected_keywords
from .monitor import MonitorCallback


def current_learning_rate(model: Any) -> float:
    """The optimizer's learning rate as Keras reports it: a float32 value."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise KerasnpError(
            "This callback changes the learning rate, so the model must be "
            "compiled with an optimizer that has a `learning_rate`."
        )
    return float(np.float32(optimizer.learning_rate))


class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by `factor` after `patience` epochs without
    improvement of `monitor`.

    Each epoch end also records the learning rate in use (before any change)
    as `logs["learning_rate"]`, so it appears in `history.history`.

    Args:
        monitor: the value to watch. Defaults to `"val_loss"`.
        factor: `new_lr = lr * factor`, a float in [0, 1). Defaults to `0.1`.
        patience: epochs without improvement before a reduction.
            Defaults to `10`.
        verbose: 1 prints each reduction. Defaults to `0`.
        mode: `"min"`, `"max"` or `"auto"`. Defaults to `"auto"`.
        min_delta: a smaller change is not an improvement. Defaults to `1e-4`.
        cooldown: epochs to wait after a reduction before counting again.
            Defaults to `0`.
        min_lr: the learning rate never goes below this. Defaults to `0.0`.

    Raises:
        KerasnpError: `factor >= 1.0`, or another invalid argument.

    Example:
    >>> ReduceLROnPlateau(factor=0.5, patience=2).factor
    0.5
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
        **kwargs: Any,
    ):
        if kwargs:
            raise unexpected_keywords(
                "ReduceLROnPlateau",
                kwargs,
                [
                    "monitor",
                    "factor",
                    "patience",
                    "verbose",
                    "mode",
                    "min_delta",
                    "cooldown",
                    "min_lr",
                ],
            )
        super().__init__(monitor, mode, min_delta=min_delta)
        owner = "ReduceLROnPlateau"
        if isinstance(factor, numbers.Real) and not isinstance(factor, bool) and factor >= 1.0:
            raise KerasnpError(
                f"ReduceLROnPlateau does not support a factor >= 1.0. Received factor={factor}"
            )
        self.factor = check_float(owner, "factor", factor, low=0.0, high=1.0, high_open=True)
        self.patience = check_int(owner, "patience", patience, minimum=0)
        self.verbose = check_int(owner, "verbose", verbose, minimum=0)
        self.cooldown = check_int(owner, "cooldown", cooldown, minimum=0)
        self.min_lr = check_float(owner, "min_lr", min_lr, low=0.0)
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self) -> None:
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def in_cooldown(self) -> bool:
        return self.cooldown_counter > 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = {} if logs is None else logs
        logs["learning_rate"] = current_learning_rate(self.model)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                f"which is not available. Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return
        current = float(current)
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, epoch: int) -> bool:
        # Keras compares in float32, the dtype of its learning-rate variable,
        # so the last reduction towards `min_lr` happens exactly when it does there.
        old_lr = current_learning_rate(self.model)
        if not old_lr > np.float32(self.min_lr):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        self.model.optimizer.learning_rate = new_lr
        if self.verbose > 0:
            print(
                f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.",
                flush=True,
            )
        return True

    def __repr__(self) -> str:
        return (
            f"ReduceLROnPlateau(monitor={self.monitor!r}, factor={self.factor}, "
            f"patience={self.patience}, min_lr={self.min_lr})"
        )
