"""`History`: the per-epoch record that `fit` returns."""

from __future__ import annotations

from .callback import Callback


class History(Callback):
    """Records every epoch's logs; `fit` returns it.

    Attributes:
        history: dict of name -> list of floats, one per epoch, keys sorted as
            Keras sorts them.
        epoch: the epoch indices that ran (0-based).
        params: `{"verbose", "epochs", "steps"}` of the `fit` call.
    """

    def __init__(self) -> None:
        super().__init__()
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if self.model is not None:
            self.model.history = self

    def __repr__(self) -> str:
        return f"<History epochs={len(self.epoch)} keys={list(self.history)}>"
