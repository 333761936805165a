"""Learning-rate schedules: the learning rate as a function of the step.

An optimizer given a schedule as its `learning_rate` evaluates it at its
`iterations` count (the number of updates done so far, 0 for the first one)
before every update. The formulas are those of Keras 3.

Example:
>>> schedule = ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5)
>>> schedule(0), schedule(10), schedule(20)
(0.1, 0.05, 0.025)
"""

from __future__ import annotations

import itertools
import math
import numbers
from typing import Any

from .. import _registry
from .._errors import KerasnpError, check_bool, check_float, invalid, reject_keywords

__all__ = [
    "LearningRateSchedule",
    "ExponentialDecay",
    "InverseTimeDecay",
    "PiecewiseConstantDecay",
    "PolynomialDecay",
    "CosineDecay",
    "CosineDecayRestarts",
    "serialize",
    "deserialize",
]


def _step(owner: str, step: Any) -> float:
    try:
        return float(step)
    except (TypeError, ValueError):
        raise invalid(owner, "step", "a number", step) from None


def _number(owner: str, name: str, value: Any, **bounds: Any) -> Any:
    """Check a number with `check_float`, and keep ints as Python ints for the config."""
    checked = check_float(owner, name, value, **bounds)
    if checked is None or not isinstance(value, numbers.Integral):
        return checked
    return int(value)


def _positive(owner: str, name: str, value: Any) -> Any:
    return _number(owner, name, value, low=0.0, low_open=True)


def _name(owner: str, value: Any) -> str:
    if not isinstance(value, str):
        raise invalid(owner, "name", "a string", value)
    return value


class LearningRateSchedule:
    """Base class of schedules: `schedule(step) -> learning rate` (a float).

    A subclass defines `__call__(step)` and `get_config()` (its constructor
    arguments).

    Example:
    >>> class Halving(LearningRateSchedule):
    ...     def __call__(self, step):
    ...         return 0.1 * 0.5 ** step
    ...     def get_config(self):
    ...         return {}
    >>> Halving()(3)
    0.0125
    """

    def __call__(self, step: int) -> float:
        raise NotImplementedError(f"{type(self).__name__} must define `__call__(self, step)`.")

    def get_config(self) -> dict[str, Any]:
        raise NotImplementedError(
            f"{type(self).__name__} must define `get_config()` to be serializable."
        )

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> LearningRateSchedule:
        """Rebuild a schedule from `get_config()`."""
        return cls(**config)

    def __repr__(self) -> str:
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


class ExponentialDecay(LearningRateSchedule):
    """Exponential decay: `initial_learning_rate * decay_rate ** (step / decay_steps)`.

    With `staircase=True` the exponent is `floor(step / decay_steps)`, so the
    rate drops once every `decay_steps` steps.

    Args:
        initial_learning_rate: the rate at step 0, a float >= 0.
        decay_steps: the steps over which the rate is multiplied by
            `decay_rate`, a float > 0.
        decay_rate: the factor, a float >= 0.
        staircase: whether to decay in whole steps. Defaults to `False`.
        name: a name. Defaults to `"ExponentialDecay"`.

    Example:
    >>> ExponentialDecay(1.0, 4, 0.5, staircase=True)(7)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "ExponentialDecay",
        **kwargs: Any,
    ):
        reject_keywords(type(self).__name__, kwargs, type(self))
        owner = type(self).__name__
        self.initial_learning_rate = _number(
            owner, "initial_learning_rate", initial_learning_rate, low=0.0
        )
        self.decay_steps = _positive(owner, "decay_steps", decay_steps)
        self.decay_rate = _number(owner, "decay_rate", decay_rate, low=0.0)
        self.staircase = check_bool(owner, "staircase", staircase)
        self.name = _name(owner, name)

    def _progress(self, step: int) -> float:
        """`step / decay_steps`, rounded down with `staircase`."""
        p = _step(type(self).__name__, step) / self.decay_steps
        return math.floor(p) if self.staircase else p

    def __call__(self, step: int) -> float:
        return self.initial_learning_rate * self.decay_rate ** self._progress(step)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "decay_rate": self.decay_rate,
            "staircase": self.staircase,
            "name": self.name,
        }


class InverseTimeDecay(ExponentialDecay):
    """Inverse-time decay: `initial_learning_rate / (1 + decay_rate * step / decay_steps)`.

    With `staircase=True`, `step / decay_steps` is rounded down.

    Args:
        initial_learning_rate: the rate at step 0, a float >= 0.
        decay_steps: a float > 0.
        decay_rate: a float >= 0.
        staircase: whether to decay in whole steps. Defaults to `False`.
        name: a name. Defaults to `"InverseTimeDecay"`.

    Example:
    >>> InverseTimeDecay(0.1, decay_steps=1, decay_rate=0.5)(2)
    0.05
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        decay_rate: float,
        staircase: bool = False,
        name: str = "InverseTimeDecay",
        **kwargs: Any,
    ):
        super().__init__(initial_learning_rate, decay_steps, decay_rate, staircase, name, **kwargs)

    def __call__(self, step: int) -> float:
        return self.initial_learning_rate / (1.0 + self.decay_rate * self._progress(step))


class PiecewiseConstantDecay(LearningRateSchedule):
    """A constant rate on each interval between boundaries.

    The rate is `values[0]` while `step <= boundaries[0]`, `values[i]` while
    `boundaries[i-1] < step <= boundaries[i]`, and `values[-1]` after the
    last boundary.

    Args:
        boundaries: increasing steps, a list of numbers.
        values: the rates, one more than the boundaries.
        name: a name. Defaults to `"PiecewiseConstant"`.

    Raises:
        KerasnpError: `len(values) != len(boundaries) + 1`, or the boundaries
            decrease.

    Example:
    >>> schedule = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    >>> schedule(10), schedule(11), schedule(21)
    (1.0, 0.5, 0.1)
    """

    def __init__(
        self,
        boundaries: list[float],
        values: list[float],
        name: str = "PiecewiseConstant",
        **kwargs: Any,
    ):
        reject_keywords(type(self).__name__, kwargs, type(self))
        owner = type(self).__name__
        if isinstance(boundaries, (str, bytes)) or not hasattr(boundaries, "__len__"):
            raise invalid(owner, "boundaries", "a list of numbers", boundaries)
        if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
            raise invalid(owner, "values", "a list of numbers", values)
        boundaries = [_number(owner, "boundaries", b) for b in boundaries]
        values = [_number(owner, "values", v) for v in values]
        if len(values) != len(boundaries) + 1:
            raise KerasnpError(
                f"Invalid arguments of {owner}: expected one more value than boundaries. "
                f"Received: boundaries={boundaries} (length {len(boundaries)}), "
                f"values={values} (length {len(values)})"
            )
        if any(b > c for b, c in itertools.pairwise(boundaries)):
            raise invalid(owner, "boundaries", "increasing steps", boundaries)
        self.boundaries = boundaries
        self.values = values
        self.name = _name(owner, name)

    def __call__(self, step: int) -> float:
        step = _step(type(self).__name__, step)
        for boundary, value in zip(self.boundaries, self.values[:-1], strict=True):
            if step <= boundary:
                return float(value)
        return float(self.values[-1])

    def get_config(self) -> dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """Polynomial decay from `initial_learning_rate` to `end_learning_rate`.

    `(initial - end) * (1 - step / decay_steps) ** power + end`, with `step`
    capped at `decay_steps`. With `cycle=True`, `decay_steps` is instead
    multiplied by `ceil(step / decay_steps)` (1 at step 0), so the decay
    restarts from a lower height after every cycle.

    Args:
        initial_learning_rate: a float >= 0.
        decay_steps: a float > 0.
        end_learning_rate: a float >= 0. Defaults to `0.0001`.
        power: a float. Defaults to `1.0` (linear).
        cycle: whether to cycle. Defaults to `False`.
        name: a name. Defaults to `"PolynomialDecay"`.

    Example:
    >>> PolynomialDecay(1.0, 10, end_learning_rate=0.0)(5)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        end_learning_rate: float = 0.0001,
        power: float = 1.0,
        cycle: bool = False,
        name: str = "PolynomialDecay",
        **kwargs: Any,
    ):
        reject_keywords(type(self).__name__, kwargs, type(self))
        owner = type(self).__name__
        self.initial_learning_rate = _number(
            owner, "initial_learning_rate", initial_learning_rate, low=0.0
        )
        self.decay_steps = _positive(owner, "decay_steps", decay_steps)
        self.end_learning_rate = _number(owner, "end_learning_rate", end_learning_rate, low=0.0)
        self.power = _number(owner, "power", power)
        self.cycle = check_bool(owner, "cycle", cycle)
        self.name = _name(owner, name)

    def __call__(self, step: int) -> float:
        step = _step(type(self).__name__, step)
        decay_steps = self.decay_steps
        if self.cycle:
            decay_steps *= 1.0 if step == 0 else math.ceil(step / self.decay_steps)
        else:
            step = min(step, decay_steps)
        fraction = 1.0 - step / decay_steps
        span = self.initial_learning_rate - self.end_learning_rate
        return span * fraction**self.power + self.end_learning_rate

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "end_learning_rate": self.end_learning_rate,
            "power": self.power,
            "cycle": self.cycle,
            "name": self.name,
        }


class CosineDecay(LearningRateSchedule):
    """Cosine decay, with an optional linear warmup (Loshchilov & Hutter, 2017).

    Without warmup (`warmup_target=None`): with `s = min(step, decay_steps)`,
    `lr = initial * ((1 - alpha) * 0.5 * (1 + cos(pi * s / decay_steps)) + alpha)`.

    With `warmup_target`, the rate first rises linearly from
    `initial_learning_rate` to `warmup_target` over `warmup_steps` steps, then
    decays from `warmup_target` as above over the next `decay_steps` steps.

    Args:
        initial_learning_rate: a float >= 0.
        decay_steps: a float > 0.
        alpha: the final rate as a fraction of the start. Defaults to `0.0`.
        name: a name. Defaults to `"CosineDecay"`.
        warmup_target: the rate at the end of the warmup, or None (no
            warmup). Defaults to `None`.
        warmup_steps: the warmup length. Defaults to `0`.

    Example:
    >>> CosineDecay(1.0, decay_steps=10)(5)
    0.5
    >>> CosineDecay(0.0, 10, warmup_target=1.0, warmup_steps=4)(2)
    0.5
    """

    def __init__(
        self,
        initial_learning_rate: float,
        decay_steps: float,
        alpha: float = 0.0,
        name: str = "CosineDecay",
        warmup_target: float | None = None,
        warmup_steps: float = 0,
        **kwargs: Any,
    ):
        reject_keywords(type(self).__name__, kwargs, type(self))
        owner = type(self).__name__
        self.initial_learning_rate = _number(
            owner, "initial_learning_rate", initial_learning_rate, low=0.0
        )
        self.decay_steps = _positive(owner, "decay_steps", decay_steps)
        self.alpha = _number(owner, "alpha", alpha, low=0.0, high=1.0)
        self.name = _name(owner, name)
        self.warmup_target = _number(
            owner, "warmup_target", warmup_target, low=0.0, allow_none=True
        )
        self.warmup_steps = _number(owner, "warmup_steps", warmup_steps, low=0.0)

    def _decay(self, step: float, start: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * step / self.decay_steps))
        return start * ((1.0 - self.alpha) * cosine + self.alpha)

    def __call__(self, step: int) -> float:
        step = _step(type(self).__name__, step)
        if self.warmup_target is None:
            return self._decay(min(step, self.decay_steps), self.initial_learning_rate)
        step = min(step, self.decay_steps + self.warmup_steps)
        if step < self.warmup_steps:
            rise = self.warmup_target - self.initial_learning_rate
            return self.initial_learning_rate + rise * step / self.warmup_steps
        return self._decay(step - self.warmup_steps, self.warmup_target)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "decay_steps": self.decay_steps,
            "alpha": self.alpha,
            "name": self.name,
            "warmup_target": self.warmup_target,
            "warmup_steps": self.warmup_steps,
        }


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay with warm restarts (SGDR; Loshchilov & Hutter, 2017).

    The first period lasts `first_decay_steps`; each next one is `t_mul`
    times longer and starts from `m_mul` times the previous peak. Within a
    period at fraction `f`: `lr = initial * ((1 - alpha) * peak * 0.5 * (1 +
    cos(pi * f)) + alpha)`.

    Args:
        initial_learning_rate: a float >= 0.
        first_decay_steps: a float > 0.
        t_mul: the period growth factor, a float > 0. Defaults to `2.0`.
        m_mul: the peak decay factor, a float >= 0. Defaults to `1.0`.
        alpha: the floor as a fraction of the start. Defaults to `0.0`.
        name: a name. Defaults to `"SGDRDecay"`.

    Example:
    >>> schedule = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=1.0)
    >>> schedule(5), schedule(10)
    (0.5, 1.0)
    """

    def __init__(
        self,
        initial_learning_rate: float,
        first_decay_steps: float,
        t_mul: float = 2.0,
        m_mul: float = 1.0,
        alpha: float = 0.0,
        name: str = "SGDRDecay",
        **kwargs: Any,
    ):
        reject_keywords(type(self).__name__, kwargs, type(self))
        owner = type(self).__name__
        self.initial_learning_rate = _number(
            owner, "initial_learning_rate", initial_learning_rate, low=0.0
        )
        self.first_decay_steps = _positive(owner, "first_decay_steps", first_decay_steps)
        self.t_mul = _positive(owner, "t_mul", t_mul)
        self.m_mul = _number(owner, "m_mul", m_mul, low=0.0)
        self.alpha = _number(owner, "alpha", alpha, low=0.0, high=1.0)
        self.name = _name(owner, name)

    def __call__(self, step: int) -> float:
        fraction = _step(type(self).__name__, step) / self.first_decay_steps
        if self.t_mul == 1.0:
            restart = math.floor(fraction)
            fraction -= restart
        else:
            # Periods grow geometrically: period k starts at (1 - t^k) / (1 - t).
            restart = math.floor(
                math.log(1.0 - fraction * (1.0 - self.t_mul)) / math.log(self.t_mul)
            )
            start = (1.0 - self.t_mul**restart) / (1.0 - self.t_mul)
            fraction = (fraction - start) / self.t_mul**restart
        peak = self.m_mul**restart
        cosine = 0.5 * peak * (1.0 + math.cos(math.pi * fraction))
        return self.initial_learning_rate * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self) -> dict[str, Any]:
        return {
            "initial_learning_rate": self.initial_learning_rate,
            "first_decay_steps": self.first_decay_steps,
            "t_mul": self.t_mul,
            "m_mul": self.m_mul,
            "alpha": self.alpha,
            "name": self.name,
        }


_TABLE: dict[str, type] = {
    cls.__name__: cls
    for cls in (
        ExponentialDecay,
        InverseTimeDecay,
        PiecewiseConstantDecay,
        PolynomialDecay,
        CosineDecay,
        CosineDecayRestarts,
    )
}


def serialize(schedule: LearningRateSchedule) -> dict[str, Any]:
    """The Keras-style config dict of a schedule.

    Example:
    >>> serialize(ExponentialDecay(0.1, 10, 0.5))["class_name"]
    'ExponentialDecay'
    """
    return _registry.serialize(schedule, "keras.optimizers.schedules")


def deserialize(config: dict[str, Any]) -> LearningRateSchedule:
    """Build a schedule from `serialize()`'s dict.

    Raises:
        KerasnpError: the class name is not a schedule.

    Example:
    >>> deserialize({"class_name": "CosineDecay", "config": {
    ...     "initial_learning_rate": 1.0, "decay_steps": 10}})(10)
    0.0
    """
    result = _registry.resolve(
        "learning rate schedule", config, _TABLE, LearningRateSchedule, instantiate=False
    )
    if not isinstance(result, LearningRateSchedule):
        raise KerasnpError(f"Could not interpret learning rate schedule identifier: {config!r}")
    return result
