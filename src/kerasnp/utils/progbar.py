"""`Progbar`: Keras's progress bar, byte for byte, without flooding logs.

On a terminal (or in a notebook) the bar redraws in place, at most every
`interval` seconds. When the output is a file or a pipe, only each bar's
final line is written, so a log gets one line per epoch, not thousands.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Mapping
from typing import Any, TextIO

_GREEN, _GREY, _BOLD, _RESET = "\x1b[32m", "\x1b[37m", "\x1b[1m", "\x1b[0m"


def _format_time(seconds: float, unit: str = "step") -> str:
    """`" 35ms/step"`: Keras's time per unit (s, ms or us)."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit}"
    return f" {seconds * 1e6:.0f}us/{unit}"


def _format_eta(eta: float) -> str:
    if eta > 3600:
        return f"{int(eta) // 3600}:{(int(eta) % 3600) // 60:02d}:{int(eta) % 60:02d}"
    if eta > 60:
        return f"{int(eta) // 60}:{int(eta) % 60:02d}"
    return f"{int(eta)}s"


def _is_interactive(stream: TextIO) -> bool:
    if "ipykernel" in sys.modules or "google.colab" in sys.modules:
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Progbar:
    """A progress bar for `target` steps, with metric values.

    Args:
        target: the number of steps, or None if unknown.
        width: the bar's width in characters. Defaults to 20.
        verbose: 1 draws the bar, 2 prints one line at the end, 0 is silent.
        interval: the minimum seconds between redraws. Defaults to 0.05.
        unit_name: the unit of the per-step time. Defaults to `"step"`.
        stream: where to write. Defaults to `sys.stdout` at each write.
        dynamic: redraw in place (True) or write only final lines (False).
            Defaults to whether `stream` is a terminal or a notebook.
    """

    def __init__(self, target: int | None, width: int = 20, verbose: int = 1,
                 interval: float = 0.05, unit_name: str = "step",
                 stream: TextIO | None = None, dynamic: bool | None = None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self._stream = stream
        self._dynamic = dynamic
        self._values: dict[str, float] = {}
        self._start = time.time()
        self._time_after_first = None
        self._last_update = 0.0
        self._prev_width = 0
        self._seen = 0

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    def update(self, current: int, values: Any = None, finalize: bool | None = None) -> None:
        """Show step `current` with `values` (a dict or (name, value) pairs)."""
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        for key, value in (values.items() if isinstance(values, Mapping) else values or ()):
            self._values[key] = value
        now = time.time()
        if self._time_after_first is None and current >= 1:
            self._time_after_first = now
            self._first_step_time = now - self._start
        self._seen = current
        if self.verbose == 1:
            if not finalize and not self._redraw_due(now):
                return
            self._last_update = now
            self._write(self._line(current, now, finalize), self._in_place(), finalize)
        elif self.verbose == 2 and finalize:
            self._write(self._line2(current, now), False, True)

    def will_draw(self) -> bool:
        """Whether an `update` now (not final) would redraw the bar, so a caller
        can skip computing values that would not be shown."""
        return self.verbose == 1 and self._redraw_due(time.time())

    def _in_place(self) -> bool:
        return _is_interactive(self.stream) if self._dynamic is None else self._dynamic

    def _redraw_due(self, now: float) -> bool:
        """A bar drawn in place redraws at most every `interval` seconds; one
        written to a file or pipe only at the end."""
        return self._in_place() and now - self._last_update >= self.interval

    def add(self, n: int, values: Any = None) -> None:
        self.update(self._seen + n, values)

    # The lines themselves -------------------------------------------------------
    def _per_step(self, current: int, now: float) -> float:
        if current > 1 and self._time_after_first is not None:
            return (now - self._time_after_first) / (current - 1)
        return (now - self._start) / max(current, 1)

    def _metrics(self, v2: bool = False) -> str:
        out = ""
        for key, value in self._values.items():
            value = float(value)
            big = value > 1e-3 if v2 else abs(value) > 1e-3
            out += f" - {key}:" + (f" {value:.4f}" if big else f" {value:.4e}")
        return out

    def _line(self, current: int, now: float, final: bool) -> str:
        elapsed = now - self._start
        if self.target is not None:
            digits = int(math.log10(self.target)) + 1 if self.target > 0 else 1
            bar = f"{_BOLD}{current:>{digits}d}/{self.target}{_RESET} "
            done = int(self.width * current / self.target) if self.target else self.width
            if done > 0:
                bar += f"{_GREEN}{'━' * done}{_RESET}"
            bar += f"{_GREY}{'━' * (self.width - done)}{_RESET}"
        else:
            bar = f"{_BOLD}{current:7d}/Unknown{_RESET}"
        per_step = self._per_step(current, now)
        if final or self.target is None:
            timing = f"{elapsed:.0f}s"
        else:
            timing = _format_eta(per_step * (self.target - current))
        per_unit = _format_time(per_step, self.unit_name)
        return f"{bar} {_BOLD}{timing}{_RESET}{per_unit}{self._metrics()}"

    def _line2(self, current: int, now: float) -> str:
        digits = int(math.log10(self.target)) + 1 if self.target else 1
        count = f"{current:>{digits}}/{self.target}" if self.target else f"{current}"
        per_unit = _format_time(self._per_step(current, now), self.unit_name)
        return f"{count} - {now - self._start:.0f}s -{per_unit}{self._metrics(v2=True)}"

    def _write(self, line: str, dynamic: bool, final: bool) -> None:
        stream = self.stream
        if not _supports_color(stream):
            for code in (_GREEN, _GREY, _BOLD, _RESET):
                line = line.replace(code, "")
        if dynamic:
            width = len(line)
            text = "\b" * self._prev_width + "\r" + line
            text += " " * max(0, self._prev_width - width)
            self._prev_width = width
        else:
            text = line
        stream.write(text + ("\n" if final else ""))
        stream.flush()


def _supports_color(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    return _is_interactive(stream)
