"""`MonitorCallback`: the "did the watched value improve?" logic shared by
`EarlyStopping`, `ModelCheckpoint` and `ReduceLROnPlateau`.

The rule is Keras's: in `"min"` mode a value improves on `best` when
`value < best - |min_delta|`; in `"max"` mode when `value > best + |min_delta|`;
anything improves on `best=None`. `"auto"` minimises `loss`/`val_loss` and
otherwise asks the compiled metric of that name for its `_direction`.
"""

from __future__ import annotations

import operator
from typing import Any

from .._errors import KerasnpError, check_choice, check_float, invalid
from .callback import Callback

MODES = ("auto", "min", "max")


def check_monitor(owner: str, monitor: Any) -> str:
    if not isinstance(monitor, str) or not monitor:
        raise invalid(owner, "monitor", "the name of a logged value, e.g. 'val_loss'", monitor)
    return monitor


class MonitorCallback(Callback):
    """Base class of callbacks that watch one logged value for improvements.

    Args:
        monitor: the key of `logs` to watch. Defaults to `"val_loss"`.
        mode: `"min"`, `"max"` or `"auto"` (minimise losses; for a metric,
            follow its direction, e.g. maximise accuracy). Defaults to `"auto"`.
        baseline: the initial best value, or None (the first value is then
            an improvement). Defaults to `None`.
        min_delta: the smallest change that counts as an improvement (its
            absolute value is used). Defaults to `0`.

    Raises:
        KerasnpError: an invalid argument; or, at the first epoch end,
            `mode="auto"` with a monitor whose direction is unknown.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        mode: str = "auto",
        baseline: Any = None,
        min_delta: float = 0,
    ):
        super().__init__()
        owner = type(self).__name__
        self.monitor = check_monitor(owner, monitor)
        self.mode = check_choice(owner, "mode", mode, MODES)
        self.best = check_float(owner, "baseline", baseline, allow_none=True)
        self.min_delta = abs(check_float(owner, "min_delta", min_delta))
        self.monitor_op: Any = None

    def _set_monitor_op(self) -> None:
        """Choose `<` or `>` (and the sign of `min_delta`), once the metrics exist."""
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            name = self.monitor.removeprefix("val_")
            if name == "loss":
                self.monitor_op = operator.lt
            for metric in getattr(self.model, "metrics", None) or []:
                direction = getattr(metric, "_direction", None)
                if getattr(metric, "name", None) == name and direction in ("up", "down"):
                    self.monitor_op = operator.gt if direction == "up" else operator.lt
            if self.monitor_op is None:
                raise KerasnpError(
                    f"{type(self).__name__} callback received monitor={self.monitor}, but "
                    "kerasnp isn't able to automatically determine whether that metric should "
                    "be maximized or minimized. Pass `mode='max'` in order to monitor based on "
                    "the highest metric value, or pass `mode='min'` in order to use the lowest "
                    "value."
                )
        if self.monitor_op is operator.lt:
            self.min_delta = -abs(self.min_delta)

    def _is_improvement(self, value: float, reference: float | None) -> bool:
        if reference is None:
            return True
        return bool(self.monitor_op(value - self.min_delta, reference))
