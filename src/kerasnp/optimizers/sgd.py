"""Stochastic gradient descent, with optional (Nesterov) momentum."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import check_bool, check_float
from ..variables import Variable
from . import fused
from .optimizer import Optimizer


class SGD(Optimizer):
    """Gradient descent with momentum (Polyak 1964; Nesterov 1983; Sutskever et al. 2013).

    Without momentum: `w -= learning_rate * g`. With momentum, a velocity
    `v` (starting at 0) carries the past steps, as in Keras:

        v = momentum * v - learning_rate * g
        w += v                                         (nesterov=False)
        w += momentum * v - learning_rate * g          (nesterov=True)

    Args:
        learning_rate: a float >= 0 or a schedule. Defaults to `0.01`.
        momentum: a float in [0, 1]. Defaults to `0.0` (no velocity slot).
        nesterov: whether to use Nesterov momentum. Defaults to `False`.
        **kwargs: the arguments of `Optimizer` (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `name`, ...).

    Example:
    >>> import numpy as np
    >>> from kerasnp.variables import Variable
    >>> w = Variable(np.array([1.0, 2.0], dtype="float32"), "w")
    >>> opt = SGD(learning_rate=0.1, momentum=0.9)
    >>> opt.apply([np.array([1.0, -1.0], dtype="float32")], [w])
    >>> opt.apply([np.array([1.0, -1.0], dtype="float32")], [w])
    >>> w.value  # v1 = -0.1g, v2 = 0.9 v1 - 0.1g = -0.19g
    array([0.71, 2.29], dtype=float32)
    """

    _default_name = "sgd"

    def __init__(
        self,
        learning_rate: Any = 0.01,
        momentum: float = 0.0,
        nesterov: bool = False,
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = check_float("SGD", "momentum", momentum, low=0.0, high=1.0)
        self.nesterov = check_bool("SGD", "nesterov", nesterov)

    def build(self, variables: list[Variable]) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums = (
            self.add_optimizer_variables(variables, "momentum") if self.momentum else []
        )

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        i = self._index[id(variable)]
        w, step = variable.value, self._tmp[i]
        velocity = self._momentums[i].value if self.momentum else None
        if fused.run("sgd", (np.asarray(gradient), w, velocity),
                     (learning_rate, self.momentum, self.nesterov),
                     self._fused_views):
            return
        np.multiply(gradient, learning_rate, out=step)
        if not self.momentum:
            w -= step
            return
        velocity *= self.momentum
        velocity -= step
        if self.nesterov:
            w -= step
            np.multiply(velocity, self.momentum, out=step)
            w += step
        else:
            w += velocity

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
