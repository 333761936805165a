"""Ctrl-C during `fit`: stop after the batch under way, never in the middle of one."""

from __future__ import annotations

import signal
import threading
from typing import Any


class StopOnInterrupt:
    """Turn Ctrl-C during `fit` into "stop after this batch".

    The first Ctrl-C sets `requested`; the batch under way finishes, so no
    weight is left half-updated, and `fit` returns the history so far. A
    second Ctrl-C interrupts at once, as usual. Outside the main thread
    (where signal handlers cannot be set) Ctrl-C behaves as usual.
    """

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> StopOnInterrupt:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
