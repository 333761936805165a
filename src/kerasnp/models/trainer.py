"""The loops of `Model`: `fit`, `evaluate`, `predict` and the `*_on_batch` methods.

Each checks and prepares the data once, then runs `Model.train_step` or
`Model.test_step` batch by batch (or several batches at once where no
callback watches single batches), with the callbacks, the progress bar and
the history, as Keras's trainer does.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import numpy as np

from .. import _blas
from .. import losses as losses_mod
from .._errors import KerasnpError, check_bool, check_float, check_int
from ..callbacks import CallbackList, History, ProgbarLogger
from ..callbacks.callback import LazyLogs
from . import checks
from . import data as data_mod
from .interrupt import StopOnInterrupt
from .step import StepPlan, inference_rows, largest_product


class Trainer:
    """`fit`/`evaluate`/`predict` for `Model` (a mixin: `Model` provides the
    steps, the compiled loss and metrics, and the layers)."""

    # --------------------------------------------------------------------- fit
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: Any = None, validation_split: float = 0.0,
            validation_data: Any = None, shuffle: Any = True, class_weight: dict | None = None,
            sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: int | None = None, validation_steps: int | None = None,
            validation_batch_size: int | None = None, validation_freq: int = 1) -> History:
        """Train the model for `epochs` epochs over `(x, y)`.

        Args:
            x: inputs, an array of shape `(n, ...)`.
            y: targets: integer labels or one-hot rows, matching the loss.
            batch_size: samples per update. Defaults to 32.
            epochs: the index of the last epoch (training runs from
                `initial_epoch` to `epochs`). Defaults to 1.
            verbose: 0 silent, 1 progress bar, 2 one line per epoch, `"auto"`
                is 1. Defaults to `"auto"`.
            callbacks: a list of `kerasnp.callbacks.Callback`.
            validation_split: the fraction of the data, taken from the END
                of `x` and `y` before any shuffling, held out for validation.
            validation_data: `(x_val, y_val)` or `(x_val, y_val, weights)`;
                overrides `validation_split`.
            shuffle: reshuffle the training data each epoch (`True`), only
                within batches (`"batch"`), or not at all (`False`).
            class_weight: `{class: weight}`, turned into per-sample weights.
            sample_weight: one weight per sample.
            initial_epoch: the epoch to start from (to resume training).
            steps_per_epoch: at most this many batches per epoch.
            validation_steps: at most this many validation batches.
            validation_batch_size: Defaults to `batch_size`.
            validation_freq: validate every this many epochs.

        Returns:
            A `History` whose `.history` holds each epoch's loss and metrics.
        """
        self._require_compiled()
        epochs = check_int("fit", "epochs", epochs, minimum=0)
        initial_epoch = check_int("fit", "initial_epoch", initial_epoch, minimum=0)
        batch_size = data_mod.batch_size_or_default(batch_size)
        verbose = data_mod.check_verbose("fit", verbose)
        validation_split = check_float("fit", "validation_split", validation_split, low=0,
                                       high=1, high_open=True)
        validation_freq = check_int("fit", "validation_freq", validation_freq, minimum=1)
        steps_per_epoch = check_int("fit", "steps_per_epoch", steps_per_epoch, minimum=1,
                                    allow_none=True)
        if shuffle != "batch":
            shuffle = check_bool("fit", "shuffle", shuffle)
        if class_weight is not None and sample_weight is not None:
            raise KerasnpError("You cannot use `class_weight` and `sample_weight` at the same "
                               "time: pass one of them.")

        checks.check_raw_inputs(self, x, "fit")
        x, y, w = data_mod.as_arrays(x, y, sample_weight, "fit")
        if class_weight is not None:
            w = data_mod.class_weight_to_sample_weight(y, class_weight)

        val = None
        if validation_data is not None:
            vx, vy, vw = data_mod.unpack_validation_data(validation_data)
            val = (data_mod.as_inputs(vx, "validation_data x"), data_mod.as_targets(vy),
                   None if vw is None else data_mod.as_inputs(vw, "validation_data weights"))
            data_mod.check_lengths(x_val=val[0], y_val=val[1], w_val=val[2])
        elif validation_split:
            split_at = data_mod.split_validation(len(x), validation_split)
            val = (x[split_at:], y[split_at:], None if w is None else w[split_at:])
            x, y = x[:split_at], y[:split_at]
            checks.check_validation_split(y, val[1], validation_split)
            w = None if w is None else w[:split_at]

        self._ensure_built(x)
        self._setup_fused()
        self._check_data(x, y, "fit")
        if val is not None:
            self._check_data(val[0], val[1], "fit (validation data)")

        batches = data_mod.Batches(x, y, w, batch_size)
        steps = batches.steps if steps_per_epoch is None else min(steps_per_epoch, batches.steps)
        history = History()
        cbs = CallbackList(callbacks, model=self,
                           params={"verbose": verbose, "epochs": epochs, "steps": steps})
        cbs.append(history)
        if verbose:
            cbs.append(ProgbarLogger())
        self.history = history
        self.stop_training = False
        want_batch_begin = cbs.wants("on_train_batch_begin")
        want_batch_end = cbs.wants("on_train_batch_end")
        # the progress bar reads batch logs only when it redraws: build them then
        lazy_logs = not cbs.needs_logs("on_train_batch_end")
        val_batch_size = data_mod.batch_size_or_default(validation_batch_size or batch_size)

        cbs.on_train_begin()
        # a callback may move the start (BackupAndRestore resuming); once, for this fit
        initial_epoch, self._initial_epoch = self._initial_epoch or initial_epoch, None
        logs: dict[str, float] = {}
        with StopOnInterrupt() as interrupt, self._loop(batch_size, ahead=True):
            for epoch in range(initial_epoch, epochs):
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                order = None
                if shuffle is True:
                    order = self._rng.permutation(batches.n)
                elif shuffle == "batch":
                    order = data_mod.shuffle_within_batches(self._rng, batches.n, batch_size)
                for step, (xb, yb, wb) in enumerate(batches(order, steps)):
                    if want_batch_begin:
                        cbs.on_train_batch_begin(step)
                    self.train_step(xb, yb, wb)
                    if want_batch_end:
                        cbs.on_train_batch_end(step, LazyLogs(self._logs) if lazy_logs
                                               else self._logs())
                    if interrupt.requested or self.stop_training:
                        break  # a batch callback (TerminateOnNaN) may stop, as in Keras
                if interrupt.requested:
                    print(f"\nTraining interrupted during epoch {epoch + 1}, after batch "
                          f"{step + 1}/{steps}. The model keeps the weights it has now; the "
                          f"history holds the {len(history.epoch)} complete epoch(s).",
                          flush=True)
                    break
                logs = self._logs()
                if val is not None and (epoch + 1) % validation_freq == 0:
                    val_logs = self._evaluate_arrays(*val, val_batch_size, validation_steps)
                    logs.update({"val_" + k: v for k, v in val_logs.items()})
                cbs.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        # with use_ema, the averaged weights replace the trained ones (as Keras)
        self.optimizer.finalize_variable_values(self._train_variables())
        self._fit_interrupted = interrupt.requested
        cbs.on_train_end(logs)
        return history

    @contextlib.contextmanager
    def _loop(self, batch_size: int, ahead: bool = False) -> Iterator[None]:
        """The block of `fit`/`evaluate`/`predict`: its steps share one `StepPlan`
        (the data was checked first; `ahead`: see `StepPlan`) and the BLAS
        threads suit the batch size."""
        previous, self._plan = self._plan, StepPlan(self, labels_checked=True, ahead=ahead)
        try:
            with _blas.limited(largest_product(self, batch_size)):
                yield
        finally:
            self._plan.finish()
            self._plan = previous

    def _check_data(self, x: np.ndarray, y: np.ndarray | None, where: str) -> None:
        """Checks on the data before any work starts (see `models.checks`)."""
        if y is not None and self._pending_loss is not None:
            self.loss = losses_mod.resolve_crossentropy(self._pending_loss, y.shape,
                                                        self.output_shape)
            self._pending_loss = None
            self._setup_fused()
        checks.check_data(self, x, y, where)

    # ---------------------------------------------------------------- evaluate
    def _evaluate_arrays(self, x: np.ndarray, y: np.ndarray, w: np.ndarray | None,
                         batch_size: int, steps: int | None = None,
                         cbs: CallbackList | None = None) -> dict[str, float]:
        self.reset_metrics()
        want_batch_end = cbs is not None and cbs.wants("on_test_batch_end")
        per_batch = cbs is not None and (cbs.wants("on_test_batch_begin")
                                         or cbs.needs_logs("on_test_batch_end"))
        # no callback watches single batches: compute several at once
        rows = batch_size if per_batch else inference_rows(self, batch_size)
        n = len(x) if steps is None else min(len(x), steps * batch_size)
        batches = data_mod.Batches(x[:n], y[:n], None if w is None else w[:n], rows)
        if cbs is not None:
            cbs.on_test_begin()
        for step, (xb, yb, wb) in enumerate(batches()):
            if per_batch:
                cbs.on_test_batch_begin(step)
            self.test_step(xb, yb, wb)
            if want_batch_end:
                for batch in data_mod.batches_in(step, rows, len(xb), batch_size):
                    cbs.on_test_batch_end(batch, LazyLogs(self._logs) if not per_batch
                                          else self._logs())
        logs = self._logs()
        if cbs is not None:
            cbs.on_test_end(logs)
        return logs

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None,
                 verbose: Any = "auto", sample_weight: Any = None, steps: int | None = None,
                 callbacks: Any = None, return_dict: bool = False) -> Any:
        """The loss (penalties included) and metrics on `(x, y)`, in inference mode.

        Returns:
            The loss as a float when there are no metrics, else
            `[loss, *metrics]` in compile order; a dict with `return_dict=True`.
        """
        self._require_compiled()
        batch_size = data_mod.batch_size_or_default(batch_size, "evaluate")
        verbose = data_mod.check_verbose("evaluate", verbose)
        checks.check_raw_inputs(self, x, "evaluate")
        x, y, w = data_mod.as_arrays(x, y, sample_weight, "evaluate")
        self._ensure_built(x)
        self._check_data(x, y, "evaluate")
        n_steps = -(-len(x) // batch_size)
        cbs = CallbackList(callbacks, model=self, params={
            "verbose": verbose, "epochs": 1, "steps": n_steps if steps is None else steps,
            "_mode": "evaluate"})
        if verbose:
            cbs.append(ProgbarLogger())
        with self._loop(inference_rows(self, batch_size)):
            logs = self._evaluate_arrays(x, y, w, batch_size, steps, cbs)
        return self._return(logs, return_dict)

    # ----------------------------------------------------------------- predict
    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto",
                steps: int | None = None, callbacks: Any = None) -> np.ndarray:
        """The model's outputs for `x`, in inference mode (Dropout off), batch by batch."""
        batch_size = data_mod.batch_size_or_default(batch_size, "predict")
        verbose = data_mod.check_verbose("predict", verbose)
        checks.check_raw_inputs(self, x, "predict")
        x = data_mod.as_inputs(x)
        self._ensure_built(x)
        self._check_data(x, None, "predict")
        cbs = CallbackList(callbacks, model=self, params={
            "verbose": verbose, "epochs": 1, "steps": -(-len(x) // batch_size)})
        if verbose:
            cbs.append(ProgbarLogger())
        per_batch = cbs.wants("on_predict_batch_begin") or cbs.needs_logs("on_predict_batch_end")
        # no callback watches single batches: compute several at once
        rows = batch_size if per_batch else inference_rows(self, batch_size)
        n = len(x) if steps is None else min(len(x), steps * batch_size)
        batches = data_mod.Batches(x[:n], None, None, rows)
        cbs.on_predict_begin()
        out = None
        with _blas.limited(largest_product(self, rows)):
            for step, (xb, _, _) in enumerate(batches()):
                cbs.on_predict_batch_begin(step)
                yb = self._forward_reusing(xb, training=False)  # valid until the next batch
                if out is None:
                    out = np.empty((n,) + yb.shape[1:], dtype=yb.dtype)
                start = step * rows
                out[start: start + len(yb)] = yb
                for batch in data_mod.batches_in(step, rows, len(yb), batch_size):
                    first = batch * batch_size
                    cbs.on_predict_batch_end(batch, {"outputs": out[first: first + batch_size]})
        cbs.on_predict_end()
        if out is None:
            raise KerasnpError("predict received no samples: x is empty.")
        return out

    # ------------------------------------------------------------- on_batch API
    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: dict | None = None, return_dict: bool = False) -> Any:
        """One update on one batch; returns `[loss, *metrics]` (running means reset first)."""
        self._require_compiled()
        x, y, w = data_mod.as_arrays(x, y, sample_weight, "train_on_batch")
        if class_weight is not None:
            w = data_mod.class_weight_to_sample_weight(y, class_weight)
        self._ensure_built(x)
        self._setup_fused()
        self._check_data(x, y, "train_on_batch")
        self.reset_metrics()
        self.train_step(x, y, w)
        return self._return(self._logs(), return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      return_dict: bool = False) -> Any:
        self._require_compiled()
        x, y, w = data_mod.as_arrays(x, y, sample_weight, "test_on_batch")
        self._ensure_built(x)
        self._check_data(x, y, "test_on_batch")
        self.reset_metrics()
        self.test_step(x, y, w)
        return self._return(self._logs(), return_dict)

    def predict_on_batch(self, x: Any) -> np.ndarray:
        x = data_mod.as_inputs(x)
        self._ensure_built(x)
        return self._forward(x, training=False)

    def _return(self, logs: dict[str, float], return_dict: bool) -> Any:
        if return_dict:
            return logs
        ordered = [logs["loss"]]
        if self._compiled_metrics is not None:
            ordered += [logs[m.name] for m in self._compiled_metrics.metrics]
        return ordered[0] if len(ordered) == 1 else ordered
