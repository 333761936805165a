"""`save_freq=N` of the saving callbacks: is a save due at the end of this batch?"""

from __future__ import annotations


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
