"""The next training step's Dropout masks, made by the spinning helper
during this step (numba).

After a step's forward pass the caller works alone for a while: the output
layer's small products, the loss, the first backward passes (`mnist_mlp`:
about 100 us). The helper, idle then, draws what each Dropout layer's
generator would give next and makes the layer's next mask
(`layers/dropout_fused.py`'s draws). `models/ahead.py` decides what to ask
for; this module holds the compiled work and the table describing it, one
row of `SLOTS` int64 per mask:

    kind, state high, state low, increment high, increment low, draws,
    threshold, mask address, entries, scale (in the mask's dtype, in the
    slot's first bytes), the address of a buffer for the draws

The masks are bit for bit the NumPy lines' (`check` compares them when the
module is first used).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import _compiled, _spinning
from .._jit import njit
from .._spin_loops import address_after, array_at, compiled_part
from ..layers import dropout_fused
from ..layers.dropout import keep_scale, keep_threshold

SLOTS = 12
MASK32, MASK64 = 1, 2
_MASK_KIND = {np.dtype("float32"): MASK32, np.dtype("float64"): MASK64}
#: whether the tasks for masks of a dtype passed `check` (at its first use)
ready = _compiled.Checked(__name__)


@njit(nogil=True, cache=True)
def _mask(task, at, like):  # pragma: no cover - compiled
    hi, lo = np.uint64(task[1]), np.uint64(task[2])
    inc_hi, inc_lo = np.uint64(task[3]), np.uint64(task[4])
    words = array_at(task[10], task[5], np.uint64(0))
    dropout_fused._draws(hi, lo, inc_hi, inc_lo, words)
    entries = task[8]
    dropout_fused._kept(words.view(np.uint32)[:entries], np.uint32(task[6]),
                        array_at(at + 9 * 8, 1, like)[0],
                        array_at(task[7], entries, like))


@njit(nogil=True, cache=True)
def _run(count, table):  # pragma: no cover - compiled
    """Run the `count` tasks of the table at address `table`."""
    for i in range(count):
        at = table + i * SLOTS * 8
        task = array_at(at, SLOTS, np.int64(0))
        if task[0] == MASK32:
            _mask(task, at, np.float32(0.0))
        elif task[0] == MASK64:
            _mask(task, at, 0.0)


def _part(count, p, s):  # pragma: no cover - compiled
    """The helper's entry (`_spin_loops.PART_SIGNATURE`): p[0] is the table."""
    _run(count, p[0])


@njit(cache=True)
def _reserve(row, address, kind, threshold, scale, mask, words, saved):  # pragma: no cover
    """`mask_task` in one call, with NumPy's PCG64 struct at `address`."""
    done, hi, lo, inc_hi, inc_lo = dropout_fused._claim(address, words.size)
    if done:  # (not with a buffered half draw: only NumPy knows what to do)
        saved[0], saved[1], saved[2], saved[3] = hi, lo, inc_hi, inc_lo
        row[0], row[1], row[2], row[3], row[4] = kind, hi, lo, inc_hi, inc_lo
        row[5], row[6], row[7], row[8] = words.size, threshold, mask.ctypes.data, mask.size
        array_at(row.ctypes.data + 9 * 8, 1, scale)[0] = scale
        row[10] = words.ctypes.data
    return done


def mask_task(row: np.ndarray, bit_generator: Any, rate: float, mask: np.ndarray,
              words: np.ndarray, saved: np.ndarray) -> bool:
    """Describe in `row` the next mask `Dropout` would draw with
    `bit_generator` (the NumPy lines of `Dropout._forward_reusing`, into
    `mask`, C-contiguous float32/float64; the draws into `words`, uint64, one
    per two entries) and move the generator past its draws, as drawing
    would; its state before goes to `saved` (4 uint64, for `restore`).
    False (nothing changed) for a generator it does not compute."""
    kind = _MASK_KIND.get(mask.dtype)
    if (kind is None or not ready(mask.dtype) or not mask.flags.c_contiguous
            or type(bit_generator) is not np.random.PCG64
            or words.size != (mask.size + 1) // 2 or not dropout_fused.in_place()):
        return False
    with bit_generator.lock:
        return _reserve(row, bit_generator.ctypes.state_address, kind,
                        keep_threshold(rate), keep_scale(rate, mask.dtype), mask, words, saved)


def restore(bit_generator: Any, saved: np.ndarray) -> None:
    """Put the generator back where `mask_task` found it."""
    with bit_generator.lock:
        dropout_fused._store_advanced(bit_generator.ctypes.state_address, *saved, 0)


def post(table: np.ndarray, count: int) -> bool:
    """Offer the first `count` tasks of `table` to the spinning helper; they
    are done once `settle` has run. False (nothing offered) without a helper,
    or when it is busy or backing off."""
    spinner = _spinning.spinner()
    return spinner is not None and spinner.post(compiled_part(_part), count,
                                                (address_after(table, 0),), False, (0.0,))


def settle() -> None:
    """Wait for the tasks offered (run them here if the helper has not)."""
    spinner = _spinning.spinner()
    if spinner is not None:
        spinner.settle()


def check(dtype: np.dtype) -> bool:
    """Whether the tasks give the NumPy lines' masks of `dtype` here
    (`Dropout._kept`'s draws, written out with a bare generator: no layer,
    so no seed or name is taken from the program's sequence)."""
    if not dropout_fused.in_place():  # masks are reserved in NumPy's struct only
        return False
    table = np.zeros((1, SLOTS), np.int64)
    for shape in ((5, 3), (32, 128)):
        ours, numpys = np.random.PCG64(7), np.random.PCG64(7)
        mask, size = np.empty(shape, dtype), shape[0] * shape[1]
        words = np.empty((size + 1) // 2, np.uint64)
        if not mask_task(table[0], ours, 0.3, mask, words, np.empty(4, np.uint64)):
            return False
        _run(1, address_after(table, 0))
        draws = numpys.random_raw((size + 1) // 2).view(np.uint32)[:size]
        expected = np.less(draws, np.uint32(keep_threshold(0.3))).astype(dtype)
        expected *= keep_scale(0.3, dtype)
        if (mask.tobytes() != expected.reshape(shape).tobytes()
                or ours.state != numpys.state):
            return False
    return True
