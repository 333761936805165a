"""RMSprop: steps divided by a running root-mean-square of the gradient."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _parallel
from .._errors import check_bool, check_float
from ..variables import Variable
from . import fused
from .optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton, Coursera lecture 6e, 2012), as Keras 3 computes it.

        v = rho * v + (1 - rho) * g ** 2
        step = learning_rate * g / sqrt(v + epsilon)       (epsilon inside the root)
        w -= step

    With `centered=True` (Graves, 2013) a running mean `a` of `g` is kept too
    and the root is `sqrt(v - a ** 2 + epsilon)`. With `momentum > 0` a
    velocity accumulates the steps: `mom = momentum * mom + step; w -= mom`.

    Args:
        learning_rate: a float >= 0 or a schedule. Defaults to `0.001`.
        rho: the decay of the averages, in [0, 1). Defaults to `0.9`.
        momentum: a float in [0, 1]. Defaults to `0.0`.
        epsilon: a float >= 0. Defaults to `1e-7`.
        centered: whether to centre the second moment. Defaults to `False`.
        **kwargs: the arguments of `Optimizer` (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `name`, ...).

    Example:
    >>> import numpy as np
    >>> from kerasnp.variables import Variable
    >>> w = Variable(np.array([1.0], dtype="float32"), "w")
    >>> RMSprop(learning_rate=0.1, rho=0.75).apply([np.array([2.0], "float32")], [w])
    >>> w.value  # v = 0.25 * 4 = 1, so the step is 0.1 * 2 / 1
    array([0.8], dtype=float32)
    """

    _default_name = "rm_sprop"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = check_float("RMSprop", "rho", rho, low=0.0, high=1.0, high_open=True)
        self.momentum = check_float("RMSprop", "momentum", momentum, low=0.0, high=1.0)
        self.epsilon = check_float("RMSprop", "epsilon", epsilon, low=0.0)
        self.centered = check_bool("RMSprop", "centered", centered)

    def build(self, variables: list[Variable]) -> None:
        if self.built:
            return
        super().build(variables)
        self._velocities = self.add_optimizer_variables(variables, "velocity")
        self._momentums = (
            self.add_optimizer_variables(variables, "momentum") if self.momentum > 0 else []
        )
        self._average_gradients = (
            self.add_optimizer_variables(variables, "average_gradient") if self.centered else []
        )

    def _update_together(self, work: list[tuple], learning_rate: float) -> bool:
        if type(self).update_step is not RMSprop.update_step:  # a subclass's own update
            return False
        v = self._velocities
        mean = self._average_gradients if self.centered else None
        velocity = self._momentums if self.momentum > 0 else None
        rows = [(g, v[i].value, var.value, None if mean is None else mean[i].value,
                 None if velocity is None else velocity[i].value) for g, var, i in work]
        return fused.run_together(
            "rmsprop", rows, (self.rho, 1.0 - self.rho, self.epsilon, learning_rate,
                              self.momentum), self._together)

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        i = self._index[id(variable)]
        gradient, w, v = np.asarray(gradient), variable.value, self._velocities[i].value
        mean = self._average_gradients[i].value if self.centered else None
        velocity = self._momentums[i].value if self.momentum > 0 else None
        if fused.run("rmsprop", (gradient, v, w, mean, velocity),
                     (self.rho, 1.0 - self.rho, self.epsilon, learning_rate, self.momentum),
                     self._fused_views):
            return
        # element by element, so a large variable may be updated in two halves at once
        _parallel.elementwise(
            self._update_arrays, gradient=gradient, v=v, tmp=self._tmp[i], w=w,
            learning_rate=learning_rate, mean=mean, velocity=velocity)

    def _update_arrays(self, gradient: np.ndarray, v: np.ndarray, tmp: np.ndarray,
                       w: np.ndarray, learning_rate: float, mean: np.ndarray | None,
                       velocity: np.ndarray | None) -> None:
        rho = self.rho
        np.multiply(gradient, gradient, out=tmp)
        tmp *= 1.0 - rho
        v *= rho
        v += tmp
        if mean is not None:
            np.multiply(gradient, 1.0 - rho, out=tmp)
            mean *= rho
            mean += tmp
            np.multiply(mean, mean, out=tmp)
            np.subtract(v, tmp, out=tmp)
            tmp += self.epsilon
        else:
            np.add(v, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(gradient, tmp, out=tmp)
        tmp *= learning_rate
        if velocity is not None:
            velocity *= self.momentum
            velocity += tmp
            w -= velocity
        else:
            w -= tmp

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "rho": self.rho,
            "momentum": self.momentum,
            "epsilon": self.epsilon,
            "centered": self.centered,
        }
