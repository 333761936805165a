"""The compiled half of `_spinning`: atomic flags, and BLAS products called
without the GIL. Imported only by `_spinning`, and only when numba is
installed and a loop asks for a second core.

A "control word" (`ctl[0]`, an int64) says who owns the shared job:

    IDLE --caller--> CLAIMED --caller, job written--> POSTED --helper--> TAKEN
        --helper--> DONE --caller--> IDLE
    POSTED --caller (not taken yet)--> TAKEN, the caller runs the job --caller--> IDLE
    (a product, whose description the caller keeps: POSTED --caller--> IDLE)
    IDLE --caller--> PYTHON --helper--> PYTHON_TAKEN --helper--> IDLE
                        \\--caller (not taken yet)--> IDLE

Every change is a compare-and-swap by the side that owns that step, so
neither side ever overwrites a state the other one has just set, and the
job is written only by a caller that holds it (CLAIMED): a second thread of
the program that finds the job busy runs its work itself.

The job (`job[0:12]`) describes one product for `cblas_?gemm` (row-major):
m, n, k, trans_a, trans_b, lda, ldb, ldc, the addresses of a, b and c, and
the dtype (0: float32, 1: float64). Or, when `job[_KIND]` is ELEMENTWISE, a
compiled part (`compiled_part`, `PART_SIGNATURE`): a count, the part's
address, then its int64 parameters (an optimizer update's: the addresses of
its arrays, `optimizers/fused_parts.py`; a Dropout mask's, `layers/
dropout_fused.py`); its scalars are in `scalars`, in the arrays' dtype.
"""

from __future__ import annotations

import platform
from typing import Any

import numpy as np
from llvmlite import ir

from ._jit import carray, cfunc, cgutils, intrinsic, njit, types

IDLE, POSTED, TAKEN, DONE, PYTHON, PYTHON_TAKEN, CLAIMED = 0, 1, 2, 3, 4, 5, 6
NOT_BLASABLE, RAN_BOTH = -1, -2  # results of two_products besides a wait
_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_JOB = 12  # int64 slots per job description
_KIND = 22  # job[_KIND]: PRODUCT or ELEMENTWISE (a part's parameters end before it)
JOB_SLOTS = _KIND + 1
PRODUCT, ELEMENTWISE = 0, 1


def _address(context, builder, array_type, array, index):
    ary = context.make_array(array_type)(context, builder, array)
    return cgutils.get_item_pointer(context, builder, array_type, ary, [index])


@intrinsic
def load(typingctx, array, index):
    """`array[index]` as an atomic load (acquire)."""
    def codegen(context, builder, signature, args):
        pointer = _address(context, builder, signature.args[0], args[0], args[1])
        return builder.load_atomic(pointer, "acquire", 8)
    return types.int64(array, index), codegen


@intrinsic
def swap(typingctx, array, index, expected, new):
    """Compare-and-swap: `array[index] = new` if it was `expected`; 1 if it was."""
    def codegen(context, builder, signature, args):
        pointer = _address(context, builder, signature.args[0], args[0], args[1])
        result = builder.cmpxchg(pointer, args[2], args[3], "acq_rel", "acquire")
        return builder.zext(builder.extract_value(result, 1), ir.IntType(64))
    return types.int64(array, index, expected, new), codegen


_PAUSE = {"x86_64": "llvm.x86.sse2.pause", "amd64": "llvm.x86.sse2.pause"}.get(
    platform.machine().lower())


@intrinsic
def relax(typingctx):
    """A spin-wait hint to the CPU (x86's `pause`); nothing elsewhere."""
    def codegen(context, builder, signature, args):
        if _PAUSE is not None:
            fn = cgutils.get_or_insert_function(
                builder.module, ir.FunctionType(ir.VoidType(), []), _PAUSE)
            builder.call(fn, [])
        return context.get_dummy_value()
    return types.void(), codegen


def _call_at_address(context, builder, signature, args):
    """Code for a call of the C function whose address is the first argument,
    with the others as their own machine types (pointers as 64-bit integers)."""
    argument_types = [context.get_value_type(t) for t in signature.args[1:]]
    fn_type = ir.FunctionType(ir.VoidType(), argument_types)
    builder.call(builder.inttoptr(args[0], fn_type.as_pointer()), args[1:])
    return context.get_dummy_value()


@intrinsic
def _call(typingctx, function, order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
          beta, c, ldc):
    """Call a `cblas_?gemm` at address `function`."""
    return types.void(function, order, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb,
                      beta, c, ldc), _call_at_address


@intrinsic
def _call3(typingctx, function, a, b, c):
    """Call the C function at address `function` with three arguments."""
    return types.void(function, a, b, c), _call_at_address


@intrinsic
def pointer(typingctx, address, like):
    """The integer `address` as a pointer to values of `like`'s type."""
    pointer_type = types.CPointer(like)

    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], context.get_value_type(pointer_type))
    return pointer_type(address, like), codegen


@njit(nogil=True, cache=True)
def _gemm(job, at, sgemm, dgemm, ilp64):  # pragma: no cover - compiled
    """Run the product described at `job[at:at + _JOB]`."""
    order = np.int32(_ROW_MAJOR)
    ta = np.int32(_TRANS if job[at + 3] else _NO_TRANS)
    tb = np.int32(_TRANS if job[at + 4] else _NO_TRANS)
    m, n, k = job[at], job[at + 1], job[at + 2]
    lda, ldb, ldc = job[at + 5], job[at + 6], job[at + 7]
    a, b, c = job[at + 8], job[at + 9], job[at + 10]
    if job[at + 11] == 0:
        one, zero = np.float32(1.0), np.float32(0.0)
        if ilp64:
            _call(sgemm, order, ta, tb, m, n, k, one, a, lda, b, ldb, zero, c, ldc)
        else:
            _call(sgemm, order, ta, tb, np.int32(m), np.int32(n), np.int32(k), one, a,
                  np.int32(lda), b, np.int32(ldb), zero, c, np.int32(ldc))
    else:
        one64, zero64 = 1.0, 0.0
        if ilp64:
            _call(dgemm, order, ta, tb, m, n, k, one64, a, lda, b, ldb, zero64, c, ldc)
        else:
            _call(dgemm, order, ta, tb, np.int32(m), np.int32(n), np.int32(k), one64, a,
                  np.int32(lda), b, np.int32(ldb), zero64, c, np.int32(ldc))


@njit(cache=True)
def _layout(x, size):  # pragma: no cover - compiled
    """`(trans, leading dimension)` of a 2-D array for a BLAS; (0, 0) if a
    BLAS cannot read it in place."""
    s0, s1 = x.strides
    rows, cols = x.shape
    if s1 == size and s0 % size == 0 and s0 // size >= max(cols, 1):
        return 0, s0 // size
    if s0 == size and s1 % size == 0 and s1 // size >= max(rows, 1):
        return 1, s1 // size
    return 0, 0


@njit(cache=True)
def _describe(job, at, a, b, out):  # pragma: no cover - compiled
    """Describe `out = a @ b` at `job[at:]`; False if a BLAS cannot take
    these arrays as they are (then nothing is run)."""
    size = out.itemsize
    if (out.strides[1] != size or out.strides[0] % size or a.itemsize != size
            or b.itemsize != size):
        return False
    m, k, n = a.shape[0], a.shape[1], b.shape[1]
    trans_a, lda = _layout(a, size)
    trans_b, ldb = _layout(b, size)
    if m <= 0 or k <= 0 or n <= 0 or lda == 0 or ldb == 0:
        return False
    job[at], job[at + 1], job[at + 2] = m, n, k
    job[at + 3], job[at + 4] = trans_a, trans_b
    job[at + 5], job[at + 6], job[at + 7] = lda, ldb, out.strides[0] // size
    job[at + 8] = a.ctypes.data
    job[at + 9] = b.ctypes.data
    job[at + 10] = out.ctypes.data
    job[at + 11] = 0 if size == 4 else 1
    return True


@njit(nogil=True, cache=True)
def _wait_done(ctl):  # pragma: no cover - compiled
    """Wait for the helper to finish the part it took; the turns waited."""
    turns = 0
    while load(ctl, 0) != DONE:
        relax()
        turns += 1
    swap(ctl, 0, DONE, IDLE)
    return turns


def _products_signature(dtype: Any) -> Any:
    """`two_products`' types for arrays of `dtype` in any layout: it reads
    only their shapes, strides and addresses, so one compiled version per
    dtype serves them all (each layout would be a version of its own, about
    0.8 MB of compiled code each)."""
    matrix = types.Array(dtype, 2, "A")
    vector = types.Array(types.int64, 1, "C")
    return types.int64(vector, vector, *[matrix] * 6, types.boolean, types.int64,
                       types.int64, types.boolean)


@njit([_products_signature(types.float32), _products_signature(types.float64)],
      nogil=True, cache=True)
def two_products(ctl, job, a, b, out, a2, b2, out2, offer, sgemm, dgemm,
                 ilp64):  # pragma: no cover - compiled
    """`out = a @ b` here and `out2 = a2 @ b2` offered to the helper (if
    `offer`), run here too if it has not taken it by then. Returns
    NOT_BLASABLE (nothing done) if a BLAS cannot take the arrays, RAN_BOTH if
    this thread ran both products, else how many turns it waited for the
    helper to finish."""
    mine, theirs = np.empty(_JOB, np.int64), np.empty(_JOB, np.int64)
    if not (_describe(mine, 0, a, b, out) and _describe(theirs, 0, a2, b2, out2)):
        return NOT_BLASABLE
    offered = offer and swap(ctl, 0, IDLE, CLAIMED)
    if offered:
        for i in range(_JOB):  # (not a slice assignment: its shape check may raise)
            job[i] = theirs[i]
        job[_KIND] = PRODUCT
        swap(ctl, 0, CLAIMED, POSTED)
    _gemm(mine, 0, sgemm, dgemm, ilp64)
    if not offered or swap(ctl, 0, POSTED, IDLE):
        _gemm(theirs, 0, sgemm, dgemm, ilp64)
        return RAN_BOTH
    return _wait_done(ctl)


@njit(nogil=True, cache=True)
def serve(ctl, job, scalars, sgemm, dgemm, ilp64, idle_spins):  # pragma: no cover - compiled
    """The helper's loop: run offered products and update parts until nothing
    has been offered for `idle_spins` turns (returns 0), or a Python job is
    taken (returns 1)."""
    idle = 0
    while idle < idle_spins:
        state = load(ctl, 0)
        if state == POSTED and swap(ctl, 0, POSTED, TAKEN):
            if job[_KIND] == ELEMENTWISE:
                _run_part(job, scalars)
            else:
                _gemm(job, 0, sgemm, dgemm, ilp64)
            swap(ctl, 0, TAKEN, DONE)
            idle = 0
        elif state == PYTHON and swap(ctl, 0, PYTHON, PYTHON_TAKEN):
            return 1
        else:
            relax()
            idle += 1
    return 0


@njit(nogil=True, cache=True)
def compare_and_swap(ctl, index, expected, new):  # pragma: no cover - compiled
    """`swap` for Python code."""
    return swap(ctl, index, expected, new)


# ------------------------------------------------------ parts for the helper
@njit(nogil=True, cache=True)
def array_at(address, n, like):  # pragma: no cover - compiled
    """The `n` values of `like`'s type at `address`, as an array."""
    return carray(pointer(address, like), n)


#: the C signature of a part the helper runs: (count, int64 *params, scalars address)
PART_SIGNATURE = types.void(types.int64, types.CPointer(types.int64), types.int64)
_addresses: dict[Any, int] = {}


def compiled_part(part: Any) -> int:
    """The address of `part`, a function of `(count, int64 *params, scalars
    address)` (PART_SIGNATURE), compiled for the helper (or loaded from
    numba's cache) at its first use."""
    address = _addresses.get(part)
    if address is None:
        address = _addresses[part] = cfunc(PART_SIGNATURE, cache=True)(part).address
    return address


@njit(nogil=True, cache=True)
def _run_part(job, scalars):  # pragma: no cover - compiled
    _call3(job[1], job[0], job.ctypes.data + 2 * 8, scalars.ctypes.data)


@njit(cache=True)
def address_after(a, h):  # pragma: no cover - compiled
    return 0 if a is None else a.ctypes.data + h * a.itemsize


@njit(cache=True)
def _put_scalars(scalars, single, values):  # pragma: no cover - compiled
    """The part's scalars, as float32 (`single`) or float64 values."""
    i = 0
    if single:
        typed = scalars.view(np.float32)
        for value in values:
            typed[i] = value
            i += 1
    else:
        for value in values:
            scalars[i] = value
            i += 1


@njit(cache=True)
def offer_call(ctl, job, scalars, function, count, params, single, values):  # pragma: no cover
    """Offer the compiled part at `function` with (`count`, `params`, the
    scalars `values`); 0 (nothing written) if the job is busy."""
    if not swap(ctl, 0, IDLE, CLAIMED):
        return 0
    job[_KIND] = ELEMENTWISE
    job[0], job[1] = count, function
    i = 2
    for value in params:
        job[i] = value
        i += 1
    _put_scalars(scalars, single, values)
    return swap(ctl, 0, CLAIMED, POSTED)


@njit(nogil=True, cache=True)
def finish_part(ctl, job, scalars):  # pragma: no cover - compiled
    """After the caller's own part: run the offered one here if the helper
    has not taken it (RAN_BOTH), else wait for it (returns the turns waited).
    Run here, the part is TAKEN meanwhile, as by the helper: it reads the
    shared job and scalars, which no other thread may offer into until it
    is done."""
    if swap(ctl, 0, POSTED, TAKEN):
        _run_part(job, scalars)
        swap(ctl, 0, TAKEN, IDLE)
        return RAN_BOTH
    return _wait_done(ctl)
