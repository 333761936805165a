"""`TrainingEval`: the training loss measured in inference mode at every epoch's end.

The ``loss`` that ``fit`` logs is a running mean over the epoch's batches,
taken with Dropout active while the weights still change; it overstates the
loss of the model the epoch ends with. `TrainingEval` evaluates that model
on (a fixed subsample of) the training data after each epoch, with Dropout
off, exactly as ``model.evaluate`` would, and logs ``eval_loss`` and
``eval_<metric>`` beside ``loss`` and ``val_loss``. `kerasnp.lab.diagnose`
uses these values when they are there.

It also records in ``history.params`` what the lab's rules and suggestions
read: ``num_classes``, ``initial_loss`` (the loss before the first update),
``learning_rate``, ``l2`` and ``dropout``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._errors import KerasnpError, check_int, unexpected_keywords
from ..callbacks import Callback
from ..layers import Dropout
from ..utils.random import make_rng

#: Keys `TrainingEval` may add to ``history.params``.
PARAM_KEYS = ("num_classes", "initial_loss", "learning_rate", "l2", "dropout")


class TrainingEval(Callback):
    """Log the training loss and metrics in inference mode (``eval_*``) at each epoch end.

    Put it first in ``callbacks=[...]``: callbacks see the epoch's logs in
    order, so a `CSVLogger` or `EarlyStopping` listed after it sees the
    ``eval_*`` values too (``History`` always does).

    The measurement is what ``model.evaluate(x, y, verbose=0)`` returns:
    Dropout off, the loss including weight penalties (as ``val_loss``), the
    compiled metrics. It does not change training: the running metrics of
    ``fit`` are saved and put back around it, and inference draws no random
    numbers, so the weights and the logged ``loss`` are the same with or
    without this callback.

    Args:
        x: the training inputs (the part used for training: without the
            validation data).
        y: the training targets.
        max_samples: evaluate on at most this many samples, a random subset
            fixed for the whole run (None: all). Defaults to `5000`.
        batch_size: batch size of the evaluation. Defaults to `256`.
        seed: seed of the subsample. Defaults to `0`.
        params: values to record in ``history.params`` instead of those
            read from the model (keys among `PARAM_KEYS`); e.g. the `l2` and
            `dropout` a custom model uses.

    Example:
        >>> import numpy as np, kerasnp as keras
        >>> x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
        >>> y = (x[:, 0] > 0).astype("int64")
        >>> model = keras.Sequential([keras.Input(shape=(4,)),
        ...                           keras.layers.Dense(2, activation="softmax")])
        >>> model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        >>> h = model.fit(x, y, epochs=2, verbose=0, callbacks=[TrainingEval(x, y)])
        >>> sorted(h.history)
        ['accuracy', 'eval_accuracy', 'eval_loss', 'loss']
        >>> h.params["num_classes"], round(h.params["initial_loss"], 1) > 0
        (2, True)
    """

    def __init__(
        self,
        x: Any,
        y: Any,
        *,
        max_samples: int | None = 5000,
        batch_size: int = 256,
        seed: int = 0,
        params: Mapping[str, Any] | None = None,
    ):
        super().__init__()
        owner = "TrainingEval"
        self.max_samples = check_int(owner, "max_samples", max_samples, minimum=1, allow_none=True)
        self.batch_size = check_int(owner, "batch_size", batch_size, minimum=1)
        self.seed = check_int(owner, "seed", seed, minimum=0)
        x, y = np.asarray(x), np.asarray(y)
        if x.ndim == 0 or y.ndim == 0 or len(x) != len(y) or len(x) == 0:
            raise KerasnpError(
                "Invalid value for arguments `x`, `y` of TrainingEval: expected arrays with "
                f"the same non-zero number of samples. Received: x with shape {x.shape}, y "
                f"with shape {y.shape}"
            )
        if self.max_samples is not None and len(x) > self.max_samples:
            keep = np.sort(make_rng(self.seed).choice(len(x), self.max_samples, replace=False))
            x, y = x[keep], y[keep]
        self.x, self.y = x, y
        extra = dict(params or {})
        unknown = {k: v for k, v in extra.items() if k not in PARAM_KEYS}
        if unknown:
            raise unexpected_keywords(owner, unknown, list(PARAM_KEYS))
        self.extra_params = extra
        self.initial_logs: dict[str, float] = {}

    @property
    def n_samples(self) -> int:
        """How many training samples each measurement uses."""
        return len(self.x)

    def measure(self) -> dict[str, float]:
        """``model.evaluate`` on the (sub)sample, leaving every running metric as it was."""
        metrics = list(self.model.metrics)
        saved = [copy.deepcopy(vars(m)) for m in metrics]
        try:
            logs = self.model.evaluate(
                self.x, self.y, batch_size=self.batch_size, verbose=0, return_dict=True
            )
        finally:
            for m, state in zip(metrics, saved, strict=True):
                vars(m).clear()
                vars(m).update(state)
        return {k: float(v) for k, v in logs.items()}

    def on_train_begin(self, logs=None):
        self.initial_logs = self.measure()
        found = describe_model(self.model, self.y)
        found["initial_loss"] = self.initial_logs.get("loss")
        found.update(self.extra_params)
        found = {k: v for k, v in found.items() if v is not None}
        self.params.update(found)
        history = getattr(self.model, "history", None)
        if history is not None and isinstance(getattr(history, "params", None), dict):
            history.params.update(found)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        logs.update({"eval_" + k: v for k, v in self.measure().items()})

    def __repr__(self) -> str:
        return (
            f"TrainingEval(n_samples={self.n_samples}, batch_size={self.batch_size}, "
            f"seed={self.seed})"
        )


def describe_model(model: Any, y: Any = None) -> dict[str, Any]:
    """What the lab records about a model: classes, learning rate, L2 and Dropout.

    ``num_classes`` is the width of a softmax output (2 for one sigmoid unit),
    else one more than the largest integer label; ``l2`` is the largest L2
    factor on a kernel and ``dropout`` the largest Dropout rate (0 when there
    is none).
    """
    out: dict[str, Any] = {"num_classes": _num_classes(model, y)}
    lr = getattr(getattr(model, "optimizer", None), "learning_rate", None)
    out["learning_rate"] = float(lr) if isinstance(lr, int | float | np.floating) else None
    l2, rate = 0.0, 0.0
    for layer in getattr(model, "layers", []):
        reg = getattr(layer, "kernel_regularizer", None)
        factor = getattr(reg, "l2", None)
        if isinstance(factor, int | float) and not isinstance(factor, bool):
            l2 = max(l2, float(factor))
        if isinstance(layer, Dropout):
            rate = max(rate, float(layer.rate))
    out["l2"], out["dropout"] = l2, rate
    return out


def _num_classes(model: Any, y: Any) -> int | None:
    shape = getattr(model, "output_shape", None)
    units = shape[-1] if shape else None
    last = model.layers[-1] if getattr(model, "layers", None) else None
    act = getattr(getattr(last, "activation", None), "__name__", "")
    if isinstance(units, int) and units >= 2 and act == "softmax":
        return units
    if units == 1 and act == "sigmoid":
        return 2
    y = np.asarray(y) if y is not None else None
    if y is not None and y.ndim == 1 and y.dtype.kind in "iu" and len(y):
        k = int(y.max()) + 1
        return k if k >= 2 else None
    if y is not None and y.ndim == 2 and y.shape[1] >= 2:
        return int(y.shape[1])
    return None
