"""What the spinning helper makes for the next training step during this one.

After a step's forward pass the caller works alone for a while (the output
layer's small products, the loss, the first backward passes), with the
second core idle. `Ahead.post` then hands the helper, in one job, the next
step's Dropout masks (`ahead_fused`), and the next step takes them instead
of drawing them (`Dropout._take_ahead`). Each is exactly the mask that
would have been drawn: the draws its layer's generator gives next, and
anything else using that generator first puts it back. So the numbers are
those of a run without it (tests/test_parallel.py).

Only in `fit`, with numba's compiled passes and the spinning helper.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _compiled


class Ahead:
    """The next step's masks and rows, for one `StepPlan`."""

    def __init__(self, module: Any, layers: list[Any]):
        self.module = module
        self.layers = [layer for layer in layers if hasattr(layer, "_reserve_ahead")]
        self.table = np.zeros((len(self.layers), module.SLOTS), dtype=np.int64)
        self._nothing_for: set[int] = set()  # batch sizes whose masks are all small

    @classmethod
    def for_layers(cls, layers: list[Any]) -> Ahead | None:
        """An `Ahead` for these layers; None without Dropout layers or numba."""
        if not any(hasattr(layer, "_reserve_ahead") for layer in layers):
            return None
        module = _compiled.load("models.ahead_fused")
        return None if module is None else cls(module, layers)

    def post(self, rows: int) -> None:
        """Reserve and offer the next step's work after a forward pass of
        `rows` rows; nothing if the helper cannot take it now."""
        if rows in self._nothing_for:
            return
        module = self.module
        module.settle()  # the table is rewritten: the last job must be done
        count, reserved = 0, []
        for layer in self.layers:
            if layer._reserve_ahead(self.table[count]):
                reserved.append(layer)
                count += 1
        if not count:  # masks too small to be worth it (`seed`'s): do not ask again
            self._nothing_for.add(rows)
        elif not module.post(self.table, count):
            for layer in reserved:
                layer._discard_ahead()

    def finish(self) -> None:
        """At the end of the loop: nothing left running, nothing reserved."""
        self.module.settle()
        for layer in self.layers:
            layer._discard_ahead()
