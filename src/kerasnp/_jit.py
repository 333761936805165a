"""Where kerasnp's compiled passes come from: numba's JIT, or the native
library built from them (`_native_build`).

The compiled modules (`layers/dense_fused.py`, `_spin_loops.py`, ...) take
`njit`, `cfunc`, `intrinsic`, `types`, `carray` and `cgutils` from here,
not from numba. Two ways to run them:

- **native** (the default): the first time a process needs them, a separate
  process (`python -m kerasnp._native_build`) compiles them with numba into
  one object file with a C entry point per compiled version, kept in the
  cache folder (`_native.cache_dir()`). Every later process loads that file with
  llvmlite alone: numba itself (about 110 MB of resident memory: its
  compiler, type registries and runtime) is never imported. The machine
  code is numba's own, so the numbers are its numbers bit for bit; each
  module's `check()` still compares them with the NumPy lines at first use.
  A call whose argument types the library holds no version for (a layout
  or type no rehearsal met) runs the same function compiled by numba's
  JIT, in this process, from then on (its "twin": the function with its
  module's globals as numba needs them, `_twin_function`).
- **numba**: the decorators are numba's own (`KERASNP_NATIVE=0`, the
  builder itself, or where the library cannot be built or loaded).
"""

from __future__ import annotations

import functools
import os
import sys
import threading
import warnings
from typing import Any

from . import _native
from ._native import MODULES

_lock = threading.RLock()
_library: _native.Library | None = None
_mode: str | None = None
#: why this process runs numba's JIT rather than the native library (or "")
reason = ""
#: (function, argument types) of calls the native library held no version for
misses: list[tuple[str, tuple[str, ...]]] = []


def mode() -> str:
    """"native" or "numba", decided at the first compiled module's import."""
    global _mode, _library, reason
    if _mode is not None:
        return _mode
    with _lock:
        if _mode is None:
            _mode = "numba"
            if os.environ.get("KERASNP_NATIVE", "").strip() == "0":
                reason = "KERASNP_NATIVE=0"
            else:
                try:
                    _library = _native.open_library()
                    _mode = "native"
                except ImportError as exc:  # no llvmlite: no numba either (NumPy lines)
                    reason = f"{type(exc).__name__}: {exc}"
                except Exception as exc:  # a failed build, an unreadable file
                    reason = f"{type(exc).__name__}: {exc}"
                    warnings.warn(f"kerasnp: its native library of compiled passes is "
                                  f"unavailable ({reason}); numba compiles them in this "
                                  "process instead", RuntimeWarning, stacklevel=2)
        return _mode


# ------------------------------------------------- stand-ins for numba's
class NativeFunction:
    """A compiled function of the native library, called like numba's
    dispatcher; `py_func` is the Python function it was compiled from."""

    def __init__(self, py_func: Any, options: dict) -> None:
        self.py_func = py_func
        self._options = options
        self._name = f"{py_func.__module__}:{py_func.__qualname__}"
        self._calls: dict[tuple, Any] = {}
        self._twin: Any = None

    def __call__(self, *args: Any) -> Any:
        call = self._calls.get(tuple(map(_native.key, args)))
        if call is None:
            call = self.resolve(args)
        return call(*args)

    def resolve(self, args: tuple) -> Any:
        """The callable that runs this function on arguments like `args`."""
        key = tuple(map(_native.key, args))
        call = self._calls.get(key)
        if call is not None:
            return call
        tokens = tuple(map(_native.token, args))
        with _lock:
            versions = _library.entries.get(self._name, {}) if _library else {}
            entry = versions.get(tokens) or next(
                (v for declared, v in versions.items() if _native.takes(declared, tokens)), None)
            if entry is None:
                misses.append((self._name, tokens))
                call = self.twin()
            else:
                call = _library.call(entry)
            self._calls[key] = call
            return call

    def twin(self) -> Any:
        """This function compiled by numba's JIT in this process (imports numba)."""
        import numba

        with _lock:
            if self._twin is None:
                function = _twin_function(self.py_func)  # (may make this twin first)
                if self._twin is None:
                    self._twin = numba.njit(**_uncached(self._options))(function)
            return self._twin


_twin_modules: dict[str, Any] = {}


def _twin_function(py_func: Any) -> Any:
    """`py_func` with its module's globals as numba's JIT needs them."""
    import types as python_types

    with _lock:
        table = vars(_twin_module(py_func.__module__))
    return python_types.FunctionType(py_func.__code__, table, py_func.__name__,
                                     py_func.__defaults__, py_func.__closure__)


def _twin_module(name: str) -> Any:
    """A copy of compiled module `name` for numba's JIT: every native
    function replaced by its numba twin, numba's own `types`, `carray`,
    `cgutils` and intrinsics in place of the stand-ins, the module's own
    functions and the other compiled modules it names as twins too."""
    import types as python_types

    twin = _twin_modules.get(name)
    if twin is not None:
        return twin
    from numba.extending import intrinsic as numba_intrinsic

    twin = _twin_modules[name] = python_types.ModuleType(name)  # (filled after: the
    table = vars(twin)                                          # twins name each other)
    real = _numba_names()
    compiled = {f"kerasnp.{m}" for m in MODULES}
    module = vars(sys.modules[name])
    for key, value in module.items():
        if isinstance(value, NativeFunction):
            value = value.twin()
        elif isinstance(value, _Intrinsic):
            value = value.twin(numba_intrinsic)
        elif isinstance(value, _Anything):
            value = real.get(key, value)
        elif isinstance(value, python_types.FunctionType) and value.__globals__ is module:
            value = _twin_function(value)  # (an intrinsic's helpers, a part)
        elif isinstance(value, python_types.ModuleType) and value.__name__ in compiled:
            value = _twin_module(value.__name__)  # (`dropout_fused._claim` in a pass)
        table[key] = value
    return twin


def resolved(function: Any, *args: Any) -> Any:
    """What runs `function` on arguments of the types of `args`: natively,
    its entry point (found once, here, not at every call), for a call site
    that always passes arguments of those types; numba's dispatcher
    otherwise."""
    return function.resolve(args) if isinstance(function, NativeFunction) else function


def partial(function: Any, *args: Any) -> Any:
    """`functools.partial(function, *args)`, for a call a loop makes again
    and again with the same arguments: natively, the entry point is found
    once, here, instead of at every call."""
    return functools.partial(resolved(function, *args), *args)


def njit(*args: Any, **options: Any) -> Any:
    if mode() == "numba":
        import numba

        return numba.njit(*args, **options)
    if args and callable(args[0]):
        return NativeFunction(args[0], options)
    return lambda py_func: NativeFunction(py_func, options)


class _Part:
    def __init__(self, address: int) -> None:
        self.address = address


def cfunc(signature: Any, **options: Any) -> Any:
    """numba's `cfunc`; natively, the C entry of a part (`_spin_loops.PART_SIGNATURE`)."""
    if mode() == "numba":
        import numba

        return numba.cfunc(signature, **options)
    return lambda function: _Part(_part_address(function, signature, options))


def _part_address(function: Any, signature: Any, options: dict) -> int:
    py_func = getattr(function, "py_func", function)
    name = f"{py_func.__module__}:{py_func.__qualname__}"
    entry = _library.entries.get(name, {}).get(("int64", "ptr", "int64")) if _library else None
    if entry is not None:
        return _library.address(entry)
    import numba  # a part no rehearsal met: numba compiles it here

    misses.append((name, ("int64", "ptr", "int64")))
    t = numba.types
    signature = t.void(t.int64, t.CPointer(t.int64), t.int64)
    with _lock:
        part = numba.cfunc(signature, **_uncached(options))(_twin_function(py_func))
        _kept.append(part)  # (its code lives as long as it does)
    return part.address


_kept: list[Any] = []


class _Intrinsic:
    """An intrinsic's definition, kept for numba's JIT (a twin's)."""

    def __init__(self, definition: Any) -> None:
        self._definition, self._twin = definition, None

    def twin(self, numba_intrinsic: Any) -> Any:
        with _lock:
            if self._twin is None:
                self._twin = numba_intrinsic(_twin_function(self._definition))
            return self._twin


def intrinsic(definition: Any) -> Any:
    if mode() == "numba":
        from numba.extending import intrinsic as numba_intrinsic

        return numba_intrinsic(definition)
    return _Intrinsic(definition)  # only ever called inside compiled code


class _Anything:
    """Stands for numba's `types`, `carray` and `cgutils` in native mode,
    where they appear only in signatures and compiled code."""

    def __getattr__(self, name: str) -> _Anything:
        return self

    def __call__(self, *args: Any, **kwargs: Any) -> _Anything:
        return self


def _numba_names() -> dict[str, Any]:
    """numba's `types`, `carray` and `cgutils` (imports numba)."""
    import numba
    import numba.core.cgutils

    return {"types": numba.types, "carray": numba.carray, "cgutils": numba.core.cgutils}


def _uncached(options: dict) -> dict:
    """numba options for a twin, compiled in this process only (not cached:
    numba's cache would file it under the module's own functions)."""
    return {k: v for k, v in options.items() if k != "cache"}


def __getattr__(name: str) -> Any:
    if name in ("types", "carray", "cgutils"):
        return _numba_names()[name] if mode() == "numba" else _Anything()
    raise AttributeError(name)
