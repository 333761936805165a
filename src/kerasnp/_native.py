"""kerasnp's native library of compiled passes: where it lives, what it
depends on, how a call's arguments find a compiled version, and how the
library is loaded (llvmlite's MCJIT) or built (`_native_build`, in a
separate process). `_jit` decides whether a process uses it.

Each argument has a token: the builder makes it from numba's type of the
argument (`_native_build.token`), a call from the value, as numba's
`typeof` would see it (`token`); "?" where the library has no version for
such a value (numba's JIT then compiles one, or refuses as numba does).
"""

from __future__ import annotations

import contextlib
import ctypes
import hashlib
import json
import os
import subprocess
import sys
import tempfile
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
    for name in MODULES + ("_jit", "_native", "_native_build"):
        digest.update((root / (name.replace(".", "/") + ".py")).read_bytes())
    versions = [sys.version, np.__version__, str(_VERSION), cpu, features]
    for package in ("numba", "llvmlite"):
        versions.append(metadata.version(package))
    digest.update("\n".join(versions).encode())
    return digest.hexdigest()[:20]


# ------------------------------------------------ argument types, as tokens

def array_token(a: np.ndarray) -> str:
    flags = a.flags
    if not a.dtype.isnative or not flags.aligned:
        return "?"  # numba's own versions for these (numba's JIT)
    layout = "C" if flags.c_contiguous else "F" if flags.f_contiguous else "A"
    return f"{a.dtype.name}:{a.ndim}{layout}{'' if flags.writeable else 'r'}"


def token(value: Any) -> str:
    kind = type(value)
    if kind is np.ndarray:
        return array_token(value)
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
        items = {token(v) for v in value}
        item = items.pop() if len(items) == 1 else "?"
        return f"{item}*{len(value)}" if item in _CTYPES and item != "ptr" else "?"
    if isinstance(value, np.generic):
        return value.dtype.name if value.dtype.isnative else "?"
    return "?"


_FLAGS = 0x1 | 0x2 | 0x100 | 0x400  # C and F contiguous, aligned, writeable


def key(value: Any) -> Any:
    """What decides `token(value)`, quicker to find (a call's lookup)."""
    kind = type(value)
    if kind is np.ndarray:
        return (value.dtype, value.ndim, value.flags.num & _FLAGS)
    if kind is tuple:
        return tuple(map(key, value))
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


def takes(declared: tuple[str, ...], tokens: tuple[str, ...]) -> bool:
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
        args, result = entry["args"], entry["result"]
        argtypes = []
        for token in args:
            if ":" in token or token == "none":  # an array, or None (passed, not read)
                argtypes.append(ctypes.py_object)
            elif "*" in token:
                item, n = token.split("*")
                argtypes += [_CTYPES[item]] * int(n)
            else:
                argtypes.append(_CTYPES[token])
        buffer_type = None
        if "*" in result:  # a tuple, written to a buffer whose address comes last
            item, n = result.split("*")
            buffer_type = _CTYPES[item] * int(n)
            argtypes.append(ctypes.c_void_p)
        restype = None if result == "none" or buffer_type else _CTYPES[result]
        # a pass compiled with nogil=True lets other threads run meanwhile,
        # as numba's does; the others keep the GIL (no hand-over per call)
        prototype = ctypes.CFUNCTYPE if entry["nogil"] else ctypes.PYFUNCTYPE
        function = prototype(restype, *argtypes)(self.address(entry))
        function._keep = self  # the engine owns the code
        spread = {i for i, t in enumerate(args) if "*" in t}
        if not spread and buffer_type is None:
            return function

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


def this_fingerprint() -> str:
    """`fingerprint` of this package on this CPU."""
    import llvmlite.binding as llvm

    llvm.initialize_native_target()
    return fingerprint(llvm.get_host_cpu_name(), llvm.get_host_cpu_features().flatten())


def open_library() -> Library:
    if not _array_fields_where_expected():
        raise RuntimeError("NumPy's array fields are not where the entry points read them")
    expected = this_fingerprint()
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
