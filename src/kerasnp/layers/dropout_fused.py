"""Dropout's mask in one compiled pass (numba): the same bits, about twice as fast.

`Dropout._kept` draws one 32-bit integer per entry with the layer's bit
generator (`random_raw`, half a 64-bit draw each) and keeps the entries
below `(1 - rate) * 2**32`. NumPy's `random_raw` calls the generator once
per draw, and each of PCG64's steps waits for the previous one: 32,768 draws
(a 128x512 mask) take about 50 us, the scaled mask and the product 20 us
more.

Here numba computes the very same PCG64 draws, four independent runs of the
stream at once (each started where the stream would be, by PCG64's jump
ahead), then the scaled mask and the masked inputs in one pass, and leaves
the layer's generator where `random_raw` would have left it (`advance`).
The generator's state is read and written in NumPy's own struct (at its
`ctypes.state_address`) once `_struct_works` has found that layout here;
else through `bit_generator.state` and `advance`, which cost several us a
step (they build dicts of Python ints).
In the training loop a mask of 16,384 entries or more is made in two
halves at once, the second by the spinning helper (`_spinning`) from the
state where its draws begin. The mask and the outputs are bit for bit those
of the NumPy lines (the tests compare them; `check` compares a few draws
with NumPy's own when this module is first used, and the NumPy lines run if
they differ).

Only for NumPy's PCG64 (the default, and what `set_random_seed` and a
layer's `seed` give), float32 and float64. Imported only when numba is
installed and `KERASNP_FUSED` is not `0`.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import numpy as np
from llvmlite import ir

from .. import _blas, _jit, _spinning
from .._jit import carray, intrinsic, njit, types
from .._spin_loops import array_at, compiled_part, pointer
from .dropout import keep_scale, keep_threshold

# PCG64's multiplier, 2549297995355413924 * 2**64 + 4865540595714422341
_MULT_HI, _MULT_LO = 2549297995355413924, 4865540595714422341
_LOW = (1 << 64) - 1
_CHAINS = 4  # independent runs of the stream, interleaved


def _join(builder: Any, hi: Any, lo: Any) -> Any:
    i128 = ir.IntType(128)
    return builder.or_(builder.shl(builder.zext(hi, i128), ir.Constant(i128, 64)),
                       builder.zext(lo, i128))


@intrinsic
def _muladd(typingctx, a_hi, a_lo, b_hi, b_lo, c_hi, c_lo):
    """`(a * b + c) mod 2**128` on 128-bit numbers given as (high, low) uint64."""
    def codegen(context, builder, signature, args):
        a, b, c = (_join(builder, *args[i:i + 2]) for i in (0, 2, 4))
        result = builder.add(builder.mul(a, b), c)
        i128, i64 = ir.IntType(128), ir.IntType(64)
        hi = builder.trunc(builder.lshr(result, ir.Constant(i128, 64)), i64)
        return context.make_tuple(builder, signature.return_type,
                                  (hi, builder.trunc(result, i64)))
    return types.UniTuple(types.uint64, 2)(a_hi, a_lo, b_hi, b_lo, c_hi, c_lo), codegen


@njit(inline="always")
def _output(hi, lo):  # pragma: no cover - compiled
    """PCG64's output of a state: XSL-RR, (hi ^ lo) rotated right by hi >> 58."""
    x = hi ^ lo
    r = hi >> np.uint64(58)
    return (x >> r) | (x << ((-r) & np.uint64(63)))


@njit(cache=True)
def _advance(hi, lo, inc_hi, inc_lo, delta):  # pragma: no cover - compiled
    """The state `delta` steps on (Brown, "Random number generation with
    arbitrary strides", 1994: the LCG's jump ahead in log2(delta) steps)."""
    zero, one = np.uint64(0), np.uint64(1)
    acc_mult_hi, acc_mult_lo, acc_plus_hi, acc_plus_lo = zero, one, zero, zero
    mult_hi, mult_lo = np.uint64(_MULT_HI), np.uint64(_MULT_LO)
    plus_hi, plus_lo = inc_hi, inc_lo
    while delta > 0:
        if delta & 1:
            acc_mult_hi, acc_mult_lo = _muladd(acc_mult_hi, acc_mult_lo, mult_hi, mult_lo,
                                               zero, zero)
            acc_plus_hi, acc_plus_lo = _muladd(acc_plus_hi, acc_plus_lo, mult_hi, mult_lo,
                                               plus_hi, plus_lo)
        next_hi, next_lo = _muladd(mult_hi, mult_lo, zero, one, zero, one)  # mult + 1
        plus_hi, plus_lo = _muladd(next_hi, next_lo, plus_hi, plus_lo, zero, zero)
        mult_hi, mult_lo = _muladd(mult_hi, mult_lo, mult_hi, mult_lo, zero, zero)
        delta >>= 1
    return _muladd(acc_mult_hi, acc_mult_lo, hi, lo, acc_plus_hi, acc_plus_lo)


@njit(nogil=True, cache=True)
def _draws(hi, lo, inc_hi, inc_lo, words):  # pragma: no cover - compiled
    """`random_raw(words.size)` from the state (hi, lo), into `words`: the
    stream in four runs stepped side by side (each step of one run waits for
    its previous step; four runs keep the multiplier busy)."""
    count = words.size
    q = count // 4
    m_hi, m_lo = np.uint64(_MULT_HI), np.uint64(_MULT_LO)
    h0, l0 = hi, lo
    h1, l1 = _advance(hi, lo, inc_hi, inc_lo, q)
    h2, l2 = _advance(hi, lo, inc_hi, inc_lo, 2 * q)
    h3, l3 = _advance(hi, lo, inc_hi, inc_lo, 3 * q)
    for t in range(q):  # a step first, then the output, as PCG64's next64
        h0, l0 = _muladd(h0, l0, m_hi, m_lo, inc_hi, inc_lo)
        h1, l1 = _muladd(h1, l1, m_hi, m_lo, inc_hi, inc_lo)
        h2, l2 = _muladd(h2, l2, m_hi, m_lo, inc_hi, inc_lo)
        h3, l3 = _muladd(h3, l3, m_hi, m_lo, inc_hi, inc_lo)
        words[t] = _output(h0, l0)
        words[q + t] = _output(h1, l1)
        words[2 * q + t] = _output(h2, l2)
        words[3 * q + t] = _output(h3, l3)
    for t in range(4 * q, count):  # the last run goes on where it stopped
        h3, l3 = _muladd(h3, l3, m_hi, m_lo, inc_hi, inc_lo)
        words[t] = _output(h3, l3)


@njit(nogil=True, cache=True)
def _mask(draws, threshold, scale, inputs, mask, out):  # pragma: no cover - compiled
    """mask = (draws < threshold) * scale; out = inputs * mask (as the NumPy lines)."""
    zero = scale - scale
    for i in range(inputs.size):
        kept = scale if draws[i] < threshold else zero
        mask[i] = kept
        out[i] = inputs[i] * kept


@njit(nogil=True, cache=True)
def _kept(draws, threshold, scale, mask):  # pragma: no cover - compiled
    """mask = (draws < threshold) * scale: `_mask` without the inputs (a mask
    made ahead of its pass, `models/ahead_fused.py`)."""
    zero = scale - scale
    for i in range(mask.size):
        mask[i] = scale if draws[i] < threshold else zero


_words = threading.local()  # a draw buffer per thread


def _buffer(count: int) -> np.ndarray:
    words = getattr(_words, "array", None)
    if words is None or words.size < count:
        words = _words.array = np.empty(max(count, 1024), dtype=np.uint64)
    return words[:count]


@njit(inline="always")
def _struct(address):  # pragma: no cover - compiled
    """NumPy's PCG64 struct at `address` (a generator's `ctypes.state_address`):
    (whether a 32-bit half draw is buffered, the four state words: state low,
    state high, increment low, increment high)."""
    buffered = carray(pointer(address + 8, np.int32(0)), 1)[0] != 0
    head = carray(pointer(address, np.int64(0)), 1)
    return buffered, carray(pointer(head[0], np.uint64(0)), 4)


@njit(inline="always")
def _claim(address, count):  # pragma: no cover - compiled
    """Move the struct at `address` `count` draws on, as drawing them would:
    (done, and the state it held: high, low, increment high, increment low);
    not done, nothing changed, if a half draw is buffered."""
    buffered, state = _struct(address)
    hi, lo, inc_hi, inc_lo = state[1], state[0], state[3], state[2]
    if not buffered:
        new_hi, new_lo = _advance(hi, lo, inc_hi, inc_lo, count)
        state[0], state[1] = new_lo, new_hi
    return not buffered, hi, lo, inc_hi, inc_lo


@njit(cache=True)
def _load_state(address, out):  # pragma: no cover - compiled
    """`out[:] = state high, state low, increment high, increment low` of the
    struct at `address`; returns whether a half draw is buffered."""
    buffered, words = _struct(address)
    out[0], out[1], out[2], out[3] = words[1], words[0], words[3], words[2]
    return buffered


@njit(cache=True)
def _store_advanced(address, hi, lo, inc_hi, inc_lo, delta):  # pragma: no cover - compiled
    """Write the state `delta` steps on from (hi, lo) into the struct at `address`."""
    new_hi, new_lo = _advance(hi, lo, inc_hi, inc_lo, delta)
    words = _struct(address)[1]
    words[0], words[1] = new_lo, new_hi


_in_place: bool | None = None  # whether NumPy's PCG64 struct is read and written directly


def in_place() -> bool:
    """Whether the generators' state is read and written in NumPy's struct
    here (`_struct_works`, checked once)."""
    global _in_place
    if _in_place is None:
        _in_place = _struct_works()
    return _in_place


def _struct_works() -> bool:
    """Whether `_load_state` and `_store_advanced` agree with NumPy's own
    `state` and `advance` here (the struct's layout is NumPy's, not an API)."""
    generator, twin = np.random.PCG64(20261129), np.random.PCG64(20261129)
    generator.random_raw(5)
    twin.random_raw(5)
    address, words = generator.ctypes.state_address, np.empty(4, np.uint64)
    state = generator.state["state"]
    if _load_state(address, words) or [int(w) for w in words] != [
            state["state"] >> 64, state["state"] & _LOW, state["inc"] >> 64, state["inc"] & _LOW]:
        return False
    _store_advanced(address, *words, 1000)
    twin.advance(1000)
    if generator.state != twin.state:
        return False
    np.random.Generator(generator).integers(0, 2**32, dtype=np.uint32)  # buffers a half
    return generator.state["has_uint32"] == 1 and bool(_load_state(address, words))


def _state(bit_generator: Any) -> tuple[np.uint64, ...] | None:
    """PCG64's (state high, state low, increment high, increment low), or
    None for a generator this module does not compute. Call with its lock.
    Read from NumPy's struct where `in_place()` (`bit_generator.state`
    builds dicts of Python ints: several us in a training step)."""
    if type(bit_generator) is not np.random.PCG64:
        return None
    if in_place():
        words = _state_words()
        if _load_state(bit_generator.ctypes.state_address, words):
            return None  # a buffered half draw: only NumPy knows what to do
        return tuple(words)
    state = bit_generator.state
    if state["has_uint32"]:
        return None
    s, inc = state["state"]["state"], state["state"]["inc"]
    return np.uint64(s >> 64), np.uint64(s & _LOW), np.uint64(inc >> 64), np.uint64(inc & _LOW)


def _advance_generator(bit_generator: Any, state: tuple[np.uint64, ...], count: int) -> None:
    """Leave the generator `count` draws on from `state` (`_state`'s), as
    `bit_generator.advance(count)` does."""
    if _in_place:
        _store_advanced(bit_generator.ctypes.state_address, *state, count)
    else:
        bit_generator.advance(count)


def _state_words() -> np.ndarray:
    words = getattr(_words, "state", None)
    if words is None:
        words = _words.state = np.empty(4, np.uint64)
    return words


def random_raw(bit_generator: Any, count: int) -> np.ndarray | None:
    """`bit_generator.random_raw(count)` (a view of a reused buffer), or None
    for a generator this module does not compute (not PCG64)."""
    with bit_generator.lock:
        state = _state(bit_generator)
        if state is None:
            return None
        words = _buffer(count)
        _draws(*state, words)
        _advance_generator(bit_generator, state, count)
    return words


#: masks of at least this many entries are made in two halves on two cores
SPLIT_ENTRIES = 16_384


def apply(bit_generator: Any, rate: float, inputs: np.ndarray, mask: np.ndarray,
          out: np.ndarray) -> bool:
    """Dropout's training pass into `mask` and `out` (arrays of `inputs`'
    shape and dtype, C-contiguous): False, having drawn nothing, where the
    NumPy lines must run. In kerasnp's loops a large mask is made in two
    halves at once, the second by the spinning helper (`_spinning`) from the
    stream's state where that half begins: the same draws either way."""
    if not _takes(inputs, mask, out):
        return False
    size = inputs.size
    count = (size + 1) // 2
    threshold, scale = np.uint32(keep_threshold(rate)), keep_scale(rate, inputs.dtype)
    x, kept, result = inputs.reshape(-1), mask.reshape(-1), out.reshape(-1)
    spinner = _spinning.spinner() if size >= SPLIT_ENTRIES and _blas.single_threaded else None
    with bit_generator.lock:
        if spinner is None and in_place() and type(bit_generator) is np.random.PCG64:
            # the lines below in one compiled call (a small mask: the calls cost more)
            return _whole_in_place(bit_generator.ctypes.state_address, _buffer(count),
                                   threshold, scale, x, kept, result)
        state = _state(bit_generator)
        if state is None:
            return False
        hi, lo, inc_hi, inc_lo = state
        words = _buffer(count)
        first = count // 2  # draws for the caller, two entries each

        def first_half() -> None:
            _draws(hi, lo, inc_hi, inc_lo, words[:first])
            _mask(words[:first].view(np.uint32), threshold, scale, x[:2 * first],
                  kept[:2 * first], result[:2 * first])

        if spinner is None or not spinner.call(
                compiled_part(_PARTS[inputs.dtype]), count - first,
                _second_half_params(hi, lo, inc_hi, inc_lo, first, words, threshold, x, kept,
                                    result),
                inputs.dtype == np.float32, (float(scale),), first_half):
            _draws(hi, lo, inc_hi, inc_lo, words)
            _mask(words.view(np.uint32)[:size], threshold, scale, x, kept, result)
        _advance_generator(bit_generator, state, count)
    return True


def apply_call(bit_generator: Any, rate: float, inputs: np.ndarray, mask: np.ndarray,
               out: np.ndarray) -> Callable[[], bool] | None:
    """`apply(bit_generator, rate, inputs, mask, out)` as a call made ready
    once, for a loop that passes the same arrays again (`models.program`),
    where `apply` is one compiled call (a mask `apply` does not split, NumPy's
    PCG64); None elsewhere. The call returns False, having drawn nothing,
    where `apply` would (a half draw buffered)."""
    size = inputs.size
    if (not _takes(inputs, mask, out) or (size >= SPLIT_ENTRIES and _blas.single_threaded)
            or type(bit_generator) is not np.random.PCG64 or not in_place()):
        return None
    words = np.empty((size + 1) // 2, np.uint64)
    arguments = (bit_generator.ctypes.state_address, words, np.uint32(keep_threshold(rate)),
                 keep_scale(rate, inputs.dtype), inputs.reshape(-1), mask.reshape(-1),
                 out.reshape(-1))
    return functools.partial(_whole_locked, bit_generator.lock,
                             _jit.resolved(_whole_in_place, *arguments), *arguments)


def _takes(inputs: np.ndarray, mask: np.ndarray, out: np.ndarray) -> bool:
    """Whether `apply` takes these arrays: C-contiguous, of one dtype it has."""
    return (inputs.dtype in _PARTS and mask.dtype == inputs.dtype and out.dtype == inputs.dtype
            and inputs.flags.c_contiguous and mask.flags.c_contiguous
            and out.flags.c_contiguous)


def _whole_locked(lock: Any, whole_in_place: Callable[..., bool], *arguments: Any) -> bool:
    with lock:
        return whole_in_place(*arguments)


@njit(nogil=True, cache=True)
def _whole_in_place(address, words, threshold, scale, x, kept, result):  # pragma: no cover
    """`_state`, `_draws`, `_mask` and `_advance_generator` for a whole mask
    with NumPy's struct at `address`; False (nothing drawn) if a half draw is
    buffered."""
    done, hi, lo, inc_hi, inc_lo = _claim(address, words.size)
    if done:
        _draws(hi, lo, inc_hi, inc_lo, words)
        _mask(words.view(np.uint32)[:x.size], threshold, scale, x, kept, result)
    return done


@njit(cache=True)
def _second_half_params(hi, lo, inc_hi, inc_lo, first, words, threshold, x, kept,
                        result):  # pragma: no cover - compiled
    """The helper's parameters for the draws from `first` on (`_second_half`):
    the state there, the increment (each uint64 as the int64 of the same
    bits), the addresses where its draws and entries begin, the threshold
    and its entry count. Compiled: an array's address costs ~2 us in Python."""
    at_hi, at_lo = _advance(hi, lo, inc_hi, inc_lo, first)
    start = 2 * first
    return (np.int64(at_hi), np.int64(at_lo), np.int64(inc_hi), np.int64(inc_lo),
            words.ctypes.data + first * words.itemsize, x.ctypes.data + start * x.itemsize,
            kept.ctypes.data + start * x.itemsize, result.ctypes.data + start * x.itemsize,
            np.int64(threshold), np.int64(x.size - start))


@njit(nogil=True, cache=True)
def _second_half(count, p, s, like):  # pragma: no cover - compiled
    """The helper's half: `count` draws from the state in p[0:2] (increment
    p[2:4]) into the buffer at p[4], then p[9] entries of the mask."""
    hi, lo = np.uint64(p[0]), np.uint64(p[1])
    inc_hi, inc_lo = np.uint64(p[2]), np.uint64(p[3])
    words = array_at(p[4], count, np.uint64(0))
    entries = p[9]
    _draws(hi, lo, inc_hi, inc_lo, words)
    _mask(words.view(np.uint32)[:entries], np.uint32(p[8]), array_at(s, 1, like)[0],
          array_at(p[5], entries, like), array_at(p[6], entries, like),
          array_at(p[7], entries, like))


def _second_half_float32(count, p, s):  # pragma: no cover - compiled
    _second_half(count, p, s, np.float32(0.0))


def _second_half_float64(count, p, s):  # pragma: no cover - compiled
    _second_half(count, p, s, 0.0)


_PARTS = {np.dtype("float32"): _second_half_float32,
          np.dtype("float64"): _second_half_float64}


def check() -> bool:
    """Whether the compiled draws equal NumPy's here (a few sizes, seeds)."""
    for seed, count in ((0, 1), (1, 7), (2, 4096), (3, 4099)):
        ours, numpys = np.random.PCG64(seed), np.random.PCG64(seed)
        ours.random_raw(3)
        numpys.random_raw(3)
        drawn = random_raw(ours, count)
        if drawn is None or not np.array_equal(drawn, numpys.random_raw(count)):
            return False
        if ours.state != numpys.state:
            return False
    return True
