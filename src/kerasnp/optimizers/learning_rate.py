"""An optimizer's learning rate: a float, a `LearningRateSchedule` or a callable.

A float lives in a state variable, `learning_rate`, kept right after
`iteration` as in Keras, so it is saved with the state and can be changed
during training. A schedule is evaluated at the number of calls so far; a
callable takes no arguments and returns the rate. The config holds the float,
the serialized schedule or the callable.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from .._errors import KerasnpError, invalid
from ..variables import Variable
from .schedules import LearningRateSchedule
from .schedules import deserialize as _deserialize_schedule
from .schedules import serialize as _serialize_schedule


def check_learning_rate(owner: str, value: Any) -> Any:
    """`value` as a float, or the schedule or callable itself.

    Example:
    >>> check_learning_rate("SGD", 1)
    1.0
    """
    if isinstance(value, LearningRateSchedule):
        return value
    if callable(value) and not isinstance(value, numbers.Number):
        return value
    ok = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not ok or not math.isfinite(value) or value < 0:
        raise invalid(
            owner, "learning_rate", "a float >= 0, a LearningRateSchedule or a callable", value
        )
    return float(value)


def learning_rate_from_config(value: Any) -> Any:
    """The `learning_rate` of a config, with a serialized schedule rebuilt."""
    if isinstance(value, Mapping):
        return _deserialize_schedule(value)
    return value


class OptimizerLearningRate:
    """The `learning_rate` property of `Optimizer` (which provides `_state`,
    `_iteration`, `_new_state` and `name`)."""

    _state: list[Variable]
    _new_state: Callable[[np.ndarray, str], Variable]
    _iteration: Variable
    _lr_variable: Variable | None
    _lr_function: Any
    name: str

    @property
    def learning_rate(self) -> float:
        """The current learning rate, a float (a schedule is evaluated at the
        number of calls so far). Settable to a float or a schedule."""
        if self._lr_variable is not None:
            return float(self._lr_variable.value)
        if isinstance(self._lr_function, LearningRateSchedule):
            return float(self._lr_function(int(self._iteration.value)))
        return float(self._lr_function())

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        value = check_learning_rate(type(self).__name__, value)
        if isinstance(value, float) and self._lr_variable is None:
            raise KerasnpError(
                f"The learning rate of {type(self).__name__} `{self.name}` is a schedule or a "
                "function, so it cannot be set to a float; create the optimizer with a float "
                "`learning_rate` to change it during training. "
                f"Received: learning_rate={value!r}"
            )
        self._set_learning_rate(value)

    def _set_learning_rate(self, value: Any) -> None:
        if isinstance(value, float):
            if self._lr_variable is None:
                self._lr_variable = self._new_state(np.array(value), "learning_rate")
                # Keras keeps `learning_rate` right after `iteration`.
                self._state.insert(1, self._state.pop())
            else:
                self._lr_variable.value[()] = value
            return
        if self._lr_variable is not None:
            self._state.remove(self._lr_variable)
            self._lr_variable = None
        self._lr_function = value

    def _learning_rate_config(self) -> Any:
        """The `learning_rate` entry of `get_config()`: the float, the
        serialized schedule, or the callable."""
        if self._lr_variable is not None:
            return float(self._lr_variable.value)
        if isinstance(self._lr_function, LearningRateSchedule):
            return _serialize_schedule(self._lr_function)
        return self._lr_function
