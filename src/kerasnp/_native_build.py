"""Build the native library of kerasnp's compiled passes (see `_jit`).

    python -m kerasnp._native_build PATH     # writes PATH.o and PATH.json

Run by `_jit` in a separate process (numba's compiler stays out of the
training process). It imports the compiled modules with numba, rehearses
them (each module's `check` for float32 and float64, every fused optimizer
update, small fits that use the helper's parts), so numba compiles every
version a program usually calls; then it writes one C entry point per
version and emits them, with numba's code, as one object file for this
CPU. An entry takes each array as its `PyArrayObject *` (the NumPy fields
read in place: no reference counting, no Python API), scalars as C
scalars, None as the object (not read), a tuple's items one by one; a
tuple result goes to a buffer whose address comes last. The few runtime
functions numba's code calls (an array made inside a pass) are defined
here on `malloc`/`free`.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from kerasnp import _native


def rehearse() -> None:
    """Run every compiled pass a program usually calls, in both dtypes: the
    modules' checks, fits with every optimizer and its variants (with the
    helper made to take every part it is offered, so which versions are
    compiled does not depend on how busy the machine is), the loss with
    labels of every integer dtype."""
    import kerasnp as keras
    from kerasnp import _compiled, _spinning, config
    from kerasnp.losses import categorical_fused

    for name in _native.MODULES:
        module = _compiled.load(name) if name.endswith("_fused") else None
        ready = getattr(module, "ready", None)
        if isinstance(ready, _compiled.Checked):
            for dtype in _compiled.FLOATS:
                ready(dtype)

    def offering(spinner: Any) -> bool:
        if spinner._posted:
            spinner.settle()
        return True

    _spinning.Spinner._offering = offering
    O = keras.optimizers
    optimizers = [lambda: O.Adam(), lambda: O.Adam(amsgrad=True), lambda: O.RMSprop(),
                  lambda: O.RMSprop(momentum=0.9), lambda: O.RMSprop(centered=True),
                  lambda: O.SGD(), lambda: O.SGD(momentum=0.9),
                  lambda: O.SGD(momentum=0.9, nesterov=True), lambda: O.Adagrad(),
                  lambda: O.Adadelta(), lambda: O.Nadam(), lambda: O.Adamax(),
                  lambda: O.AdamW()]
    rng = np.random.default_rng(0)
    previous = config.floatx()
    try:
        for floatx in ("float32", "float64"):
            config.set_floatx(floatx)
            for units, batch in ((8, 32), (512, 128)):
                x = rng.random((3 * batch + 5, 784)).astype(floatx)
                y = rng.integers(0, 10, len(x))
                for optimizer in optimizers:
                    L = keras.layers
                    model = keras.Sequential([
                        keras.Input((784,)), L.Dense(units, activation="relu"), L.Dropout(0.2),
                        L.Dense(units, activation="relu",
                                kernel_regularizer=keras.regularizers.l2(1e-3)),
                        L.Dense(10, activation="softmax")])
                    model.compile(optimizer(), "sparse_categorical_crossentropy",
                                  metrics=["accuracy"])
                    model.fit(x, y, batch_size=batch, epochs=2, verbose=0,
                              validation_split=0.2)
                    model.evaluate(x, y, verbose=0)
                    model.predict(x[:7], verbose=0)
                    onehot = np.eye(10, dtype=floatx)[y]
                    model.compile(optimizer(), "categorical_crossentropy")
                    model.fit(x, onehot, batch_size=batch, epochs=1, verbose=0)
            L = keras.layers  # Dropout masks of 3 and 4 dimensions (images, sequences)
            for shape, layers in (((28, 28), [L.Dropout(0.1), L.Flatten()]),
                                  ((24, 24, 1), [L.Dropout(0.1), L.Flatten()]),
                                  ((30, 20), [L.Dense(40, activation="relu"), L.Dropout(0.2),
                                              L.Flatten()])):
                model = keras.Sequential([keras.Input(shape), *layers,
                                          L.Dense(10, activation="softmax")])
                model.compile("adam", "sparse_categorical_crossentropy")
                images = rng.random((100, *shape)).astype(floatx)
                model.fit(images, rng.integers(0, 10, 100), batch_size=32, epochs=2, verbose=0)
            probs = rng.random((6, 4)).astype(floatx)
            probs /= probs.sum(axis=-1, keepdims=True)
            for kind in "bBhHiIlLqQ":  # labels of every integer dtype
                labels = rng.integers(0, 4, 6).astype(kind)
                for out in (np.empty_like(probs), None):
                    categorical_fused.sparse_step(labels, probs, out)
    finally:
        config.set_floatx(previous)


def _versions() -> list[tuple[str, Any, Any, bool]]:
    """(function name, numba signature, compile result, whether it runs
    without the GIL) of every compiled
    version in the compiled modules, and the helper's parts."""
    from numba import njit
    from numba.core.dispatcher import Dispatcher

    from kerasnp import _spin_loops
    from kerasnp.optimizers import fused

    dispatchers = []
    for name in _native.MODULES:
        dispatchers += [d for d in vars(sys.modules[f"kerasnp.{name}"]).values()
                        if isinstance(d, Dispatcher)]
    dispatchers += list((fused._compiled or {}).values())
    found, seen = [], set()
    for dispatcher in dispatchers:
        function = dispatcher.py_func
        name = f"{function.__module__}:{function.__qualname__}"
        nogil = bool(dispatcher.targetoptions.get("nogil"))
        for signature, result in dispatcher.overloads.items():
            if (name, signature) not in seen:
                seen.add((name, signature))
                found.append((name, signature, result, nogil))
    for part in list(_spin_loops._addresses):
        function = getattr(part, "py_func", part)
        name = f"{function.__module__}:{function.__qualname__}"
        signature = _spin_loops.PART_SIGNATURE.args
        if (name, signature) not in seen:
            compiled = njit(nogil=True)(function)
            compiled.compile(signature)
            seen.add((name, signature))
            found.append((name, signature, compiled.overloads[signature], True))
    return found


def token(t: Any) -> str:
    """`_native.token`'s name for numba type `t` (ValueError: not taken)."""
    from numba.core import types

    if isinstance(t, types.Literal):
        raise ValueError(f"no native entry for a literal argument ({t})")
    if isinstance(t, types.Array):
        return f"{t.dtype}:{t.ndim}{t.layout}{'' if t.mutable else 'r'}"
    if isinstance(t, types.Boolean):
        return "bool"
    if isinstance(t, (types.Integer, types.Float)):
        return t.name
    if isinstance(t, types.NoneType):
        return "none"
    if isinstance(t, types.UniTuple) and isinstance(t.dtype, (types.Integer, types.Float)):
        return f"{t.dtype.name}*{t.count}"
    if isinstance(t, types.CPointer):
        return "ptr"
    raise ValueError(f"no native entry for an argument of type {t}")


def emit(path: Path) -> None:
    """Write `path`.o and `path`.json for the versions compiled so far."""
    import llvmlite.binding as llvm
    from llvmlite import ir
    from numba.core import cgutils, types
    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.registry import cpu_target

    context = cpu_target.target_context
    library = context.codegen().create_library("kerasnp_native")
    module = context.codegen()._create_empty_module("kerasnp_entries")
    byte_p, i64, i32 = ir.IntType(8).as_pointer(), ir.IntType(64), ir.IntType(32)
    _runtime(module)

    def field(builder, base, offset, kind):
        at = builder.add(builder.ptrtoint(base, i64), i64(offset))
        return builder.load(builder.inttoptr(at, kind.as_pointer()))

    def array(builder, obj, array_type):  # PyArrayObject: data @16, dims @32, strides @40
        dims = builder.bitcast(field(builder, obj, 32, byte_p), i64.as_pointer())
        steps = builder.bitcast(field(builder, obj, 40, byte_p), i64.as_pointer())
        shape = [builder.load(builder.gep(dims, [i32(i)])) for i in range(array_type.ndim)]
        strides = [builder.load(builder.gep(steps, [i32(i)])) for i in range(array_type.ndim)]
        value = context.make_array(array_type)(context, builder)
        itemsize = context.get_abi_sizeof(context.get_data_type(array_type.dtype))
        context.populate_array(
            value, data=builder.bitcast(field(builder, obj, 16, byte_p), value.data.type),
            shape=cgutils.pack_array(builder, shape), strides=cgutils.pack_array(builder, strides),
            itemsize=context.get_constant(types.intp, itemsize), meminfo=None, parent=None)
        return value._getvalue()

    entries = []
    for name, signature, result, nogil in _versions():
        returns = result.signature.return_type
        try:
            tokens = [token(t) for t in signature]
            result_token = token(returns)
        except ValueError:
            continue
        if ":" in result_token:  # (an array made for compiled callers only)
            continue
        params = []
        for t, tok in zip(signature, tokens, strict=True):
            if ":" in tok:
                params.append(byte_p)
            elif isinstance(t, types.UniTuple):
                params += [context.get_value_type(t.dtype)] * t.count
            elif tok == "bool":
                params.append(ir.IntType(8))
            elif tok == "none":
                params.append(byte_p)  # the None object, passed and not read
            else:
                params.append(context.get_value_type(t))
        spread_result = isinstance(returns, types.UniTuple)
        if spread_result:
            params.append(byte_p)
            c_result = ir.VoidType()
        elif result_token == "none":
            c_result = ir.VoidType()
        elif result_token == "bool":
            c_result = ir.IntType(8)
        else:
            c_result = context.get_value_type(returns)
        symbol = f"kerasnp_entry_{len(entries)}"
        entry = ir.Function(module, ir.FunctionType(c_result, params), symbol)
        builder = ir.IRBuilder(entry.append_basic_block())
        c_args, values = iter(entry.args), []
        for t, tok in zip(signature, tokens, strict=True):
            if ":" in tok:
                values.append(array(builder, next(c_args), t))
            elif isinstance(t, types.UniTuple):
                items = [next(c_args) for _ in range(t.count)]
                values.append(context.make_tuple(builder, t, items))
            elif tok == "bool":
                values.append(builder.icmp_unsigned("!=", next(c_args), ir.IntType(8)(0)))
            elif tok == "none":
                next(c_args)
                values.append(context.get_dummy_value())
            else:
                values.append(next(c_args))
        callee = cgutils.get_or_insert_function(
            module, context.call_conv.get_function_type(returns, signature),
            result.fndesc.mangled_name)
        # the passes raise nothing (no bounds checks; error_model="numpy" where
        # they divide): the status is not read
        _, value = context.call_conv.call_function(builder, callee, returns, signature, values)
        if spread_result:
            out = builder.bitcast(next(c_args), context.get_value_type(returns.dtype).as_pointer())
            for i in range(returns.count):
                builder.store(builder.extract_value(value, i), builder.gep(out, [i32(i)]))
            builder.ret_void()
        elif result_token == "none":
            builder.ret_void()
        elif result_token == "bool":
            builder.ret(builder.zext(value, ir.IntType(8)))
        else:
            builder.ret(value)
        library.add_linking_library(result.library)
        entries.append({"function": name, "args": tokens, "result": result_token,
                        "symbol": symbol, "nogil": nogil})
    with global_compiler_lock:
        library.add_ir_module(module)
        library.finalize()
    final = library._final_module
    body = "\n".join(line for line in str(final).splitlines() if not line.startswith("declare"))
    missing = sorted(f.name for f in final.functions
                     if f.is_declaration and not f.name.startswith("llvm.")
                     and f.name not in _FOUND_IN_ANY_PROCESS
                     and (f"@{f.name}(" in body or f'@"{f.name}"' in body))
    if missing:  # (MCJIT would load the file and crash at the first call of one)
        raise RuntimeError(f"the native library would call functions a process may lack: "
                           f"{missing}")
    machine = llvm.Target.from_default_triple().create_target_machine(
        cpu=llvm.get_host_cpu_name(), features=llvm.get_host_cpu_features().flatten(),
        opt=3, reloc="pic", codemodel="default")
    objects = machine.emit_object(final)
    _write(path.with_suffix(".o"), objects)
    manifest = {"version": _native._VERSION, "sha256": hashlib.sha256(objects).hexdigest(),
                "entries": entries}
    _write(path.with_suffix(".json"), json.dumps(manifest, indent=0).encode())


#: the C library's functions the compiled code may call (as any process has them)
_FOUND_IN_ANY_PROCESS = frozenset([
    "malloc", "free", "memset", "memcpy", "memmove", "abort",
    "exp", "expf", "expm1", "expm1f", "log", "logf", "log1p", "log1pf", "pow", "powf",
    "sqrt", "sqrtf", "fabs", "fabsf", "floor", "floorf", "ceil", "ceilf", "fmod", "fmodf",
    "tanh", "tanhf"])


def _runtime(module: Any) -> None:
    """NRT_MemInfo_alloc_aligned and NRT_MemInfo_call_dtor on malloc/free,
    for arrays a pass makes and drops: numba's MemInfo is {refcount, dtor,
    dtor_info, data, size, external_allocator}, read in place by its code."""
    from llvmlite import ir

    i8, i32, i64 = ir.IntType(8), ir.IntType(32), ir.IntType(64)
    byte_p = i8.as_pointer()
    malloc = ir.Function(module, ir.FunctionType(byte_p, [i64]), "malloc")
    free = ir.Function(module, ir.FunctionType(ir.VoidType(), [byte_p]), "free")
    alloc = ir.Function(module, ir.FunctionType(byte_p, [i64, i32]), "NRT_MemInfo_alloc_aligned")
    builder = ir.IRBuilder(alloc.append_basic_block())
    size, align = alloc.args
    align = builder.zext(align, i64)
    block = builder.call(malloc, [builder.add(size, builder.add(i64(48), align))])
    words = builder.bitcast(block, i64.as_pointer())
    start = builder.add(builder.ptrtoint(block, i64), i64(48))
    # data = start rounded up to a multiple of align (align a power of two, or 0)
    up = builder.sub(align, builder.select(builder.icmp_unsigned("==", align, i64(0)),
                                           i64(0), i64(1)))
    data = builder.and_(builder.add(start, up), builder.not_(up))
    for slot, value in ((0, i64(1)), (1, i64(0)), (2, i64(0)), (3, data), (4, size), (5, i64(0))):
        builder.store(value, builder.gep(words, [i32(slot)]))
    builder.ret(block)
    dtor = ir.Function(module, ir.FunctionType(ir.VoidType(), [byte_p]), "NRT_MemInfo_call_dtor")
    builder = ir.IRBuilder(dtor.append_basic_block())
    builder.call(free, [dtor.args[0]])
    builder.ret_void()


def _write(path: Path, data: bytes) -> None:
    """Write `data` to `path` whole or not at all (a temporary file renamed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as f:
            f.write(data)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # (mkstemp's file is the owner's alone)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise


def main(argv: list[str]) -> int:
    """`PATH EXPECTED`: build at PATH if this kerasnp's fingerprint is EXPECTED."""
    if os.environ.get("KERASNP_NATIVE", "").strip() != "0":
        print("run with KERASNP_NATIVE=0 (kerasnp._jit does)", file=sys.stderr)
        return 2
    if _native.this_fingerprint() != argv[1]:
        print(f"these kerasnp sources ({_native.__file__}) are not those the library is for",
              file=sys.stderr)
        return 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rehearse()
    emit(Path(argv[0]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
