"""`Model`: compile, one training or test step, call and save, for any stack of
layers; `fit`, `evaluate` and `predict` loop over the data in `trainer.py`.

One training step is forward, loss, backward, optimizer update:

    y_pred = self(x, training=True)
    loss = loss_fn(y, y_pred) + sum(penalties)     # L2 etc., as Keras
    grad = dloss/dy_pred                           # p - y when softmax + CE
    for layer in reversed(layers): grad = layer.backward(grad)
    optimizer.apply(grads, variables)
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import metrics as metrics_mod
from .. import optimizers as optimizers_mod
from .._errors import KerasnpError
from ..callbacks import History
from ..layers.layer import Layer
from ..utils.random import make_rng
from . import data as data_mod
from .compile import CompiledMetrics, check_loss_weights, resolve_loss
from .step import StepPlan
from .trainer import Trainer


class Model(Trainer, Layer):
    """A trainable stack of layers with Keras's `compile`/`fit`/`evaluate`/`predict`.

    Subclasses provide `_forward(x, training)`, `_backward(grad)` and
    `_layers_for_training()`; `Sequential` is the one kerasnp ships.
    """

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.optimizer: Any = None
        self.loss: Any = None
        self.compiled = False
        self.stop_training = False
        self.history: History | None = None
        self._compile_config: dict[str, Any] | None = None
        self._pending_loss = None
        self._fused = None
        self._plan: StepPlan | None = None
        self._initial_epoch: int | None = None  # set by a callback to resume (BackupAndRestore)
        self._fit_interrupted = False  # whether the last fit stopped on Ctrl-C
        self._rng = make_rng()

    # ------------------------------------------------------------------ compile
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, loss_weights: Any = None,
                metrics: Any = None, weighted_metrics: Any = None, run_eagerly: bool = False,
                steps_per_execution: int = 1, jit_compile: Any = "auto",
                auto_scale_loss: bool = True) -> None:
        """Choose the optimizer, the loss and the metrics.

        Args:
            optimizer: a name (`"adam"`) or an optimizer. Defaults to
                `"rmsprop"`, as Keras.
            loss: a name (`"categorical_crossentropy"`), a function or a
                `Loss`. Required before `fit`.
            metrics: a list of names (`"accuracy"`) or metric objects.
            weighted_metrics: metrics that use `sample_weight`.
            loss_weights, run_eagerly, steps_per_execution, jit_compile,
                auto_scale_loss: accepted for Keras compatibility; they change
                nothing in kerasnp (one output, always eager NumPy).
        """
        check_loss_weights(loss_weights)
        self.optimizer = optimizers_mod.get(optimizer)
        # "crossentropy" / "ce" pick binary, sparse or categorical CE from the
        # label and output shapes, as Keras does: resolved at the first data.
        pending = isinstance(loss, str) and loss.lower() in ("crossentropy", "ce")
        self._pending_loss = loss if pending else None
        self.loss = None if pending else resolve_loss(loss)
        if metrics is not None and not isinstance(metrics, (list, tuple, dict)):
            raise KerasnpError("Invalid value for argument `metrics` of compile: expected a "
                               f"list, e.g. metrics=['accuracy']. Received: metrics={metrics!r}")
        self._metrics_spec = list(metrics or [])
        self._weighted_spec = list(weighted_metrics or [])
        self._compiled_metrics: CompiledMetrics | None = None
        self._loss_tracker = metrics_mod.Mean(name="loss")
        self.compiled = True
        self._setup_fused()
        self._compile_config = {
            "optimizer": optimizer if isinstance(optimizer, str) else None,
            "loss": loss if isinstance(loss, str) else None,
            "metrics": [m for m in self._metrics_spec if isinstance(m, str)] or None,
        }

    def _require_compiled(self) -> None:
        if not self.compiled:
            raise KerasnpError("You must call `compile()` before using the model: e.g. "
                               "model.compile(optimizer='adam', "
                               "loss='sparse_categorical_crossentropy', metrics=['accuracy']).")
        if self.loss is None and self._pending_loss is None:
            raise KerasnpError("No loss to compute. Provide a `loss` argument in `compile()`, "
                               "e.g. loss='categorical_crossentropy'.")

    def _ensure_built(self, x: np.ndarray) -> None:
        if not self.built:
            self.build((None,) + x.shape[1:])

    def _metrics_for(self, y: np.ndarray, y_pred_shape: tuple[int, ...]) -> CompiledMetrics:
        if self._compiled_metrics is None:
            self._compiled_metrics = CompiledMetrics(self._metrics_spec, self._weighted_spec,
                                                     y.shape, y_pred_shape)
        return self._compiled_metrics

    @property
    def metrics(self) -> list[Any]:
        """The loss tracker, then the compiled metrics (once built)."""
        if not self.compiled:
            return []
        out = [self._loss_tracker]
        if self._compiled_metrics is not None:
            out += self._compiled_metrics.metrics
        return out

    @property
    def metrics_names(self) -> list[str]:
        return [m.name for m in self.metrics]

    def reset_metrics(self) -> None:
        for m in self.metrics:
            m.reset_state()

    # ------------------------------------------------------------ one batch each
    def _regularization_loss(self) -> float:
        return float(sum(sum(layer.losses) for layer in self._layers_for_training()))

    def _train_variables(self) -> list[Any]:
        return [v for layer in self._layers_for_training() for v in layer.trainable_weights]

    def compute_gradients(self, x: np.ndarray, y: np.ndarray,
                          sample_weight: np.ndarray | None = None
                          ) -> tuple[float, np.ndarray, list[np.ndarray], list[Any]]:
        """Forward and backward on one batch, in training mode, without an update.

        Returns:
            `(loss, y_pred, grads, variables)`: the batch loss including the
            penalties, the outputs, and one gradient per trainable variable.
        """
        y_pred = self._forward(x, training=True)
        loss = self.loss(y, y_pred, sample_weight) + self._regularization_loss()
        if self._fused is not None:
            self._backward(self._fused(y, y_pred, sample_weight), through_last_activation=False)
        else:
            self._backward(self.loss.gradient(y, y_pred, sample_weight))
        grads, variables = [], []
        for layer in self._layers_for_training():
            for var in layer.trainable_weights:
                g = layer.grads[var.name]
                if var.regularizer is not None:
                    g = g + var.regularizer.gradient(var.value)
                grads.append(g)
                variables.append(var)
        return loss, y_pred, grads, variables

    def train_step(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> float:
        """Forward, loss, backward and one optimizer update. Returns the batch loss.

        The same numbers as `compute_gradients` then `optimizer.apply`, computed
        in buffers the layers reuse (see `models.step`).
        """
        plan = self._plan or StepPlan(self)
        return self._track(plan, y, sample_weight, *plan.train(x, y, sample_weight))

    def test_step(self, x: np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None) -> float:
        plan = self._plan or StepPlan(self)
        return self._track(plan, y, sample_weight, *plan.test(x, y, sample_weight))

    def _track(self, plan: StepPlan, y: np.ndarray, sample_weight: np.ndarray | None,
               loss: float, y_pred: np.ndarray) -> float:
        """Add a batch's loss and outputs to the running loss and metrics; the loss."""
        self._loss_tracker.update_state(loss, sample_weight=len(y_pred))
        self._metrics_for(y, y_pred.shape).update_state(y, plan.for_metrics(y_pred),
                                                        sample_weight)
        return loss

    def _forward_reusing(self, x: np.ndarray, training: bool = False) -> np.ndarray:
        """`_forward` whose result may live in a buffer reused by the next call."""
        return self._forward(x, training=training)

    def _backward_to(self, grad: np.ndarray, through_last_activation: bool = True,
                    start: int = 0) -> None:
        """`_backward` that may reuse buffers and skip layers below `start`."""
        self._backward(grad, through_last_activation)

    def _logs(self) -> dict[str, float]:
        logs = {"loss": self._loss_tracker.result()}
        if self._compiled_metrics is not None:
            logs.update(self._compiled_metrics.results())
        return dict(sorted(logs.items()))

    def _setup_fused(self) -> None:
        """Use the fused `p - y` gradient when the last layer is softmax/sigmoid + CE."""
        self._fused = None
        last = self._last_layer()
        if self.loss is None or last is None:
            return
        act = getattr(last, "activation", None)
        if act is None or getattr(last, "activity_regularizer", None) is not None:
            return
        from .. import activations

        if act is activations.softmax and hasattr(self.loss, "fused_softmax_gradient"):
            self._fused = self.loss.fused_softmax_gradient
        elif act is activations.sigmoid and hasattr(self.loss, "fused_sigmoid_gradient"):
            self._fused = self.loss.fused_sigmoid_gradient

    # ------------------------------------------------------------------- misc
    def __call__(self, inputs: Any, training: bool = False) -> np.ndarray:
        x = data_mod.as_inputs(inputs)
        self._ensure_built(x)
        return self._forward(x, training=training)

    @property
    def losses(self) -> list[float]:
        return [loss for layer in self._layers_for_training() for loss in layer.losses]

    # ------------------------------------------------------------------ saving
    def save(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Save the architecture, weights, compile settings and optimizer state.

        See `kerasnp.saving.save_model`.
        """
        from ..saving import save_model

        save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True) -> None:
        """Save only the weights. See `kerasnp.saving.save_weights`."""
        from ..saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath: Any, **kwargs: Any) -> None:
        """Load weights saved by `save_weights` (or `save`). See `kerasnp.saving`."""
        from ..saving import load_weights

        load_weights(self, filepath, **kwargs)

    def get_compile_config(self) -> dict[str, Any] | None:
        return self._compile_config

    def to_keras(self) -> Any:
        """The equivalent live `keras.Sequential`, weights and compile settings
        copied (needs Keras: `pip install kerasnp[keras]`). See
        `kerasnp.saving.to_keras`."""
        from ..saving import to_keras

        return to_keras(self)
