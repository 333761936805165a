"""The gradients on their way to `update_step`: checking, loss unscaling,
accumulation and clipping (steps 1 to 3 of `Optimizer.apply`).

The work is done in per-variable buffers allocated once in `build`
(`_gbuf`), and only when one of these features is on, so a plain step
copies nothing.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._errors import KerasnpError
from ..variables import Variable
from .clipping import clip_by_global_norm, clip_by_norm, clip_by_value


class OptimizerGradients:
    """Gradient preprocessing and loss scaling for `Optimizer` (which
    provides the arguments below, `_index`, `_trainable_variables`,
    `_grad_accumulators`, `_gbuf` and `name`)."""

    clipnorm: float | None
    clipvalue: float | None
    global_clipnorm: float | None
    loss_scale_factor: float | None
    gradient_accumulation_steps: int | None
    name: str
    _index: dict[int, int]
    _trainable_variables: list[Variable]
    _grad_accumulators: list[Variable]
    _gbuf: list[np.ndarray] | None

    def _needs_gradient_buffers(self) -> bool:
        return any(
            x is not None
            for x in (
                self.clipnorm,
                self.clipvalue,
                self.global_clipnorm,
                self.loss_scale_factor,
                self.gradient_accumulation_steps,
            )
        )

    def _pair(self, grads: list[Any], variables: list[Variable]) -> list[tuple]:
        work, missing = [], []
        index = self._index
        for grad, var in zip(grads, variables, strict=True):
            i = index.get(id(var))
            if i is None or self._trainable_variables[i] is not var:
                raise KerasnpError(
                    f"Unknown variable `{getattr(var, 'path', var)}`: {type(self).__name__} "
                    f"`{self.name}` was built for other variables. Create a new optimizer "
                    "for a new set of variables."
                )
            if grad is None:
                missing.append(var.path)
                continue
            grad = np.asarray(grad)
            if grad.shape != var.value.shape:
                raise KerasnpError(
                    f"The gradient of `{var.path}` has the wrong shape: expected "
                    f"{var.value.shape}. Received: grad.shape={grad.shape}"
                )
            work.append((grad, var, i))
        if not work:
            raise KerasnpError("No gradients provided for any variable (all are None).")
        if missing:
            warnings.warn(
                f"Gradients do not exist for variables {missing}; they are not updated.",
                stacklevel=3,
            )
        return work

    def _accumulate(self, work: list[tuple]) -> None:
        for grad, _, i in work:
            acc = self._grad_accumulators[i].value
            if self.loss_scale_factor is not None:
                buf = self._gbuf[i]
                np.divide(grad, self.loss_scale_factor, out=buf)
                grad = buf
            acc += grad

    def _preprocess(self, work: list[tuple]) -> list[tuple]:
        """Loss unscaling, accumulation and clipping, into the gradient buffers."""
        if self._gbuf is None:
            return work
        scale, steps = self.loss_scale_factor, self.gradient_accumulation_steps
        out = []
        for grad, var, i in work:
            buf = self._gbuf[i]
            if scale is not None:
                grad = np.divide(grad, scale, out=buf)
            if steps:
                acc = self._grad_accumulators[i].value
                grad = np.add(grad, acc, out=buf)
                buf /= steps
                acc.fill(0)
            if self.clipnorm is not None:
                grad = clip_by_norm(grad, self.clipnorm, buf)
            elif self.clipvalue is not None:
                grad = clip_by_value(grad, self.clipvalue, buf)
            out.append((grad, var, i))
        if self.global_clipnorm is not None:
            grads = [g for g, _, _ in out]
            clipped = clip_by_global_norm(
                grads, self.global_clipnorm, [self._gbuf[i] for _, _, i in out]
            )
            out = [(g, v, i) for g, (_, v, i) in zip(clipped, out, strict=True)]
        return out

    def scale_loss(self, loss: float) -> float:
        """The loss multiplied by `loss_scale_factor` (unchanged if it is None)."""
        return loss * self.loss_scale_factor if self.loss_scale_factor is not None else loss
