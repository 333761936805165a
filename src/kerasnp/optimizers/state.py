"""Saving and restoring an optimizer's state: iterations, learning rate, slots.

Three equivalent ways, for three kinds of callers: `get_weights` /
`set_weights` (a list, in the order of `variables`), `get_state` /
`set_state` (a dict by name, for kerasnp's own files), and
`save_own_variables` / `load_own_variables` (a store keyed "0", "1", ...,
the layout of the `optimizer/vars` group in Keras's `.keras` files).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._errors import KerasnpError
from ..variables import Variable


class OptimizerState:
    """The save/restore methods of `Optimizer` (which provides `_state`,
    `built` and `name`)."""

    _state: list[Variable]
    built: bool
    name: str

    def get_weights(self) -> list[np.ndarray]:
        """Copies of the state arrays, in the order of `variables`."""
        return [v.value.copy() for v in self._state]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Restore `get_weights()`'s arrays (the optimizer must be built)."""
        self._check_restorable(len(weights))
        for var, value in zip(self._state, weights, strict=True):
            var.assign(value)

    def get_state(self) -> dict[str, np.ndarray]:
        """The state by variable name (`"iteration"`, `"learning_rate"`,
        `"dense_kernel_momentum"`, ...): copies, for saving."""
        return {v.name: v.value.copy() for v in self._state}

    def set_state(self, state: Mapping[str, Any]) -> None:
        """Restore `get_state()`'s dict exactly (the optimizer must be built
        for variables with the same paths)."""
        self._check_restorable(len(state))
        names = [v.name for v in self._state]
        if set(names) != set(state):
            missing = sorted(set(names) - set(state))
            extra = sorted(set(state) - set(names))
            raise KerasnpError(
                f"Cannot restore the state of {type(self).__name__} `{self.name}`: the names "
                f"differ. Missing: {missing}; unexpected: {extra}"
            )
        for var in self._state:
            var.assign(state[var.name])

    def save_own_variables(self, store: dict[str, Any]) -> None:
        """Write the state into `store` under the keys "0", "1", ... (Keras's layout)."""
        for i, var in enumerate(self._state):
            store[str(i)] = var.value.copy()

    def load_own_variables(self, store: Mapping[str, Any]) -> None:
        """Read `save_own_variables`'s store; warns and skips on a count mismatch, as Keras."""
        if len(store) != len(self._state):
            warnings.warn(
                f"Skipping variable loading for optimizer '{self.name}', because it has "
                f"{len(self._state)} variables whereas the saved optimizer has {len(store)} "
                "variables.",
                stacklevel=2,
            )
            return
        for i, var in enumerate(self._state):
            var.assign(store[str(i)])

    def _check_restorable(self, count: int) -> None:
        if not self.built:
            raise KerasnpError(
                f"Cannot restore the state of {type(self).__name__} `{self.name}` before it "
                "is built; call `build(variables)` first."
            )
        if count != len(self._state):
            raise KerasnpError(
                f"Cannot restore the state of {type(self).__name__} `{self.name}`: expected "
                f"{len(self._state)} arrays. Received: {count} arrays"
            )
