"""Loading kerasnp's optional compiled passes (numba, the `fast` extra).

Each compiled module (`layers/dropout_fused.py`, `layers/dense_fused.py`)
repeats some NumPy lines of the training loop in one pass and gives their
numbers bit for bit. It is imported at its first use, not at `import
kerasnp`, and not at all without numba or with `KERASNP_FUSED=0` in the
environment; a module whose `check()` fails here (its numbers differ from
NumPy's on this machine) is not used either. Then the NumPy lines run.
"""

from __future__ import annotations

import importlib
import os
from typing import Any

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
                if not module.check():
                    module = None
            except Exception:  # numba missing or not for this NumPy; a compilation problem
                module = None
        _loaded[name] = module
    return _loaded[name]
