"""`Callback` (the hooks) and `CallbackList` (calls them in order)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any


class Callback:
    """Base class of callbacks: override the hooks you need.

    `fit`, `evaluate` and `predict` call the hooks with `logs`, a dict of the
    current metric values. `self.model` and `self.params` (`verbose`,
    `epochs`, `steps`) are set before the first hook. Setting
    `self.model.stop_training = True` ends `fit` after the current epoch.
    """

    def __init__(self) -> None:
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        self.params = params

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_train_batch_begin(self, batch, logs=None): ...
    def on_train_batch_end(self, batch, logs=None): ...
    def on_test_begin(self, logs=None): ...
    def on_test_end(self, logs=None): ...
    def on_test_batch_begin(self, batch, logs=None): ...
    def on_test_batch_end(self, batch, logs=None): ...
    def on_predict_begin(self, logs=None): ...
    def on_predict_end(self, logs=None): ...
    def on_predict_batch_begin(self, batch, logs=None): ...
    def on_predict_batch_end(self, batch, logs=None): ...

    def on_batch_begin(self, batch, logs=None):
        """Alias of `on_train_batch_begin` (older Keras name)."""

    def on_batch_end(self, batch, logs=None):
        """Alias of `on_train_batch_end` (older Keras name)."""


_HOOKS = [name for name in vars(Callback) if name.startswith("on_")]


class LazyLogs(Mapping):
    """Read-only batch logs, computed at the first read.

    `fit` passes these to batch hooks when every callback that receives them
    only reads them when it needs to (the progress bar reads them at a
    redraw), so a batch whose logs nobody reads costs no metric `result()`.
    When any other callback overrides the hook, `fit` passes a plain dict,
    as Keras, and that callback may change it for those after it.
    """

    __slots__ = ("_make", "_logs")

    def __init__(self, make: Callable[[], dict[str, float]]):
        self._make = make
        self._logs: dict[str, float] | None = None

    def _get(self) -> dict[str, float]:
        if self._logs is None:
            self._logs = self._make()
        return self._logs

    def __getitem__(self, key: str) -> float:
        return self._get()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._get())

    def __len__(self) -> int:
        return len(self._get())


def reads_logs_lazily(hook: Callable) -> Callable:
    """Mark a batch hook that accepts `LazyLogs` (it reads them only when needed)."""
    hook.reads_logs_lazily = True
    return hook


def _overrides(callback: Callback, hook: str) -> bool:
    return getattr(type(callback), hook, None) is not getattr(Callback, hook)


class CallbackList:
    """Calls each hook on every callback that defines it, in order.

    `fit` appends `History` and (when verbose) `ProgbarLogger` after the
    user's callbacks, as Keras does, so user callbacks may change `logs`
    before they are recorded or printed. Batch hooks that nobody overrides
    cost nothing.
    """

    def __init__(self, callbacks: Any = None, *, model: Any = None,
                 params: dict[str, Any] | None = None):
        if callbacks is None:
            callbacks = []
        elif isinstance(callbacks, Callback):
            callbacks = [callbacks]
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                from .._errors import KerasnpError

                raise KerasnpError("Invalid value for argument `callbacks`: expected a list of "
                                   f"kerasnp.callbacks.Callback. Received: {cb!r}")
        self.model = model
        self.params = params or {}
        for cb in self.callbacks:
            cb.set_model(model)
            cb.set_params(self.params)
        self._refresh()

    def _refresh(self) -> None:
        self._by_hook = {h: [getattr(cb, h) for cb in self.callbacks if _overrides(cb, h)]
                         for h in _HOOKS}
        # the older names run with the newer ones
        self._by_hook["on_train_batch_begin"] += self._by_hook["on_batch_begin"]
        self._by_hook["on_train_batch_end"] += self._by_hook["on_batch_end"]

    def append(self, callback: Callback) -> None:
        callback.set_model(self.model)
        callback.set_params(self.params)
        self.callbacks.append(callback)
        self._refresh()

    def wants(self, hook: str) -> bool:
        """Whether any callback overrides `hook` (so the caller can skip work)."""
        return bool(self._by_hook[hook])

    def needs_logs(self, hook: str) -> bool:
        """Whether a callback overriding `hook` needs a real logs dict (not `LazyLogs`)."""
        return any(not getattr(fn, "reads_logs_lazily", False) for fn in self._by_hook[hook])

    def _call(self, hook: str, *args: Any) -> None:
        for fn in self._by_hook[hook]:
            fn(*args)

    def on_train_begin(self, logs=None): self._call("on_train_begin", logs)
    def on_train_end(self, logs=None): self._call("on_train_end", logs)
    def on_epoch_begin(self, epoch, logs=None): self._call("on_epoch_begin", epoch, logs)
    def on_epoch_end(self, epoch, logs=None): self._call("on_epoch_end", epoch, logs)
    def on_train_batch_begin(self, b, logs=None): self._call("on_train_batch_begin", b, logs)
    def on_train_batch_end(self, b, logs=None): self._call("on_train_batch_end", b, logs)
    def on_test_begin(self, logs=None): self._call("on_test_begin", logs)
    def on_test_end(self, logs=None): self._call("on_test_end", logs)
    def on_test_batch_begin(self, b, logs=None): self._call("on_test_batch_begin", b, logs)
    def on_test_batch_end(self, b, logs=None): self._call("on_test_batch_end", b, logs)
    def on_predict_begin(self, logs=None): self._call("on_predict_begin", logs)
    def on_predict_end(self, logs=None): self._call("on_predict_end", logs)
    def on_predict_batch_begin(self, b, logs=None): self._call("on_predict_batch_begin", b, logs)
    def on_predict_batch_end(self, b, logs=None): self._call("on_predict_batch_end", b, logs)
