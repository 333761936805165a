"""Loading kerasnp's optional compiled passes (numba, the `fast` extra).

Each compiled module (`layers/dropout_fused.py`, `layers/dense_fused.py`)
repeats some NumPy lines of the training loop in one pass and gives their
numbers bit for bit. It is imported at its first use, not at `import
kerasnp`, and not at all without numba or with `KERASNP_FUSED=0` in the
environment; a module whose `check()` fails here (its numbers differ from
NumPy's on this machine) is not used either. Then the NumPy lines run.
Where its functions come from (kerasnp's native library of numba's code,
or numba's JIT) is `_jit`'s business.

A module whose passes come in a float32 and a float64 version is checked
one dtype at a time instead (`Checked`, the module's `ready`), at the first
use of each: numba then compiles (or loads from its cache) only the
versions a program uses.
"""

from __future__ import annotations

import importlib
import os
import sys
import threading
from typing import Any

import numpy as np

FLOATS = (np.dtype("float32"), np.dtype("float64"))
_loaded: dict[str, Any] = {}


def turned_off() -> bool:
    """Whether `KERASNP_FUSED=0` turns all compiled code off."""
    return os.environ.get("KERASNP_FUSED", "").strip() == "0"


def load(name: str) -> Any:
    """The compiled module `kerasnp.<name>`, or None where it cannot run."""
    if name not in _loaded:
        module = None
        if not turned_off():
            try:
                module = importlib.import_module(f"kerasnp.{name}")
                if not isinstance(getattr(module, "ready", None), Checked) and not module.check():
                    module = None
            except Exception:  # numba missing or not for this NumPy; a compilation problem
                module = None
        _loaded[name] = module
    return _loaded[name]


class Checked:
    """`ready(dtype)`: whether a compiled module's passes may run on arrays of
    `dtype` here, that is whether the module's `check(dtype)` gave the NumPy
    lines' bits (False for a dtype other than float32/float64). Each dtype is
    checked at its first ask; the check's own calls of the passes it checks
    are let through, on the thread running it."""

    def __init__(self, module_name: str) -> None:
        self._name = module_name
        self._results: dict[Any, bool] = {}
        self._checking = threading.local()

    def __call__(self, dtype: Any) -> bool:
        result = self._results.get(dtype)
        return self._check(dtype) if result is None else result

    def _check(self, dtype: Any) -> bool:
        outer = getattr(self._checking, "dtype", None)
        if outer is dtype:  # (not ==: None == float64)
            return True
        if dtype not in FLOATS:
            return False
        self._checking.dtype = dtype
        try:
            result = bool(sys.modules[self._name].check(dtype))
        except Exception:  # a compilation problem
            result = False
        finally:
            self._checking.dtype = outer
        self._results[dtype] = result
        return result
