"""Large matrix products and optimizer updates on two cores, without waiting
for a busy one.

OpenBLAS's own threads synchronise inside every product and spin while they
wait, so on a machine where another program holds a core a threaded product
can take many times longer than a single-threaded one. kerasnp's loops run
the BLAS on one thread (`_blas`) and compute a large product as two products
instead, rows `[:h]` and `[h:]` of `a` (`h = rows // 2`): a helper thread is
offered the second while the caller computes the first, and if the helper
has not taken it by then, the caller computes it too. So an idle second core
nearly halves the time, and a busy one costs little more than the product
alone.

Two helpers: with numba, `_spinning`'s, which waits by spinning and takes an
offer within a microsecond; without it, a sleeping thread here, which takes
15-40 us to wake and is only offered products of `WAKE_PRODUCT` or more
(smaller ones are still computed as the same two products, by the caller).

A layer's products are split by the rows of its kernel instead
(`kernel_product`, `transposed_kernel_product`), so each core reads only the
half of the kernel it computes the gradient of and updates. For a forward
pass on few rows that split is a sum of two products over the kernel's
halves, whose last bits differ from the one product's (up to 3.5e-5 on
`seed`'s 32x784x128): the same model's forward in `fit` and in `predict`
(512-row passes, split by rows) or `train_on_batch` (no split) agree to
float32 rounding, not bit for bit.

Which products are split, and where, depends on the shapes only, never on
which helper (if any) runs the second part, so the numbers do not depend on
timing or on whether numba is installed.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _blas, _spinning

#: products of at least this many multiply-adds are computed as two products
#: (`seed`'s 32x784x128 ones, 3.2 M, take about 40 us on one core here)
SPLIT_PRODUCT = 2_500_000
#: the sleeping helper is offered the second of two products from this size
WAKE_PRODUCT = 16_000_000
#: elementwise updates of at least this many elements are split in two
SPLIT_ELEMENTS = 200_000
#: the same for a fused update the spinning helper runs without Python
SPIN_ELEMENTS = 65_536


class _Half:
    """The second half of a piece of work: whoever claims it first runs it."""

    __slots__ = ("fn", "args", "error", "_claim", "done")

    def __init__(self, fn: Callable[..., Any], args: tuple):
        self.fn, self.args, self.error = fn, args, None
        self._claim = threading.Lock()
        self.done = threading.Event()

    def run(self) -> None:
        if not self._claim.acquire(blocking=False):
            return
        try:
            self.fn(*self.args)
        except BaseException as exc:  # re-raised by the caller
            self.error = exc
        finally:
            self.done.set()

    def join(self) -> None:
        self.run()  # not taken yet: the caller runs it
        self.done.wait()
        if self.error is not None:
            raise self.error

    def cancel(self) -> None:
        """Make sure the second half is not running: not taken yet, it never
        will be; taken by the helper, wait until it has finished."""
        if self._claim.acquire(blocking=False):
            self.done.set()
        self.done.wait()


class _Helper:
    """One daemon thread that runs the halves it is offered."""

    def __init__(self) -> None:
        self._ready = threading.Condition()
        self._offered: _Half | None = None
        self._pid = -1

    def offer(self, half: _Half) -> None:
        if self._pid != os.getpid():  # first use, or a forked child (threads do not fork)
            self._pid = os.getpid()
            self._ready, self._offered = threading.Condition(), None
            threading.Thread(target=self._serve, name="kerasnp-matmul", daemon=True).start()
        with self._ready:
            self._offered = half
            self._ready.notify()

    def _serve(self) -> None:
        ready = self._ready
        while True:
            with ready:
                while self._offered is None:
                    ready.wait()
                half, self._offered = self._offered, None
            half.run()


_helper = _Helper()


def caller_share(rows: int) -> int:
    """How many of `rows` the caller keeps when it splits an elementwise update.

    The helper starts later than the caller (it needs Python's lock, and the
    sleeping one must be woken: 15-40 us on the machines measured), so an
    even split leaves the caller waiting at the end; with 9/16 for the caller
    the two finish closer together (measured on `mnist_mlp`'s products when
    they were split this way: 8-12 % less time, benchmarks/README.md).
    Elementwise, any split gives the same numbers.
    """
    return rows * 9 // 16


def in_halves(fn: Callable[..., Any], first: tuple, second: tuple) -> None:
    """`fn(*first)` here while a helper thread is offered `fn(*second)`."""
    half = _Half(fn, second)
    spinner = _spinning.spinner()
    if spinner is None or not spinner.offer(half):
        spinner = None
        _helper.offer(half)
    try:
        fn(*first)
    except BaseException:  # no second half left running behind the caller's error
        half.cancel()
        raise
    finally:
        if spinner is not None:
            spinner.withdraw()
    half.join()


def _size(a: np.ndarray, b: np.ndarray) -> int:
    """The multiply-adds of `a @ b` (2-D)."""
    return a.shape[0] * a.shape[1] * b.shape[1]


def _splits(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether `a @ b` is computed as two products (see `SPLIT_PRODUCT`)."""
    return _blas.single_threaded and _size(a, b) >= SPLIT_PRODUCT


def _two_products(first: tuple, second: tuple) -> None:
    """`np.matmul(a, b, out=out)` for `first` and `second` (each `(a, b, out)`),
    the second offered to a helper thread."""
    spinner = _spinning.spinner()
    if spinner is not None and spinner.products(*first, *second):
        return
    if _size(*first[:2]) + _size(*second[:2]) >= WAKE_PRODUCT:
        in_halves(_matmul_into, first, second)
    else:  # the same two products, without waking a thread for them
        _matmul_into(*first)
        _matmul_into(*second)


def matmul(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    """`np.matmul(a, b, out=out)` for 2-D arrays; while the BLAS runs on one
    thread (`_blas.single_threaded`), a large one is computed as two products
    by rows of `a`, the second offered to a helper thread."""
    matmul_call(a, b, out)()
    return out


def matmul_call(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> Callable[[], Any]:
    """`matmul(a, b, out)` as a call made ready once, for a loop that
    multiplies the same arrays again and again (`models.program`); the split,
    decided by the shapes and `_blas.single_threaded`, is the same."""
    rows = a.shape[0]
    if rows < 2 or not _splits(a, b):
        return functools.partial(np.matmul, a, b, out=out)
    h = rows // 2
    return functools.partial(_two_products, (a[:h], b, out[:h]), (a[h:], b, out[h:]))


def kernel_product(x: np.ndarray, kernel: np.ndarray, out: np.ndarray) -> np.ndarray:
    """`out = x @ kernel`, a layer's forward product, where the kernel's rows
    `[:h]` and `[h:]` (`h = len(kernel) // 2`) are the halves each core
    computes the gradient of and updates (`matmul`, `flat_elementwise`).

    With few rows of `x` (fewer than half the kernel's), a split product is
    the sum `x[:, :h] @ kernel[:h] + x[:, h:] @ kernel[h:]`: each core reads
    only its own half of the kernel, which it has just updated, instead of
    fetching the other core's half from the other cache (`seed`'s step: 20-40
    us). With more rows, it is split by rows of `x` as `matmul` does."""
    part = kernel_terms(x, kernel, out)
    return out if part is None else np.add(out, part, out=out)


def kernel_terms(x: np.ndarray, kernel: np.ndarray, out: np.ndarray) -> np.ndarray | None:
    """`kernel_product` without its last addition: `out` holds the product and
    None is returned, or `out` holds the first term and the second is
    returned (in a buffer of this thread's, valid until the next call), for
    a caller that adds it in a pass of its own (`dense_fused.bias_relu`)."""
    call, part = kernel_terms_call(x, kernel, out)
    call()
    return part


def kernel_terms_call(x: np.ndarray, kernel: np.ndarray,
                      out: np.ndarray) -> tuple[Callable[[], Any], np.ndarray | None]:
    """`kernel_terms(x, kernel, out)` as a call made ready once (see
    `matmul_call`), and the buffer its second term goes to (None: not split)."""
    rows, inner = x.shape
    if 2 * rows >= inner or not _splits(x, kernel):
        return matmul_call(x, kernel, out), None
    h = inner // 2
    part = _scratch(out.shape, out.dtype)
    return functools.partial(_two_products, (x[:, :h], kernel[:h], out),
                             (x[:, h:], kernel[h:], part)), part


def transposed_kernel_product(grad: np.ndarray, kernel: np.ndarray,
                              out: np.ndarray) -> np.ndarray:
    """`out = grad @ kernel.T`, a layer's input gradient. Split, it is split by
    columns of `out`, which are the kernel's rows: each core reads its own
    half of the kernel (see `kernel_product`)."""
    transposed_kernel_product_call(grad, kernel, out)()
    return out


def transposed_kernel_product_call(grad: np.ndarray, kernel: np.ndarray,
                                   out: np.ndarray) -> Callable[[], Any]:
    """`transposed_kernel_product(grad, kernel, out)` as a call made ready
    once (see `matmul_call`)."""
    kernel_t = kernel.T
    if not _splits(grad, kernel_t) or len(kernel) < 2:
        return functools.partial(np.matmul, grad, kernel_t, out=out)
    h = len(kernel) // 2
    return functools.partial(_two_products, (grad, kernel[:h].T, out[:, :h]),
                             (grad, kernel[h:].T, out[:, h:]))


_local = threading.local()


def _scratch(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A buffer of this thread's for the second term of `kernel_product`."""
    buffers = _local.__dict__.setdefault("buffers", {})
    buf = buffers.get((shape, dtype))
    if buf is None:
        if len(buffers) >= 8:
            buffers.clear()
        buf = buffers[(shape, dtype)] = np.empty(shape, dtype=dtype)
    return buf


def _matmul_into(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> None:
    np.matmul(a, b, out=out)


def elementwise(fn: Callable[..., Any], **arguments: Any) -> None:
    """`fn(**arguments)`, where `fn` works element by element (an optimizer
    update) on the array arguments (others, such as None or a learning rate,
    are passed as they are). Contiguous arrays of one shape go through
    `flat_elementwise`, flattened; others are updated whole."""
    arrays = {k: v for k, v in arguments.items() if isinstance(v, np.ndarray)}
    shape = next(iter(arrays.values())).shape
    if any(a.shape != shape or not a.flags.c_contiguous for a in arrays.values()):
        fn(**arguments)
        return

    def part(*views: np.ndarray) -> None:
        fn(**{**arguments, **dict(zip(arrays, views, strict=True))})

    flat_elementwise(part, [a.reshape(-1) for a in arrays.values()], ())


def flat_elementwise(fn: Callable[..., Any], arrays: Sequence[np.ndarray | None],
                     rest: tuple, fused: str | None = None) -> None:
    """`fn(*arrays, *rest)` for 1-D arrays of one size (None for one not in
    use), where `fn` works element by element. In kerasnp's loops a large
    update runs in two parts at once: elementwise, the parts give exactly
    the numbers of the whole. `fn` may be the fused loop named `fused`
    (`optimizers.fused`), which the spinning helper runs without Python
    (the gradient first in `arrays`)."""
    size = next(a for a in arrays if a is not None).size
    if not _blas.single_threaded or size < min(SPIN_ELEMENTS, SPLIT_ELEMENTS):
        fn(*arrays, *rest)
        return
    if fused is not None and arrays[0] is not None:
        spinner = _spinning.spinner()
        if spinner is not None and spinner.elementwise(fused, fn, list(arrays), rest):
            return
    if size < SPLIT_ELEMENTS:
        fn(*arrays, *rest)
        return
    h = caller_share(size)
    in_halves(fn, (*(None if a is None else a[:h] for a in arrays), *rest),
              (*(None if a is None else a[h:] for a in arrays), *rest))
