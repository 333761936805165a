"""`LambdaCallback`: a callback made of plain functions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._errors import KerasnpError, closest, invalid
from .callback import _HOOKS, Callback


def _as_method(fn: Callable) -> Callable:
    def hook(self: Callback, *args: Any) -> Any:
        return fn(*args)

    return hook


class LambdaCallback(Callback):
    """A callback whose hooks are the functions given, with the hooks' arguments.

    `on_epoch_begin(epoch, logs)`, `on_epoch_end(epoch, logs)`,
    `on_train_begin(logs)`, `on_train_end(logs)`,
    `on_train_batch_begin(batch, logs)`, `on_train_batch_end(batch, logs)`;
    any other hook of `Callback` (`on_test_end`, `on_predict_batch_end`,
    `on_batch_end`, ...) may be given by keyword too.

    Raises:
        KerasnpError: a hook is not callable, or a keyword names no hook
            (the message suggests the closest).

    Example:
    >>> seen = []
    >>> cb = LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(epoch))
    >>> cb.on_epoch_end(0, {}); seen
    [0]
    """

    def __init__(
        self,
        on_epoch_begin: Callable | None = None,
        on_epoch_end: Callable | None = None,
        on_train_begin: Callable | None = None,
        on_train_end: Callable | None = None,
        on_train_batch_begin: Callable | None = None,
        on_train_batch_end: Callable | None = None,
        **kwargs: Any,
    ):
        super().__init__()
        hooks = dict(
            on_epoch_begin=on_epoch_begin,
            on_epoch_end=on_epoch_end,
            on_train_begin=on_train_begin,
            on_train_end=on_train_end,
            on_train_batch_begin=on_train_batch_begin,
            on_train_batch_end=on_train_batch_end,
        )
        for name, fn in kwargs.items():
            if name not in _HOOKS:
                hint = closest(name, _HOOKS)
                raise KerasnpError(
                    f"LambdaCallback got an unexpected keyword argument `{name}`: it is not a "
                    "callback hook."
                    + (f" Did you mean `{hint}`?" if hint else "")
                    + f" Received: {name}={fn!r}"
                )
            hooks[name] = fn
        hooks = {name: fn for name, fn in hooks.items() if fn is not None}
        for name, fn in hooks.items():
            if not callable(fn):
                raise invalid("LambdaCallback", name, "a function or None", fn)
        self.hooks = hooks
        # The hooks become methods of a class of this instance's own, so that
        # CallbackList sees them as overridden (it skips hooks nobody defines).
        namespace = {name: _as_method(fn) for name, fn in hooks.items()}
        self.__class__ = type("LambdaCallback", (LambdaCallback,), namespace)

    def __repr__(self) -> str:
        return f"LambdaCallback({', '.join(sorted(self.hooks))})"
