"""Adagrad and Adadelta: per-weight rates from accumulated squared gradients."""

from __future__ import annotations

from typing import Any

import numpy as np

from .._errors import check_float
from ..variables import Variable
from . import fused
from .optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad (Duchi, Hazan & Singer, 2011): each weight's rate shrinks with
    the sum of its squared gradients.

        acc += g ** 2                                  (acc starts at
        w -= learning_rate * g / sqrt(acc + epsilon)    initial_accumulator_value)

    Args:
        learning_rate: a float >= 0 or a schedule. Defaults to `0.001`.
        initial_accumulator_value: the starting value of `acc`, a float >= 0.
            Defaults to `0.1`.
        epsilon: a float >= 0. Defaults to `1e-7`.
        **kwargs: the arguments of `Optimizer` (`weight_decay`, `clipnorm`, ...).

    Example:
    >>> import numpy as np
    >>> from kerasnp.variables import Variable
    >>> w = Variable(np.array([1.0], dtype="float32"), "w")
    >>> opt = Adagrad(learning_rate=0.5, initial_accumulator_value=0.0, epsilon=0.0)
    >>> opt.apply([np.array([3.0], "float32")], [w])
    >>> w.value  # 1 - 0.5 * 3 / sqrt(9)
    array([0.5], dtype=float32)
    """

    _default_name = "adagrad"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        initial_accumulator_value: float = 0.1,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = check_float(
            "Adagrad", "initial_accumulator_value", initial_accumulator_value, low=0.0
        )
        self.epsilon = check_float("Adagrad", "epsilon", epsilon, low=0.0)

    def build(self, variables: list[Variable]) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulators = self.add_optimizer_variables(
            variables, "accumulator", initializer=self.initial_accumulator_value
        )

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        i = self._index[id(variable)]
        acc, tmp = self._accumulators[i].value, self._tmp[i]
        if fused.run("adagrad", (np.asarray(gradient), acc, variable.value),
                     (self.epsilon, learning_rate),
                     self._fused_views):
            return
        np.multiply(gradient, gradient, out=tmp)
        acc += tmp
        np.add(acc, self.epsilon, out=tmp)
        np.sqrt(tmp, out=tmp)
        np.divide(gradient, tmp, out=tmp)
        tmp *= learning_rate
        variable.value -= tmp

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "initial_accumulator_value": self.initial_accumulator_value,
            "epsilon": self.epsilon,
        }


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): steps in the units of the weights, from the
    ratio of running RMS values of past steps and of gradients.

        G = rho * G + (1 - rho) * g ** 2
        delta = -sqrt(D + epsilon) / sqrt(G + epsilon) * g
        D = rho * D + (1 - rho) * delta ** 2
        w += learning_rate * delta

    Args:
        learning_rate: a float >= 0 or a schedule. Defaults to `0.001` (the
            paper uses 1.0).
        rho: the decay of the averages, in [0, 1). Defaults to `0.95`.
        epsilon: a float >= 0. Defaults to `1e-7`.
        **kwargs: the arguments of `Optimizer` (`weight_decay`, `clipnorm`, ...).

    Example:
    >>> import numpy as np
    >>> from kerasnp.variables import Variable
    >>> w = Variable(np.array([1.0], dtype="float64"), "w")
    >>> Adadelta(learning_rate=1.0, rho=0.0, epsilon=1.0).apply([np.array([3.0])], [w])
    >>> w.value  # G = 9, delta = -sqrt(1) / sqrt(10) * 3
    array([0.05131670])
    """

    _default_name = "adadelta"

    def __init__(
        self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7, **kwargs: Any
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = check_float("Adadelta", "rho", rho, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_float("Adadelta", "epsilon", epsilon, low=0.0)

    def build(self, variables: list[Variable]) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulated_grads, self._accumulated_deltas = self.add_optimizer_variables(
            variables, ["accumulated_grad", "accumulated_delta_var"]
        )
        self._tmp2 = [np.empty_like(v.value) for v in variables]

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        i = self._index[id(variable)]
        grads_sq, deltas_sq = self._accumulated_grads[i].value, self._accumulated_deltas[i].value
        tmp, tmp2, rho, eps = self._tmp[i], self._tmp2[i], self.rho, self.epsilon
        if fused.run("adadelta", (np.asarray(gradient), grads_sq, deltas_sq, variable.value),
                     (rho, 1.0 - rho, eps, learning_rate),
                     self._fused_views):
            return
        np.multiply(gradient, gradient, out=tmp)
        tmp *= 1.0 - rho
        grads_sq *= rho
        grads_sq += tmp
        # tmp = -delta = sqrt(D + eps) * g / sqrt(G + eps)
        np.add(deltas_sq, eps, out=tmp)
        np.sqrt(tmp, out=tmp)
        tmp *= gradient
        np.add(grads_sq, eps, out=tmp2)
        np.sqrt(tmp2, out=tmp2)
        tmp /= tmp2
        np.multiply(tmp, tmp, out=tmp2)
        tmp2 *= 1.0 - rho
        deltas_sq *= rho
        deltas_sq += tmp2
        tmp *= learning_rate
        variable.value -= tmp

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
