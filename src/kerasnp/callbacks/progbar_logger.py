"""`ProgbarLogger`: prints `fit`'s progress bar (added by `fit` when verbose)."""

from __future__ import annotations

from ..utils.progbar import Progbar
from .callback import Callback, reads_logs_lazily


class ProgbarLogger(Callback):
    """Draws one `Progbar` per epoch (and for `evaluate` / `predict`).

    `fit(verbose=1)` redraws a bar in place; `verbose=2` prints one line per
    epoch. "Epoch i/E" is printed only when `epochs > 1`, as in Keras.
    """

    def __init__(self) -> None:
        super().__init__()
        self.progbar: Progbar | None = None

    def _verbose(self) -> int:
        v = self.params.get("verbose", 1)
        return 1 if v == "auto" else v

    def _new_bar(self) -> None:
        self.progbar = Progbar(self.params.get("steps"), verbose=self._verbose())

    def on_epoch_begin(self, epoch, logs=None):
        epochs = self.params.get("epochs", 1)
        if epochs > 1 and self._verbose():
            print(f"Epoch {epoch + 1}/{epochs}", flush=True)
        self._new_bar()

    @reads_logs_lazily
    def on_train_batch_end(self, batch, logs=None):
        bar = self.progbar
        bar.update(batch + 1, logs if bar.will_draw() else None, finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        self.progbar.update(self.progbar._seen, logs, finalize=True)

    def on_test_begin(self, logs=None):
        if self.progbar is None or self.params.get("_mode") == "evaluate":
            self._new_bar()

    @reads_logs_lazily
    def on_test_batch_end(self, batch, logs=None):
        if self.params.get("_mode") == "evaluate":
            bar = self.progbar
            bar.update(batch + 1, logs if bar.will_draw() else None, finalize=False)

    def on_test_end(self, logs=None):
        if self.params.get("_mode") == "evaluate":
            self.progbar.update(self.progbar._seen, logs, finalize=True)

    def on_predict_begin(self, logs=None):
        self._new_bar()

    @reads_logs_lazily
    def on_predict_batch_end(self, batch, logs=None):
        self.progbar.update(batch + 1, None, finalize=False)

    def on_predict_end(self, logs=None):
        self.progbar.update(self.progbar._seen, None, finalize=True)
