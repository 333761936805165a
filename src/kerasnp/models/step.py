"""One training or test step, with what does not change worked out once per `fit`.

`Model.train_step` is forward, loss, backward, update. Done naively, each
step re-derives which variables train, which carry a penalty, which loss
path applies, and allocates every activation and gradient anew. `StepPlan`
settles the first three when `fit` (or `evaluate`) starts and runs the step
through the layers' reusing methods (`Layer._forward_reusing`), so a step
of a Dense/Dropout model allocates no array of the size of its activations
or weights. The numbers are exactly those of the plain path
(`Model.compute_gradients`); only where they are stored differs. After a
second step on the same batch buffers, the steps run as calls made ready
once (`models.program`).

What the plan assumes, and `fit` guarantees by building a new plan per call:
the layers, their `trainable` flags, the loss and the optimizer do not change
during the plan's life, and (when `labels_checked`) every label was checked
against the loss and the output layer before the first step.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _blas, activations
from ..layers.layer import Layer
from ..regularizers import Regularizer
from . import program as program_mod
from .ahead import Ahead


class StepPlan:
    """The training/test step of `model`, settled once.

    Args:
        model: a built, compiled `Model`.
        labels_checked: whether the targets of every batch were already
            checked (`fit` and `evaluate` check all the data first). Only then
            is the fused loss (value and gradient in one pass, without the
            per-batch label checks) used.
        ahead: whether the helper may make the next step's Dropout masks
            during this one (`models.ahead`: `fit`'s loop).
    """

    def __init__(self, model: Any, labels_checked: bool = False, ahead: bool = False):
        self.model = model
        layers = model._layers_for_training()
        self.variables: list[Any] = []
        self.sources: list[tuple[Layer, str]] = []
        # (position in `variables`, variable, regularizer, buffer for grad + penalty grad)
        self.penalized: list[tuple[int, Any, Regularizer, np.ndarray]] = []
        # weight penalties per layer, in `Layer.losses` order (for the loss value)
        self.penalty_groups: list[list[tuple[Any, Regularizer]]] = []
        self.generic_penalties = False
        self.start = len(layers)
        for index, layer in enumerate(layers):
            trainable = layer.trainable_weights
            if trainable and self.start == len(layers):
                self.start = index
            for var in trainable:
                if var.regularizer is not None:
                    self.penalized.append((len(self.variables), var, var.regularizer,
                                           np.empty_like(var.value)))
                self.variables.append(var)
                self.sources.append((layer, var.name))
            if layer.activity_regularizer is not None or type(layer).losses is not Layer.losses:
                self.generic_penalties = True
            elif layer.trainable:
                self.penalty_groups.append([(v, v.regularizer) for v in layer._variables
                                            if v.regularizer is not None and v.trainable])
        loss = model.loss
        self.fused_gradient = model._fused  # None, or the loss's fused output gradient
        fused_step = None
        last = model._last_layer()
        if (labels_checked and model._fused is not None and hasattr(loss, "fused_softmax_step")
                and getattr(last, "activation", None) is activations.softmax):
            fused_step = loss.fused_softmax_step()
        self.fused_step = fused_step
        self._grad_buffers: dict[tuple[int, ...], np.ndarray] = {}
        self._copy_for_metrics: bool | None = None
        # the next step's masks made by the helper (fit's plans only)
        self._layers = layers
        self.ahead: Ahead | None = None
        self._ahead_wanted = ahead
        # the step as calls made ready once (None: not yet; False: not possible)
        self._program: program_mod.StepProgram | bool | None = None
        self._last_batch: tuple[Any, Any] = (None, None)
        self._program_changes = 0

    def __getstate__(self) -> dict[str, Any]:
        """A copy or pickle of the model in the middle of `fit` (a callback's)
        carries no program: its calls hold the original's arrays."""
        state = self.__dict__.copy()
        state["_program"], state["_last_batch"] = None, (None, None)
        return state

    def for_metrics(self, y_pred: np.ndarray) -> np.ndarray:
        """`y_pred` as the compiled metrics may keep it: kerasnp's metrics keep
        nothing of it; another metric might, so it gets a copy, not a buffer
        that the next step rewrites."""
        if self._copy_for_metrics is None:
            compiled = self.model._compiled_metrics
            if compiled is None:
                return y_pred.copy()
            self._copy_for_metrics = any(not type(m).__module__.startswith("kerasnp.")
                                         for m in compiled.metrics)
        return y_pred.copy() if self._copy_for_metrics else y_pred

    # --------------------------------------------------------------- pieces
    def penalty(self) -> float:
        """The sum of the penalties, as `Model._regularization_loss` adds them."""
        if self.generic_penalties:
            return self.model._regularization_loss()
        total = 0
        for group in self.penalty_groups:
            inner = 0
            for var, reg in group:
                inner += float(reg(var.value))
            total += inner
        return float(total)

    def _output_grad_buffer(self, shape: tuple[int, ...], dtype: Any) -> np.ndarray:
        buf = self._grad_buffers.get(shape)
        if buf is None or buf.dtype != dtype:
            if len(self._grad_buffers) >= 8:
                self._grad_buffers.clear()
            buf = self._grad_buffers[shape] = np.empty(shape, dtype=dtype)
        return buf

    def _fast_loss(self, y_pred: np.ndarray, sample_weight: Any) -> bool:
        return (self.fused_step is not None and sample_weight is None
                and y_pred.ndim == 2 and y_pred.dtype == self.model.loss.dtype)

    def loss_and_output_grad(self, y: np.ndarray, y_pred: np.ndarray,
                             sample_weight: Any) -> tuple[float, np.ndarray]:
        """The batch loss (penalties included) and dLoss/d(output or logits)."""
        model = self.model
        if self._fast_loss(y_pred, sample_weight):
            out = self._output_grad_buffer(y_pred.shape, y_pred.dtype)
            value = self.fused_step(y, y_pred, out)
            grad = out
        else:
            value = model.loss(y, y_pred, sample_weight)
            if self.fused_gradient is not None:
                grad = self.fused_gradient(y, y_pred, sample_weight)
            else:
                grad = model.loss.gradient(y, y_pred, sample_weight)
        return value + self.penalty(), grad

    def gradients(self) -> list[np.ndarray]:
        """The gradient of every trainable variable, penalties included."""
        grads = [layer.grads[name] for layer, name in self.sources]
        for i, var, reg, buf in self.penalized:
            into = getattr(reg, "_gradient_into", None)
            if (into is None or grads[i].dtype != buf.dtype
                    or into(var.value, buf) is None):
                grads[i] = grads[i] + reg.gradient(var.value)
            else:  # the same sum, in a buffer (addition commutes exactly)
                buf += grads[i]
                grads[i] = buf
        return grads

    # ---------------------------------------------------------------- steps
    def train(self, x: np.ndarray, y: np.ndarray,
              sample_weight: Any) -> tuple[float, np.ndarray]:
        """Forward, loss, backward and the optimizer update; `(loss, y_pred)`.

        `y_pred` lives in the last layer's buffer until the next step.
        """
        program = self._program
        if program and program.x is x and program.y is y and sample_weight is None:
            done = program.run()
            if done is not None:
                return done
            # something it was made from was replaced: made again below, up to three times
            self._program_changes += 1
            self._program = None if self._program_changes < 3 else False
        model = self.model
        y_pred = model._forward_reusing(x, training=True)
        if self._ahead_wanted and _blas.single_threaded:
            if self.ahead is None:
                self.ahead = Ahead.for_layers(self._layers)
                self._ahead_wanted = self.ahead is not None
            if self.ahead is not None:
                self.ahead.post(len(x))  # the caller alone now: the loss, the first layers back
        loss, grad = self.loss_and_output_grad(y, y_pred, sample_weight)
        if self.variables:
            model._backward_to(grad, self.fused_gradient is None, self.start)
            model.optimizer.apply(self.gradients(), self.variables)
            self._prepare_program(x, y, sample_weight)
        return loss, y_pred

    def _prepare_program(self, x: np.ndarray, y: np.ndarray, sample_weight: Any) -> None:
        """After a step on the same batch buffers as the last one (`fit`'s,
        shuffled), make its `StepProgram` (once per plan and buffers)."""
        seen, self._last_batch = self._last_batch, (x, y)
        if (self._program is None and program_mod.ENABLED and sample_weight is None
                and seen[0] is x and seen[1] is y):
            self._program = program_mod.StepProgram.build(self, x, y) or False

    def finish(self) -> None:
        """At the end of its loop: nothing left to the helper or reserved."""
        if self.ahead is not None:
            self.ahead.finish()

    def test(self, x: np.ndarray, y: np.ndarray,
             sample_weight: Any) -> tuple[float, np.ndarray]:
        """Forward in inference mode and the loss; `(loss, y_pred)`."""
        model = self.model
        y_pred = model._forward_reusing(x, training=False)
        if self._fast_loss(y_pred, sample_weight):
            value = self.fused_step(y, y_pred, None)
        else:
            value = model.loss(y, y_pred, sample_weight)
        return value + self.penalty(), y_pred


def largest_product(model: Any, batch_size: int) -> int:
    """The multiply-adds of the largest matrix product in a step of `batch_size`
    (Dense layers: rows x inputs x units), which decides the BLAS threads."""
    largest = 0
    for layer in model._layers_for_training():
        kernel = getattr(layer, "kernel", None)
        shape = getattr(getattr(kernel, "value", None), "shape", ())
        if len(shape) == 2:
            largest = max(largest, batch_size * shape[0] * shape[1])
    return largest


#: evaluate/predict compute whole batches together up to this many multiply-adds
#: per product (and at most `INFERENCE_ROWS` rows), as long as no callback
#: watches single batches: a batch of 32 leaves the BLAS idle between Python calls
INFERENCE_PRODUCT = 64_000_000
INFERENCE_ROWS = 512


def inference_rows(model: Any, batch_size: int) -> int:
    """Rows per forward pass in `evaluate`/`predict`: a multiple of `batch_size`."""
    per_row = largest_product(model, 1)
    limit = min(INFERENCE_ROWS, INFERENCE_PRODUCT // per_row) if per_row else batch_size
    return max(batch_size, limit // batch_size * batch_size)
