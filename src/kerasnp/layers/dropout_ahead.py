"""Dropout's next mask, made ahead of its training pass by the helper thread.

In `fit`, after a step's forward pass, `models/ahead.py` asks each Dropout
layer to reserve its next mask (`_reserve_ahead`): the layer's generator
moves on at once, as if the mask had been drawn, and the spinning helper
draws it (`models/ahead_fused.py`) while the caller computes the loss. The
next training pass of the same shape takes it (`_take_ahead`). Anything
else that draws from the generator, reads or sets its state, or copies the
layer first gives the reservation up (`_discard_ahead`): the generator goes
back where it was. So the masks, and every number after them, are those
of a run without it.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np

from .. import _compiled

#: masks of at least this many entries are made ahead (`mnist_mlp`'s 128x512);
#: below, reserving one costs about what it saves (`seed`'s 32x128: +1 %)
AHEAD_ENTRIES = 16_384


class MaskAhead:
    """The reservation half of `Dropout` (which provides `_rng`, `_mask`,
    `rate`, `_buffer` and `_ahead`, the reservation: (process id, bit
    generator, its state before, mask, rate, draws buffer), which keeps the
    arrays the helper writes alive until it is done))."""

    _rng: Any
    _mask: np.ndarray | None
    _ahead: tuple | None
    rate: float

    def _ahead_worth(self) -> bool:
        """Whether this layer's next mask is one to make ahead: the last
        training pass made one of `AHEAD_ENTRIES` or more."""
        mask = self._mask
        return mask is not None and mask.size >= AHEAD_ENTRIES and self.rate not in (0, 1)

    def _reserve_ahead(self, row: np.ndarray) -> bool:
        """Describe the next training pass's mask (this pass's shape) in `row`
        of the helper's table; False (nothing reserved) where it cannot."""
        if self._ahead is not None or not self._ahead_worth():
            return False
        mask = self._mask
        shape, dtype = mask.shape, mask.dtype
        first, second = self._buffer("mask", shape, dtype), self._buffer("mask ahead", shape, dtype)
        if mask is not first and mask is not second:  # not the training loop's mask
            return False
        module = _compiled.load("models.ahead_fused")
        target = second if mask is first else first  # this pass's is still needed
        words = self._buffer("ahead draws", ((mask.size + 1) // 2,), np.dtype(np.uint64))
        saved = self._buffer("ahead state", (4,), np.dtype(np.uint64))
        generator = self._rng.bit_generator
        if module is None or not module.mask_task(row, generator, self.rate, target, words,
                                                  saved):
            return False
        self._ahead = (os.getpid(), generator, saved, target, self.rate, words)
        return True

    def _take_ahead(self, shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray | None:
        """The mask reserved ahead, once made, if it is this pass's; else None,
        with the generator put back."""
        pid, generator, _, mask, rate, _ = self._ahead
        if (pid == os.getpid() and generator is self._rng.bit_generator
                and mask.shape == shape and mask.dtype == dtype and rate == self.rate):
            self._ahead = None
            _compiled.load("models.ahead_fused").settle()
            return mask
        self._discard_ahead()
        return None

    def _discard_ahead(self) -> None:
        """Give up the mask reserved ahead: its generator goes back to its state
        before the reservation."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            module = _compiled.load("models.ahead_fused")
            module.settle()  # the helper may still be writing the mask
            module.restore(ahead[1], ahead[2])

    def __getstate__(self) -> dict[str, Any]:
        """A copy or pickle never carries a reservation (nor a mask half made)."""
        if self._ahead is not None:
            self._discard_ahead()
        return self.__dict__.copy()
