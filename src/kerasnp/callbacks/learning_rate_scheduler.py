"""`LearningRateScheduler`: set the learning rate at the start of each epoch."""

from __future__ import annotations

import inspect
import math
import numbers
from collections.abc import Callable

from .._errors import KerasnpError, check_int, invalid
from .callback import Callback
from .reduce_lr_on_plateau import current_learning_rate


def _takes_two_arguments(fn: Callable) -> bool:
    """Whether `fn(epoch, lr)` is a valid call (else it is the older `fn(epoch)`)."""
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have no signature
        return True
    try:
        signature.bind(0, 0.0)
    except TypeError:
        return False
    return True


class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate from `schedule(epoch, lr)` before each epoch.

    Each epoch end also records the learning rate as `logs["learning_rate"]`.

    Args:
        schedule: a function of the epoch index (from 0) and the current
            learning rate (a float) that returns the new learning rate. A
            function of the epoch alone is accepted too (Keras's older form).
        verbose: 1 prints the rate set at each epoch. Defaults to `0`.

    Raises:
        KerasnpError: `schedule` is not callable, or returns something that is
            not a finite number >= 0.

    Example:
    >>> def halve_after_ten(epoch, lr):
    ...     return lr if epoch < 10 else lr * 0.5
    >>> LearningRateScheduler(halve_after_ten).schedule is halve_after_ten
    True
    """

    def __init__(self, schedule: Callable, verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise invalid(
                "LearningRateScheduler",
                "schedule",
                "a function schedule(epoch, lr) -> float",
                schedule,
            )
        self.schedule = schedule
        self.verbose = check_int("LearningRateScheduler", "verbose", verbose, minimum=0)
        self._two_arguments = _takes_two_arguments(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        if self._two_arguments:
            lr = self.schedule(epoch, current_learning_rate(self.model))
        else:
            lr = self.schedule(epoch)
        if (
            not isinstance(lr, numbers.Real)
            or isinstance(lr, bool)
            or not math.isfinite(lr)
            or lr < 0
        ):
            raise KerasnpError(
                "The output of the `schedule` function should be a float >= 0. "
                f"Got: {lr!r} (at epoch {epoch})"
            )
        self.model.optimizer.learning_rate = float(lr)
        if self.verbose > 0:
            print(
                f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.",
                flush=True,
            )

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = current_learning_rate(self.model)

    def __repr__(self) -> str:
        return f"LearningRateScheduler(schedule={self.schedule!r}, verbose={self.verbose})"
