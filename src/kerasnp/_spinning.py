"""A helper thread that waits for work by spinning, for `_parallel`.

Handing half of a product to a sleeping thread costs 15-40 us on the
machines measured (the kernel has to wake it, then it needs Python's lock),
so only products of over 16 M multiply-adds were worth splitting. This
helper instead runs a compiled loop (numba, the `fast` extra) that watches
one shared word without holding Python's lock, and multiplies by calling
NumPy's own OpenBLAS directly: the caller offers half of a product and the
helper starts on it within a microsecond. Then even the `seed` recipe's
32x784x128 products (about 40 us) halve usefully.

- The caller keeps the right to run the half itself: if the helper has not
  taken it when the caller's half is done (another program holds the core),
  the caller runs it, so a busy second core costs little.
- The helper spins only while work keeps coming: after about 2 ms without
  any it sleeps on a lock until the next offer.
- The two halves are the BLAS calls NumPy makes for them, whoever runs them
  (checked when the helper starts, and by the tests), and which products
  are split, and where, depends on the shapes only: the numbers do not
  depend on the helper.
- The helper also runs the second half of a large optimizer update, or of
  a Dropout mask, as compiled code called by address (`call`), and Python
  work handed to it (`offer`).
- When the caller keeps finding its offers untaken (another program holds
  the second core), it stops offering for a while (`_note`). A second
  thread of the program that finds the helper busy does its work itself.

Nothing here runs without numba, with `KERASNP_SPIN=0` or `KERASNP_FUSED=0`
in the environment, or without the OpenBLAS that NumPy's wheels bundle (it
only calls builds whose integer width it knows); `_parallel` then falls
back to its sleeping helper.
"""

from __future__ import annotations

import _thread
import os
import threading
import time
from typing import Any

import numpy as np

from . import _compiled

#: (cblas_sgemm, cblas_dgemm, 64-bit integers) names, in order of preference
_GEMMS = (("scipy_cblas_sgemm64_", "scipy_cblas_dgemm64_", True),
          ("cblas_sgemm64_", "cblas_dgemm64_", True),
          ("scipy_cblas_sgemm", "scipy_cblas_dgemm", False))
#: how long the helper keeps spinning after its last job
IDLE_SECONDS = 0.002
#: every WINDOW offered products, if the caller ran both halves of more than
#: TOLERATED of them (the helper seldom got a core: another program is busy),
#: nothing is offered for the next BACKOFF products (doubling while it lasts)
WINDOW, TOLERATED = 64, 16
BACKOFF_FIRST, BACKOFF_MAX = 256, 16_384
_ASLEEP = 8  # ctl[_ASLEEP] == 1 while the helper sleeps on its lock

_FLOATS = (np.dtype("float32"), np.dtype("float64"))
_UNSET = object()
_spinner: Any = _UNSET


def _gemm_addresses() -> tuple[int, int, bool] | None:
    """Addresses of `cblas_sgemm` and `cblas_dgemm` in the OpenBLAS NumPy
    bundles and has loaded (the one `np.matmul` calls)."""
    import ctypes

    from . import _blas

    for lib in _blas.opened(_blas._numpy_libraries()):
        for single, double, ilp64 in _GEMMS:
            s, d = getattr(lib, single, None), getattr(lib, double, None)
            if s is not None and d is not None:
                address = ctypes.cast(s, ctypes.c_void_p).value
                return address, ctypes.cast(d, ctypes.c_void_p).value, ilp64
    return None


class Spinner:
    """The spinning helper thread and the words it shares with the caller."""

    def __init__(self, loops: Any, gemms: tuple[int, int, bool], idle_spins: int = 0):
        self._loops = loops
        self._gemms = gemms
        self.ctl = np.zeros(16, dtype=np.int64)
        self.job = np.zeros(loops.JOB_SLOTS, dtype=np.int64)
        self.scalars = np.zeros(8, dtype=np.float64)  # an update's, in its dtype
        from . import _jit

        # the calls made at every step, their compiled versions found once
        self._finish = _jit.partial(loops.finish_part, self.ctl, self.job, self.scalars)
        self._two_products: dict[np.dtype, Any] = {}
        self._offer_calls: dict[tuple[int, int], Any] = {}
        self._resolved = _jit.resolved
        self._half: Any = None
        self._wake = _thread.allocate_lock()
        self._wake.acquire()
        self.idle_spins = idle_spins or self._calibrate()
        self._pid = -1
        self._seen = self._missed = self._skip = 0
        self._backoff = BACKOFF_FIRST
        self._posted = False  # a part from `post` not finished yet
        self._settling = threading.Lock()

    def _calibrate(self) -> int:
        """How many idle turns of `serve` last about IDLE_SECONDS here."""
        idle = np.zeros(16, dtype=np.int64)  # never offered anything
        turns = 2_000
        self._loops.serve(idle, self.job, self.scalars, *self._gemms, turns)  # compiled or loaded
        start = time.perf_counter()
        self._loops.serve(idle, self.job, self.scalars, *self._gemms, turns)
        per_turn = max(time.perf_counter() - start, 1e-6) / turns
        return max(1_000, int(IDLE_SECONDS / per_turn))

    def _ensure_running(self) -> bool:
        """Start or wake the helper; True if it was not spinning."""
        if self._pid != os.getpid():  # first use, or a forked child (threads do not fork)
            self._pid = os.getpid()
            self.ctl[:] = 0
            self._wake = _thread.allocate_lock()
            self._wake.acquire()
            threading.Thread(target=self._serve, name="kerasnp-spin", daemon=True).start()
            return True
        if self.ctl[_ASLEEP] and self._loops.compare_and_swap(self.ctl, _ASLEEP, 1, 0):
            self._wake.release()
            return True
        return False

    @property
    def backing_off(self) -> bool:
        """Whether offers are paused now (another program holds the core)."""
        return self._skip > 0

    def _offering(self) -> bool:
        """Whether to offer the next part (False while backing off); a part
        posted earlier is finished first."""
        if self._posted:
            self.settle()
        if self._skip:
            self._skip -= 1
            return False
        return True

    def _note(self, ran_both: bool) -> None:
        """Count an offered product the caller had to finish alone."""
        self._seen += 1
        self._missed += ran_both
        if self._seen < WINDOW:
            return
        if self._missed > TOLERATED:
            self._skip = self._backoff
            self._backoff = min(2 * self._backoff, BACKOFF_MAX)
        else:
            self._backoff = BACKOFF_FIRST
        self._seen = self._missed = 0

    def _serve(self) -> None:
        loops, ctl = self._loops, self.ctl
        while True:
            if loops.serve(ctl, self.job, self.scalars, *self._gemms, self.idle_spins):
                half = self._half  # a Python job: needs the interpreter
                if half is not None:
                    half.run()
                loops.compare_and_swap(ctl, 0, loops.PYTHON_TAKEN, loops.IDLE)
                continue
            ctl[_ASLEEP] = 1
            self._wake.acquire()

    def products(self, a: np.ndarray, b: np.ndarray, out: np.ndarray, a2: np.ndarray,
                 b2: np.ndarray, out2: np.ndarray) -> bool:
        """`out = a @ b` here while the helper is offered `out2 = a2 @ b2`; both
        are done on return. False (nothing done) if a BLAS cannot take the
        arrays as NumPy would."""
        dtype = out.dtype
        if (dtype not in _FLOATS
                or any(x.dtype != dtype or x.ndim != 2 for x in (a, b, out, a2, b2, out2))
                # where NumPy would not call gemm (a vector, or a @ a.T), nor do we
                or min(*a.shape, b.shape[1], *a2.shape, b2.shape[1]) < 2
                or np.may_share_memory(a, b) or np.may_share_memory(a2, b2)
                or not (out.flags.writeable and out2.flags.writeable)):
            return False
        offer = self._offering()
        woken = offer and self._ensure_running()
        two_products = self._two_products.get(dtype)
        if two_products is None:  # (one compiled version per dtype takes any layout)
            two_products = self._two_products[dtype] = self._resolved(
                self._loops.two_products, self.ctl, self.job, a, b, out, a2, b2, out2, offer,
                *self._gemms)
        result = two_products(self.ctl, self.job, a, b, out, a2, b2, out2, offer, *self._gemms)
        if result == self._loops.NOT_BLASABLE:
            return False
        if offer and not woken:
            self._note(result == self._loops.RAN_BOTH)
        return True

    def elementwise(self, name: str, loop: Any, arrays: list[np.ndarray | None],
                    values: tuple) -> bool:
        """`loop(*arrays, *values)` (an optimizer's fused loop `name` on 1-D
        arrays of one size and dtype, None for one not in use): the first half
        here, the second offered to the helper, which runs the same loop
        compiled without Python. False (nothing done) for a loop the helper
        does not have, while backing off, or while another thread of the
        program has the helper."""
        from .optimizers import fused_parts

        g = arrays[0]
        function = fused_parts.rows_part(g.dtype)
        if function is None or name not in fused_parts.ROW_LOOPS or len(arrays) > 5:
            return False
        h = g.size // 2  # (`run_rows`'s halves)
        padded = [*arrays, *[None] * (5 - len(arrays))]
        return self._run_offered(
            fused_parts.offer_second_half,
            (function, fused_parts.ROW_LOOPS.index(name), *padded, tuple(map(float, values))),
            lambda: loop(*(None if a is None else a[:h] for a in arrays), *values))

    def call(self, function: int, count: int, params: tuple[int, ...], single: bool,
             values: tuple[float, ...], here: Any) -> bool:
        """Offer the helper the compiled part at `function` (a C function of
        `(count, int64 *params, scalars address)`, `params` at most 20 int64,
        `values` its scalars as float32 if `single`) and run `here()` meanwhile.
        False (nothing done) while backing off or while another thread of
        the program has the helper."""
        return self._run_offered(self._offer_call(params, values),
                                 (function, count, params, single, values), here)

    def _run_offered(self, offer: Any, arguments: tuple, here: Any) -> bool:
        """`offer(ctl, job, scalars, *arguments)` a part to the helper, run
        `here()`, then make sure the offered part is done (run here if the
        helper has not taken it). False, having done nothing, while backing
        off or when the job is held by another thread of the program."""
        woken = self._offer(offer, arguments)
        if woken is None:
            return False
        try:
            here()
        finally:  # the helper's part is done before anything else happens
            result = self._finish()
        if not woken:
            self._note(result == self._loops.RAN_BOTH)
        return True

    def post(self, function: int, count: int, params: tuple[int, ...], single: bool,
             values: tuple[float, ...]) -> bool:
        """Offer the compiled part at `function` (as `call` does) and return at
        once: the helper runs it while the caller goes on with other work. It
        is finished (by the helper, or here if the helper has not taken it)
        by `settle`, which every later offer calls first. False (nothing
        offered) while backing off or while the job is busy."""
        if self._offer(self._offer_call(params, values),
                       (function, count, params, single, values)) is None:
            return False
        self._posted = True
        return True

    def _offer_call(self, params: tuple[int, ...], values: tuple[float, ...]) -> Any:
        """`offer_call`'s compiled version for that many parameters and
        scalars (found once for each count: a part's counts are its own)."""
        key = (len(params), len(values))
        found = self._offer_calls.get(key)
        if found is None:
            found = self._offer_calls[key] = self._resolved(
                self._loops.offer_call, self.ctl, self.job, self.scalars, 0, 0,
                tuple(map(int, params)), True, tuple(map(float, values)))
        return found

    def _offer(self, offer: Any, arguments: tuple) -> bool | None:
        """`offer(ctl, job, scalars, *arguments)` a part to the helper: None
        (nothing offered) while backing off or when the job is held by another
        thread of the program, else whether the helper had to be woken."""
        if not self._offering():
            return None
        woken = self._ensure_running()
        if not offer(self.ctl, self.job, self.scalars, *arguments):
            return None
        return woken

    def settle(self) -> None:
        """Make sure the part from `post` is done (from any thread, once). In
        a forked child there is nothing to wait for: the helper that took it
        did not fork (what it was writing is given up, `MaskAhead`)."""
        if not self._posted:
            return
        with self._settling:
            if self._posted and self._pid == os.getpid():
                self._finish()
            self._posted = False

    def offer(self, half: Any) -> bool:
        """Offer a Python job (a `_parallel._Half`); False if the helper is busy
        or backing off."""
        if self._posted:
            self.settle()
        if self._skip:
            return False
        self._ensure_running()
        self._half = half
        return bool(self._loops.compare_and_swap(self.ctl, 0, self._loops.IDLE,
                                                 self._loops.PYTHON))

    def withdraw(self) -> None:
        """After the caller has joined the offered job: take the offer back if
        the helper never saw it."""
        self._loops.compare_and_swap(self.ctl, 0, self._loops.PYTHON, self._loops.IDLE)


def _self_test(spinner: Spinner) -> bool:
    """Products through the helper equal NumPy's, in every layout `_parallel`
    uses (rows of `a`, rows of `b` with columns of `a`, columns of the
    result), at a size where the BLAS runs its main kernels (a tiny product
    alone could agree even with another BLAS)."""
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        for m, k, n in ((23, 37, 19), (64, 300, 80)):
            for trans_a, trans_b in ((False, False), (True, False), (False, True)):
                a = rng.standard_normal((k, m) if trans_a else (m, k)).astype(dtype)
                b = rng.standard_normal((n, k) if trans_b else (k, n)).astype(dtype)
                a, b = (a.T if trans_a else a), (b.T if trans_b else b)
                h, j, c = m // 2, k // 2, n // 2
                out, other = np.empty((m, n), dtype=dtype), np.empty((m, n), dtype=dtype)
                for pair in ((a[:h], b, out[:h], a[h:], b, out[h:]),  # rows of a
                             (a[:, :j], b[:j], out, a[:, j:], b[j:], other),  # a sum's terms
                             (a, b[:, :c], out[:, :c], a, b[:, c:], out[:, c:])):  # columns
                    if not spinner.products(*pair):
                        return False
                    if not (np.array_equal(pair[2], pair[0] @ pair[1])
                            and np.array_equal(pair[5], pair[3] @ pair[4])):
                        return False
    return True


def _start() -> Spinner | None:
    if _compiled.turned_off() or os.environ.get("KERASNP_SPIN", "").strip() == "0":
        return None
    gemms = _gemm_addresses()
    if gemms is None:
        return None
    try:
        from . import _spin_loops
    except Exception:  # numba not installed, or not for this NumPy
        return None
    from . import _blas

    spinner = Spinner(_spin_loops, gemms)
    with _blas.limited(1):  # as in the loops: threaded products differ in the last bits
        passed = _self_test(spinner)
    return spinner if passed else None


def spinner() -> Spinner | None:
    """The spinning helper, started at the first call; None where it cannot run."""
    global _spinner
    if _spinner is _UNSET:
        try:
            _spinner = _start()
        except Exception:  # a compilation or BLAS problem: the sleeping helper
            _spinner = None
    return _spinner
