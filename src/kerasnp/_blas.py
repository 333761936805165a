"""How many threads NumPy's BLAS uses while kerasnp trains, predicts or evaluates.

A small MLP multiplies small matrices (a batch of 32 by a 784x128 kernel)
thousands of times per epoch. OpenBLAS splits even these between all cores,
and its threads wait for each other inside every product by spinning: with
the other core idle that is up to twice as fast, but when another process
keeps a core busy the waiting turns a 60 us product into milliseconds
(measured: the `seed` recipe's step went from 0.6 ms to 6 ms on a 2-core
machine with a busy neighbour). One thread is steady.

So `fit`, `evaluate` and `predict` run the BLAS on one thread while every
product of the step is small (`SMALL_PRODUCT` multiply-adds or fewer), and
restore the previous count when they return; the larger of those products
use the second core their own way (`_parallel`). Products above the limit
keep the threads OpenBLAS chose. Nothing changes when:

- the environment sets `KERASNP_BLAS_THREADS` (a number: that many threads
  in kerasnp's loops; `0`: leave the BLAS alone), or the user already chose
  with `OPENBLAS_NUM_THREADS` / `OMP_NUM_THREADS` (honoured as set);
- NumPy does not use an OpenBLAS that this module can find (MKL, Apple's
  Accelerate): then every function here does nothing.

The thread count never changes the arithmetic of one product much, but it
can change its last bits, so it is chosen from the model's shapes only
(never from timings): two runs of the same script give the same numbers.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

#: the largest product (rows x inner x columns multiply-adds) run on one thread
SMALL_PRODUCT = 64_000_000

_SETTERS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
            "openblas_set_num_threads64_", "openblas_set_num_threads")
_GETTERS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
            "openblas_get_num_threads64_", "openblas_get_num_threads")
_UNSET = object()
_functions: Any = _UNSET
#: True inside a `limited` block that put the BLAS on one thread
single_threaded = False
_lock = threading.Lock()
_depth = 0  # `limited` blocks running now (nested, or in several threads)
_saved: tuple[int, bool] = (0, False)  # what the first of them found


def _numpy_libraries() -> list[str]:
    """Paths of the OpenBLAS that NumPy's wheels bundle (none for a NumPy
    built against the system's BLAS)."""
    import glob

    here = os.path.dirname(np.__file__)
    own: list[str] = []
    for folder in (os.path.join(here, "..", "numpy.libs"), os.path.join(here, ".dylibs")):
        own += sorted(os.path.realpath(p) for p in glob.glob(os.path.join(folder, "*openblas*")))
    return own


def _loaded_libraries() -> list[str]:
    """Paths of OpenBLAS libraries that may be loaded in this process, NumPy's
    own copy first: other packages bring their own (SciPy's wheels bundle a
    second OpenBLAS), and setting their threads would leave NumPy's alone."""
    own = _numpy_libraries()
    mapped: list[str] = []
    if sys.platform.startswith("linux"):
        try:
            with open("/proc/self/maps") as maps:
                for line in maps:
                    path = line.rsplit(None, 1)[-1]
                    if ("openblas" in os.path.basename(path).lower()
                            and os.path.realpath(path) not in own and path not in mapped):
                        mapped.append(path)
        except OSError:
            pass
    # a library in another package's folder (scipy.libs/...) comes last
    return own + sorted(mapped, key=lambda path: os.path.basename(os.path.dirname(path))
                        .endswith(".libs") or "/.dylibs/" in path)


def opened(paths: list[str]) -> Iterator[Any]:
    """ctypes handles of the libraries among `paths` that are already loaded
    in this process (RTLD_NOLOAD: never loads one NumPy did not)."""
    import ctypes  # here, not at import: only a loop needs it

    mode = getattr(os, "RTLD_NOLOAD", 0) | getattr(os, "RTLD_NOW", 0)
    for path in paths:
        try:
            yield ctypes.CDLL(path, mode=mode)
        except OSError:
            continue


def _find() -> tuple[Any, Any] | None:
    """`(get, set)` of the loaded OpenBLAS, or None."""
    import ctypes

    for lib in opened(_loaded_libraries()):
        for get_name, set_name in zip(_GETTERS, _SETTERS, strict=True):
            getter, setter = getattr(lib, get_name, None), getattr(lib, set_name, None)
            if getter is not None and setter is not None:
                getter.restype, setter.restype = ctypes.c_int, None
                setter.argtypes = [ctypes.c_int]
                return getter, setter
    return None


def _blas() -> tuple[Any, Any] | None:
    global _functions
    if _functions is _UNSET:
        try:
            _functions = _find()
        except Exception:  # an unusual platform: leave the BLAS alone
            _functions = None
    return _functions


def threads() -> int | None:
    """The number of threads the BLAS uses now (None: unknown BLAS)."""
    blas = _blas()
    return None if blas is None else int(blas[0]())


def _wanted(largest_product: int) -> int | None:
    """The thread count for kerasnp's loops, or None to leave the BLAS alone."""
    chosen = os.environ.get("KERASNP_BLAS_THREADS", "").strip()
    if chosen:
        try:
            count = int(chosen)
        except ValueError:
            return None
        return count if count > 0 else None
    if os.environ.get("OPENBLAS_NUM_THREADS") or os.environ.get("OMP_NUM_THREADS"):
        return None
    return 1 if largest_product <= SMALL_PRODUCT else None


@contextlib.contextmanager
def limited(largest_product: int) -> Iterator[None]:
    """Run the block with the thread count `_wanted` picks, then restore it.

    Blocks may nest or overlap (a callback that evaluates during `fit`, two
    threads of a program training at once): the first one in sets the
    count and the last one out restores what it found.

    Args:
        largest_product: the largest multiply-add count of one matrix product
            in the loop (batch x inputs x units for a Dense layer).
    """
    wanted = _wanted(largest_product)
    blas = _blas() if wanted is not None else None
    if blas is None:
        yield
        return
    global single_threaded, _depth, _saved
    with _lock:
        if _depth == 0:
            _saved = int(blas[0]()), single_threaded
            if _saved[0] != wanted:
                blas[1](wanted)
            single_threaded = wanted == 1
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0:
                previous, single_threaded = _saved
                if int(blas[0]()) != previous:
                    blas[1](previous)
