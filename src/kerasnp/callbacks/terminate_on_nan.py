"""`TerminateOnNaN`: stop as soon as the training loss is NaN or infinite."""

from __future__ import annotations

import math

from .._errors import check_bool
from .callback import Callback


class TerminateOnNaN(Callback):
    """Stop training when a batch ends with a NaN or infinite `loss`.

    The default stops gracefully: `model.stop_training` is set, the current
    epoch ends and is recorded, and the other callbacks' `on_train_end` run.

    Args:
        raise_error: raise a `RuntimeError` at once instead (the other
            callbacks' `on_train_end` then do not run). Defaults to `False`.

    Example:
    >>> TerminateOnNaN().raise_error
    False
    """

    def __init__(self, raise_error: bool = False):
        super().__init__()
        self.raise_error = check_bool("TerminateOnNaN", "raise_error", raise_error)

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        if self.raise_error:
            raise RuntimeError(
                f"NaN or Inf loss encountered at batch {batch}. "
                f"Loss value: {loss}. Terminating training immediately."
            )
        print(f"Batch {batch}: Invalid loss, terminating training", flush=True)
        self.model.stop_training = True

    def __repr__(self) -> str:
        return f"TerminateOnNaN(raise_error={self.raise_error})"
