"""Nadam and Adamax: two variants of Adam from the Adam and Nadam papers."""

from __future__ import annotations

import numpy as np

from ..variables import Variable
from . import fused
from .adam import _AdamLike


class Nadam(_AdamLike):
    """Adam with Nesterov momentum (Dozat, 2016), with Keras's momentum schedule.

    With `t = iterations + 1` and `mu(t) = beta_1 * (1 - 0.5 * 0.96 ** t)`,
    the product `P = mu(1) * ... * mu(t)` is kept as state (`u_product`), and:

        m += (1 - beta_1) * (g - m);   v += (1 - beta_2) * (g ** 2 - v)
        m_hat = mu(t+1) * m / (1 - P * mu(t+1)) + (1 - mu(t)) * g / (1 - P)
        v_hat = v / (1 - beta_2 ** t)
        w -= learning_rate * m_hat / (sqrt(v_hat) + epsilon)

    Args:
        learning_rate: a float >= 0 or a schedule. Defaults to `0.001`.
        beta_1: in [0, 1). Defaults to `0.9`.
        beta_2: in [0, 1). Defaults to `0.999`.
        epsilon: a float >= 0. Defaults to `1e-7`.
        **kwargs: the arguments of `Optimizer` (`weight_decay`, `clipnorm`, ...).

    Example:
    >>> import numpy as np
    >>> from kerasnp.variables import Variable
    >>> w = Variable(np.array([1.0], dtype="float32"), "w")
    >>> Nadam(learning_rate=0.1).apply([np.array([2.0], "float32")], [w])
    >>> w.value.round(4)  # the first step moves the weight by about learning_rate
    array([0.9], dtype=float32)
    """

    _default_name = "nadam"

    def build(self, variables: list[Variable]) -> None:
        if self.built:
            return
        super().build(variables)
        dtype = variables[0].value.dtype if variables else np.dtype("float32")
        self._u_product = self._new_state(np.ones((), dtype), "u_product")
        self._tmp2 = [np.empty_like(v.value) for v in variables]

    def _before_updates(self, learning_rate: float) -> None:
        # Scalars in the weights' dtype, as Keras computes them (see Adam).
        real = self._real
        t, one, half, decay = real(self.iterations + 1), real(1.0), real(0.5), real(0.96)
        b1 = real(self.beta_1)
        mu_t = b1 * (one - half * decay**t)
        mu_next = b1 * (one - half * decay ** (t + one))
        self._u_product.value *= mu_t
        product = self._u_product.value[()]
        self._coef_m = float(mu_next / (one - product * mu_next))
        self._coef_g = float((one - mu_t) / (one - product))
        self._v_correction = float(one - real(self.beta_2) ** t)
        # Keras's Nadam (unlike its Adam) forms 1 - beta in the weights' dtype too.
        self._rate_m = float(one - b1)
        self._rate_v = float(one - real(self.beta_2))

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        i = self._index[id(variable)]
        if fused.run("nadam", (np.asarray(gradient), self._momentums[i].value,
                               self._seconds[i].value, variable.value),
                     (self._rate_m, self._rate_v, self._coef_m, self._coef_g,
                      self._v_correction, self.epsilon, learning_rate),
                     self._fused_views):
            return
        m = self._update_mean(gradient, self._momentums[i].value, self._tmp[i], self._rate_m)
        v, tmp, tmp2 = self._seconds[i].value, self._tmp[i], self._tmp2[i]
        np.multiply(gradient, gradient, out=tmp)
        tmp -= v
        tmp *= self._rate_v
        v += tmp
        np.multiply(m, self._coef_m, out=tmp)
        np.multiply(gradient, self._coef_g, out=tmp2)
        tmp += tmp2  # m_hat
        np.divide(v, self._v_correction, out=tmp2)
        np.sqrt(tmp2, out=tmp2)
        tmp2 += self.epsilon
        tmp /= tmp2
        tmp *= learning_rate
        variable.value -= tmp


class Adamax(_AdamLike):
    """Adamax (Kingma & Ba, 2015, section 7.1): Adam with the infinity norm.

        m += (1 - beta_1) * (g - m)
        u = max(beta_2 * u, |g|)
        w -= learning_rate * m / ((1 - beta_1 ** t) * (u + epsilon))

    Args:
        learning_rate: a float >= 0 or a schedule. Defaults to `0.001`.
        beta_1: in [0, 1). Defaults to `0.9`.
        beta_2: the decay of the norm, in [0, 1). Defaults to `0.999`.
        epsilon: a float >= 0. Defaults to `1e-7`.
        **kwargs: the arguments of `Optimizer` (`weight_decay`, `clipnorm`, ...).

    Example:
    >>> import numpy as np
    >>> from kerasnp.variables import Variable
    >>> w = Variable(np.array([1.0], dtype="float32"), "w")
    >>> Adamax(learning_rate=0.1, epsilon=0.0).apply([np.array([-4.0], "float32")], [w])
    >>> w.value  # m = -0.4, u = 4, so the step is 0.1 * -0.4 / (0.1 * 4)
    array([1.1], dtype=float32)
    """

    _default_name = "adamax"
    _second_slot = "norm"

    def _before_updates(self, learning_rate: float) -> None:
        real = self._real  # the correction in the weights' dtype, as Keras (see Adam)
        correction = real(1.0) - real(self.beta_1) ** real(self.iterations + 1)
        self._scale = learning_rate / float(correction)

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        i = self._index[id(variable)]
        u = self._seconds[i].value
        if fused.run("adamax", (np.asarray(gradient), self._momentums[i].value, u, variable.value),
                     (1.0 - self.beta_1, self.beta_2, self.epsilon, self._scale),
                     self._fused_views):
            return
        m = self._update_mean(gradient, self._momentums[i].value, self._tmp[i],
                              1.0 - self.beta_1)
        tmp = self._tmp[i]
        u *= self.beta_2
        np.abs(gradient, out=tmp)
        np.maximum(u, tmp, out=u)
        np.add(u, self.epsilon, out=tmp)
        np.divide(m, tmp, out=tmp)
        tmp *= self._scale
        variable.value -= tmp
