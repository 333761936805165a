"""Where kerasnp's compiled passes come from: numba's JIT, or the native
library built from them (`_native_build`).

The compiled modules (`layers/dense_fused.py`, `_spin_loops.py`, ...) take
`njit`, `cfunc`, `intrinsic`, `types`, `carray` and `cgutils` from here,
not from numba. Two ways to run them:

- **native** (the default): the first time a process needs them, a separate
  process (`python -m kerasnp._native_build`) compiles them with numba into
  one object file with a C entry point per compiled version, kept in the
  cache folder (`cache_dir()`). Every later process loads that file with
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

import contextlib
import ctypes
import functools
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import warnings
from pathlib import Path
from typing import Any

import numpy as np

#: the modules holding compiled functions, built and loaded together
MODULES = ("_pairwise", "_spin_loops", "layers.dense_fused", "layers.dropout_fused",
           "losses.categorical_fused", "models.program_fused", "models.ahead_fused",
           "optimizers.fused", "optimizers.fused_parts")
_VERSION = 1  # of the library's layout (entries, manifest)


def cache_dir() -> Path:
    """`KERASNP_CACHE_DIR`, else `$XDG_CACHE_HOME/kerasnp` (`~/.cache/kerasnp`)."""
    chosen = os.environ.get("KERASNP_CACHE_DIR")
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "kerasnp"


def fingerprint(cpu: str, features: str, root: Path = Path(__file__).parent) -> str:
    """What the library depends on: the compiled modules' sources (in the
    package at `root`), the versions of Python, NumPy, numba and llvmlite,
    and this CPU."""
    from importlib import metadata

    digest = hashlib.sha256()
    for name in MODULES + ("_jit", "_native_build"):
        digest.update((root / (name.replace(".", "/") + ".py")).read_bytes())
    versions = [sys.version, np.__version__, str(_VERSION), cpu, features]
    for package in ("numba", "llvmlite"):
        versions.append(metadata.version(package))
    digest.update("\n".join(versions).encode())
    return digest.hexdigest()[:20]


# ------------------------------------------------ argument types, as tokens
# One token per argument: the builder makes it from numba's type of the
# argument, a call from the value (as numba's `typeof` would see it).

def _array_token(a: np.ndarray) -> str:
    flags = a.flags
    if not a.dtype.isnative or not flags.aligned:
        return "?"  # numba's own versions for these (numba's JIT)
    layout = "C" if flags.c_contiguous else "F" if flags.f_contiguous else "A"
    return f"{a.dtype.name}:{a.ndim}{layout}{'' if flags.writeable else 'r'}"


def _token(value: Any) -> str:
    kind = type(value)
    if kind is np.ndarray:
        return _array_token(value)
    if kind is float:
        return "float64"
    if kind is bool or kind is np.bool_:
        return "bool"
    if kind is int:
        return ("int64" if -2 ** 63 <= value < 2 ** 63 else
                "uint64" if 0 <= value < 2 ** 64 else "?")
    if value is None:
        return "none"
    if kind is tuple:
        tokens = {_token(v) for v in value}
        token = tokens.pop() if len(tokens) == 1 else "?"
        return f"{token}*{len(value)}" if token in _CTYPES and token != "ptr" else "?"
    if isinstance(value, np.generic):
        return value.dtype.name if value.dtype.isnative else "?"
    return "?"


_FLAGS = 0x1 | 0x2 | 0x100 | 0x400  # C and F contiguous, aligned, writeable


def _key(value: Any) -> Any:
    """What decides `_token(value)`, quicker to find (a call's lookup)."""
    kind = type(value)
    if kind is np.ndarray:
        return (value.dtype, value.ndim, value.flags.num & _FLAGS)
    if kind is tuple:
        return tuple(map(_key, value))
    if kind is int:
        return 0 if -2 ** 63 <= value < 2 ** 63 else 1 if 0 <= value < 2 ** 64 else 2
    return kind


def _array(token: str) -> tuple[str, int, str, bool] | None:
    """(dtype, ndim, layout, read-only) of an array's token; None for another."""
    dtype, colon, rest = token.partition(":")
    readonly = rest.endswith("r")
    rest = rest[:-1] if readonly else rest
    if not colon or len(rest) < 2 or not rest[:-1].isdigit() or rest[-1] not in "CFA":
        return None
    return dtype, int(rest[:-1]), rest[-1], readonly


def _takes(declared: tuple[str, ...], tokens: tuple[str, ...]) -> bool:
    """Whether a version for arguments `declared` takes arguments `tokens`:
    the same types, where it was declared 'A' an array of the same dtype and
    ndim in any layout, where it was declared read-only a writable one too."""
    if len(declared) != len(tokens):
        return False
    for want, have in zip(declared, tokens, strict=True):
        if want == have:
            continue
        w, h = _array(want), _array(have)
        if (w is None or h is None or w[:2] != h[:2] or (w[2] != "A" and w[2] != h[2])
                or (h[3] and not w[3])):
            return False
    return True


_CTYPES = {"bool": ctypes.c_bool, "int8": ctypes.c_int8, "int16": ctypes.c_int16,
           "int32": ctypes.c_int32, "int64": ctypes.c_int64, "uint8": ctypes.c_uint8,
           "uint16": ctypes.c_uint16, "uint32": ctypes.c_uint32, "uint64": ctypes.c_uint64,
           "float32": ctypes.c_float, "float64": ctypes.c_double, "ptr": ctypes.c_void_p}


# ------------------------------------------------------------ the library
class Library:
    """The native library's entry points, by function and argument tokens."""

    def __init__(self, objects: bytes, manifest: dict) -> None:
        import llvmlite.binding as llvm

        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
        machine = llvm.Target.from_default_triple().create_target_machine()
        self._engine = llvm.create_mcjit_compiler(llvm.parse_assembly(""), machine)
        self._engine.add_object_file(llvm.ObjectFileRef.from_data(objects))
        self._engine.finalize_object()
        self.entries: dict[str, dict[tuple[str, ...], Any]] = {}
        self._calls: dict[str, Any] = {}
        for entry in manifest["entries"]:
            self.entries.setdefault(entry["function"], {})[tuple(entry["args"])] = entry

    def address(self, entry: dict) -> int:
        return self._engine.get_function_address(entry["symbol"])

    def call(self, entry: dict) -> Any:
        """A Python callable for `entry` (made once): tuples spread, a tuple
        result read from the buffer the entry fills."""
        found = self._calls.get(entry["symbol"])
        if found is None:
            found = self._calls[entry["symbol"]] = self._make_call(entry)
        return found

    def _make_call(self, entry: dict) -> Any:
        args = entry["args"]
        argtypes = []
        for token in args:
            if ":" in token or token == "none":
                argtypes.append(ctypes.py_object)
            elif "*" in token:
                kind, n = token.split("*")
                argtypes += [_CTYPES[kind]] * int(n)
            elif token != "none":
                argtypes.append(_CTYPES[token])
        result = entry["result"]
        if "*" in result:
            kind, n = result.split("*")
            argtypes.append(ctypes.c_void_p)
            restype = None
        else:
            restype = None if result == "none" else _CTYPES[result]
        # a pass compiled with nogil=True lets other threads run meanwhile,
        # as numba's does; the others keep the GIL (no hand-over per call)
        kind = ctypes.CFUNCTYPE if entry["nogil"] else ctypes.PYFUNCTYPE
        function = kind(restype, *argtypes)(self.address(entry))
        function._keep = self  # the engine owns the code
        spread = {i for i, t in enumerate(args) if "*" in t}
        if not spread and "*" not in result:
            return function
        if "*" in result:
            kind, n = result.split("*")
            buffer_type = _CTYPES[kind] * int(n)
        else:
            buffer_type = None

        def call(*values: Any) -> Any:
            flat: list[Any] = []
            for i in range(len(values)):
                if i in spread:
                    flat.extend(values[i])
                else:
                    flat.append(values[i])
            if buffer_type is None:
                return function(*flat)
            buffer = buffer_type()
            function(*flat, ctypes.addressof(buffer))
            return tuple(buffer)

        return call


_lock = threading.RLock()
_library: Library | None = None
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
                    _library = _open_library()
                    _mode = "native"
                except ImportError as exc:  # no llvmlite: no numba either (NumPy lines)
                    reason = f"{type(exc).__name__}: {exc}"
                except Exception as exc:  # a failed build, an unreadable file
                    reason = f"{type(exc).__name__}: {exc}"
                    warnings.warn(f"kerasnp: its native library of compiled passes is "
                                  f"unavailable ({reason}); numba compiles them in this "
                                  "process instead", RuntimeWarning, stacklevel=2)
        return _mode


def _open_library() -> Library:
    if not _array_fields_where_expected():
        raise RuntimeError("NumPy's array fields are not where the entry points read them")
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    cpu, features = llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten()
    expected = fingerprint(cpu, features)
    path = cache_dir() / f"native-{expected}"
    manifest = path.with_suffix(".json")
    failed = path.with_suffix(".failed")
    if failed.exists():
        raise RuntimeError(f"its build failed before (see {failed}; delete it to try again)")
    if not manifest.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not os.access(path.parent, os.W_OK):
            raise PermissionError(f"cannot write to {path.parent} (KERASNP_CACHE_DIR)")
        build(path, expected)
    contents = json.loads(manifest.read_text())
    objects = path.with_suffix(".o").read_bytes()
    if hashlib.sha256(objects).hexdigest() != contents.get("sha256"):
        raise RuntimeError(f"{path.with_suffix('.o')} does not match {manifest}")
    return Library(objects, contents)


def _array_fields_where_expected() -> bool:
    """Whether this interpreter's NumPy arrays hold their data, ndim, shape
    and strides at the offsets the entry points read (16, 24, 32, 40: a
    64-bit CPython; not a debug build's or a free-threaded one's objects)."""
    if sys.maxsize <= 2 ** 32:
        return False
    a = np.zeros((3, 5))
    at = id(a)
    word = ctypes.c_ssize_t
    shape, strides = (ctypes.cast(ctypes.c_void_p.from_address(at + offset).value,
                                  ctypes.POINTER(word)) for offset in (32, 40))
    return (ctypes.c_void_p.from_address(at + 16).value == a.ctypes.data
            and ctypes.c_int.from_address(at + 24).value == 2
            and shape[:2] == [3, 5] and strides[:2] == [40, 8])


def build(path: Path, expected: str) -> None:
    """Build the library at `path` (.o and .json) in a separate process, from
    this package's sources (whose fingerprint is `expected`); on a failure it
    reports, leave its error in `path`.failed (so that later processes do not
    try again) and raise."""
    print("kerasnp: compiling its fast passes for this machine, once (about a minute)...",
          file=sys.stderr, flush=True)
    # the rehearsal runs every pass whatever this process turned off, with
    # numba's defaults, compiling afresh (numba's cache may hold code of
    # sources edited since), from this very package
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KERASNP_", "NUMBA_"))}
    package_parent = str(Path(__file__).parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(
        [package_parent] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    env["KERASNP_NATIVE"] = "0"
    env["NUMBA_DISABLE_INTEL_SVML"] = "1"  # (SVML's functions live in numba's process)
    with tempfile.TemporaryDirectory(prefix="kerasnp-build-") as numba_cache:
        env["NUMBA_CACHE_DIR"] = numba_cache
        try:
            done = subprocess.run([sys.executable, "-m", "kerasnp._native_build", str(path),
                                   expected], env=env, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, timeout=1800)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError("building the native library took over 30 minutes") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        if done.returncode == 1:  # an error it reported (not a kill, not out of memory)
            with contextlib.suppress(OSError):
                path.with_suffix(".failed").write_text(done.stderr)
        raise RuntimeError(f"building the native library failed: {last}")


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
        call = self._calls.get(tuple(map(_key, args)))
        if call is None:
            call = self.resolve(args)
        return call(*args)

    def resolve(self, args: tuple) -> Any:
        """The callable that runs this function on arguments like `args`."""
        key = tuple(map(_key, args))
        call = self._calls.get(key)
        if call is not None:
            return call
        tokens = tuple(map(_token, args))
        with _lock:
            versions = _library.entries.get(self._name, {}) if _library else {}
            entry = versions.get(tokens) or next(
                (v for declared, v in versions.items() if _takes(declared, tokens)), None)
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
                    options = {k: v for k, v in self._options.items() if k != "cache"}
                    self._twin = numba.njit(**options)(function)
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
    import numba
    import numba.core.cgutils
    from numba.extending import intrinsic as numba_intrinsic

    twin = _twin_modules[name] = python_types.ModuleType(name)  # (filled after: the
    table = vars(twin)                                          # twins name each other)
    real = {"types": numba.types, "carray": numba.carray, "cgutils": numba.core.cgutils}
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
    options = {k: v for k, v in options.items() if k != "cache"}
    with _lock:
        part = numba.cfunc(signature, **options)(_twin_function(py_func))
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


def __getattr__(name: str) -> Any:
    if name in ("types", "carray", "cgutils"):
        if mode() == "numba":
            import numba
            import numba.core.cgutils

            return {"types": numba.types, "carray": numba.carray,
                    "cgutils": numba.core.cgutils}[name]
        return _Anything()
    raise AttributeError(name)
