"""Seeds: one global seed, and a private NumPy generator for every object.

Objects never touch NumPy's global random state. An object given an integer
`seed` uses that seed alone; an object given `seed=None` draws a fresh seed
from the global sequence, which `set_random_seed` restarts. So the same
seed, model code and data give bit-identical weights and histories.
"""

from __future__ import annotations

import numpy as np

from .._errors import check_int

_STATE = {"root": np.random.SeedSequence(), "drawn": 0}


def set_random_seed(seed: int) -> None:
    """Make everything random in kerasnp repeatable from `seed`.

    Also seeds Python's `random` and NumPy's legacy global generator, as Keras
    does, for user code that relies on them.

    Example:
    >>> set_random_seed(0); a = make_rng().random()
    >>> set_random_seed(0); b = make_rng().random()
    >>> a == b
    True
    """
    import random

    seed = check_int("set_random_seed", "seed", seed, minimum=0)
    _STATE["root"] = np.random.SeedSequence(seed)
    _STATE["drawn"] = 0
    random.seed(seed)
    np.random.seed(seed % 2**32)


def draw_seed() -> int:
    """The next seed of the global sequence (for objects built with seed=None)."""
    child = np.random.SeedSequence(_STATE["root"].entropy,
                                   spawn_key=(_STATE["drawn"],))
    _STATE["drawn"] += 1
    return int(child.generate_state(1, dtype=np.uint32)[0])


def make_rng(seed: int | None = None) -> np.random.Generator:
    """A NumPy generator of one's own: from `seed`, or from the global sequence."""
    return np.random.default_rng(draw_seed() if seed is None else seed)
