"""Adam and AdamW: steps scaled by running averages of the gradient and its square."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _parallel
from .._errors import check_bool, check_float, invalid
from ..variables import Variable
from . import fused
from .optimizer import Optimizer


class _AdamLike(Optimizer):
    """The arguments and the two moment slots that Adam, Nadam and Adamax share:
    `momentum` and a second slot (`velocity`, or Adamax's `norm`)."""

    _second_slot = "velocity"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        **kwargs: Any,
    ):
        super().__init__(learning_rate=learning_rate, **kwargs)
        owner = type(self).__name__
        self.beta_1 = check_float(owner, "beta_1", beta_1, low=0.0, high=1.0, high_open=True)
        self.beta_2 = check_float(owner, "beta_2", beta_2, low=0.0, high=1.0, high_open=True)
        self.epsilon = check_float(owner, "epsilon", epsilon, low=0.0)

    def build(self, variables: list[Variable]) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums, self._seconds = self.add_optimizer_variables(
            variables, ["momentum", self._second_slot]
        )

    @staticmethod
    def _update_mean(gradient: np.ndarray, m: np.ndarray, tmp: np.ndarray,
                     rate: float) -> np.ndarray:
        """m += rate * (g - m), with rate = 1 - beta_1; returns m (tmp is overwritten)."""
        np.subtract(gradient, m, out=tmp)
        tmp *= rate
        m += tmp
        return m

    def get_config(self) -> dict[str, Any]:
        return {
            **super().get_config(),
            "beta_1": self.beta_1,
            "beta_2": self.beta_2,
            "epsilon": self.epsilon,
        }


class Adam(_AdamLike):
    """Adam (Kingma & Ba, 2015), with Keras's form of the bias correction.

    With `t = iterations + 1`, for each weight `w` and gradient `g`:

        m += (1 - beta_1) * (g - m)
        v += (1 - beta_2) * (g ** 2 - v)
        alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        w -= alpha * m / (sqrt(v) + epsilon)

    With `amsgrad=True` (Reddi et al., 2018), `v` in the last line is the
    running maximum of `v`.

    Args:
        learning_rate: a float >= 0 or a schedule. Defaults to `0.001`.
        beta_1: the decay of the gradient average, in [0, 1). Defaults to `0.9`.
        beta_2: the decay of the squared-gradient average, in [0, 1).
            Defaults to `0.999`.
        epsilon: added to `sqrt(v)`, a float >= 0. Defaults to `1e-7`.
        amsgrad: whether to use AMSGrad. Defaults to `False`.
        **kwargs: the arguments of `Optimizer` (`weight_decay`, `clipnorm`,
            `clipvalue`, `global_clipnorm`, `use_ema`, `name`, ...).

    Example:
    >>> import numpy as np
    >>> from kerasnp.variables import Variable
    >>> w = Variable(np.array([1.0, 2.0], dtype="float32"), "w")
    >>> Adam(learning_rate=0.1).apply([np.array([3.0, -0.5], dtype="float32")], [w])
    >>> w.value.round(4)  # the first step moves each weight by about learning_rate
    array([0.9, 2.1], dtype=float32)
    """

    _default_name = "adam"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ):
        super().__init__(
            learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, **kwargs
        )
        self.amsgrad = check_bool(type(self).__name__, "amsgrad", amsgrad)

    def build(self, variables: list[Variable]) -> None:
        if self.built:
            return
        super().build(variables)
        self._velocity_hats = (
            self.add_optimizer_variables(variables, "velocity_hat") if self.amsgrad else []
        )

    def _before_updates(self, learning_rate: float) -> None:
        # In the weights' dtype, as Keras: in float32, 1 - beta_2 ** t loses
        # digits, and matching Keras means losing the same ones.
        real = self._real
        t = real(self.iterations + 1)
        one = real(1.0)
        correction = np.sqrt(one - real(self.beta_2) ** t) / (one - real(self.beta_1) ** t)
        self._alpha = learning_rate * float(correction)
        # one tuple for the step's variables (fused.run converts it once)
        self._scalars = (1.0 - self.beta_1, 1.0 - self.beta_2, self.epsilon, self._alpha)

    def _update_together(self, work: list[tuple], learning_rate: float) -> bool:
        if type(self).update_step is not Adam.update_step:  # a subclass's own update
            return False
        m, v, v_hat = self._momentums, self._seconds, self._velocity_hats
        rows = [(g, m[i].value, v[i].value, var.value, v_hat[i].value if v_hat else None)
                for g, var, i in work]
        return fused.run_together("adam", rows, self._scalars, self._together)

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        i = self._index[id(variable)]
        gradient, w = np.asarray(gradient), variable.value
        m, v = self._momentums[i].value, self._seconds[i].value
        v_hat = self._velocity_hats[i].value if self.amsgrad else None
        if fused.run("adam", (gradient, m, v, w, v_hat), self._scalars, self._fused_views):
            return
        # element by element, so a large variable may be updated in two halves at once
        _parallel.elementwise(self._update_arrays, gradient=gradient, m=m, v=v,
                              tmp=self._tmp[i], w=w, v_hat=v_hat)

    def _update_arrays(self, gradient: np.ndarray, m: np.ndarray, v: np.ndarray,
                       tmp: np.ndarray, w: np.ndarray, v_hat: np.ndarray | None = None) -> None:
        self._update_mean(gradient, m, tmp, 1.0 - self.beta_1)
        np.multiply(gradient, gradient, out=tmp)
        tmp -= v
        tmp *= 1.0 - self.beta_2
        v += tmp
        if v_hat is not None:
            np.maximum(v_hat, v, out=v_hat)
            v = v_hat
        np.sqrt(v, out=tmp)
        tmp += self.epsilon
        np.divide(m, tmp, out=tmp)
        tmp *= self._alpha
        w -= tmp

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "amsgrad": self.amsgrad}


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, 2019).

    Before each Adam step, every weight shrinks by
    `w -= learning_rate * weight_decay * w`, independently of the gradient
    (unlike an L2 penalty, whose gradient Adam would rescale). Use
    `exclude_from_weight_decay(var_names=["bias"])` to spare some weights.

    Args:
        learning_rate: a float >= 0 or a schedule. Defaults to `0.001`.
        weight_decay: a float >= 0 (not None). Defaults to `0.004`.
        beta_1, beta_2, epsilon, amsgrad: as `Adam`.
        **kwargs: the other arguments of `Optimizer`.

    Example:
    >>> import numpy as np
    >>> from kerasnp.variables import Variable
    >>> w = Variable(np.array([1.0], dtype="float32"), "w")
    >>> AdamW(learning_rate=0.1, weight_decay=0.5).apply([np.zeros(1, "float32")], [w])
    >>> w.value  # decay 1 - 0.1 * 0.5, then a zero Adam step
    array([0.95], dtype=float32)
    """

    _default_name = "adam_w"

    def __init__(
        self,
        learning_rate: Any = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
        **kwargs: Any,
    ):
        if weight_decay is None:  # the base class accepts None; AdamW needs a decay
            raise invalid(type(self).__name__, "weight_decay", "a float >= 0", weight_decay)
        super().__init__(
            learning_rate=learning_rate,
            beta_1=beta_1,
            beta_2=beta_2,
            epsilon=epsilon,
            amsgrad=amsgrad,
            weight_decay=weight_decay,
            **kwargs,
        )
