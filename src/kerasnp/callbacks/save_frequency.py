"""`save_freq=N` of the saving callbacks: is a save due at the end of this batch?"""

from __future__ import annotations

from typing import Any

from .._errors import KerasnpError, check_int


def checked_save_freq(owner: str, save_freq: Any,
                      string_error: str) -> tuple[Any, BatchCounter | None]:
    """`(save_freq, its BatchCounter)`: `"epoch"` (no counter) or a positive
    int; another string raises `string_error` (each callback's Keras text)."""
    if save_freq == "epoch":
        return save_freq, None
    if isinstance(save_freq, str):
        raise KerasnpError(string_error)
    save_freq = check_int(owner, "save_freq", save_freq, minimum=1)
    return save_freq, BatchCounter(save_freq)


class BatchCounter:
    """Counts the batches since the last save; `due(batch)` is True every
    `every` batches. A batch number not above the previous one means that a
    new epoch began (batches are numbered from 0 in each epoch)."""

    def __init__(self, every: int):
        self.every = every
        self.since_save = 0
        self.last: int | None = None

    def due(self, batch: int) -> bool:
        new_epoch = self.last is None or batch <= self.last
        self.since_save += batch + 1 if new_epoch else batch - self.last
        self.last = batch
        if self.since_save >= self.every:
            self.since_save = 0
            return True
        return False
