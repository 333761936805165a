"""What the spinning helper makes for the next training step during this one.

After a step's forward pass the caller works alone for a while (the output
layer's small products, the loss, the first backward passes), with the
second core idle. `Ahead.post` then hands the helper, in one job, the next
step's large Dropout masks (`layers/dropout_ahead.py` reserves them,
`models/ahead_fused.py` makes them), and the next step takes them instead
of drawing them. Each is exactly the mask that would have been drawn: the
draws its layer's generator gives next, and anything else using that
generator first puts it back. So the numbers are those of a run without it
(tests/models/test_ahead.py).

Only in `fit`, with numba's compiled passes and the spinning helper.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _compiled, _spinning


class Ahead:
    """The next step's masks, for one `StepPlan` (its model's Dropout layers)."""

    def __init__(self, layers: list[Any], slots: int):
        self.layers = layers
        self.table = np.zeros((len(layers), slots), dtype=np.int64)
        self._small: set[int] = set()  # batch sizes whose masks are all too small

    @classmethod
    def for_layers(cls, layers: list[Any]) -> Ahead | None:
        """An `Ahead` for these layers' Dropout layers; None without any, or
        without the spinning helper and the compiled masks."""
        dropouts = [layer for layer in layers if hasattr(layer, "_reserve_ahead")]
        if not dropouts or _spinning.spinner() is None:
            return None
        module = _compiled.load("models.ahead_fused")
        return None if module is None else cls(dropouts, module.SLOTS)

    def post(self, rows: int) -> None:
        """Reserve and offer the next step's masks after a forward pass of
        `rows` rows; nothing if the helper cannot take them now."""
        if rows in self._small or _spinning.spinner().backing_off:
            return  # (backing off, the helper would not take them)
        module = _compiled.load("models.ahead_fused")
        module.settle()  # the table is rewritten: the last job must be done
        count, reserved = 0, []
        for layer in self.layers:
            if layer._reserve_ahead(self.table[count]):
                reserved.append(layer)
                count += 1
        if not count:
            if not any(layer._ahead_worth() for layer in self.layers):
                self._small.add(rows)  # `seed`'s: not worth asking again
        elif not module.post(self.table, count):
            for layer in reserved:
                layer._discard_ahead()

    def finish(self) -> None:
        """At the end of the loop: nothing left running, nothing reserved."""
        _compiled.load("models.ahead_fused").settle()
        for layer in self.layers:
            layer._discard_ahead()
