"""Decoupled weight decay: `w -= learning_rate * weight_decay * w` before
the update step (Loshchilov & Hutter 2019, "Decoupled Weight Decay
Regularization"), for every variable not excluded by
`exclude_from_weight_decay`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .._errors import KerasnpError
from ..variables import Variable


class OptimizerWeightDecay:
    """The weight decay of `Optimizer` (which provides `weight_decay`,
    `built`, `_decays`, one flag per variable from `_use_weight_decay`, and
    sets `_excluded` and `_exclude_pattern` to "nothing excluded")."""

    weight_decay: float | None
    built: bool
    _decays: list[bool]
    _excluded: list[Variable]
    _exclude_pattern: re.Pattern | None

    def exclude_from_weight_decay(
        self, var_list: Sequence[Variable] | None = None, var_names: Sequence[str] | None = None
    ) -> None:
        """Exempt variables from weight decay: those in `var_list`, and those
        whose name contains one of `var_names` (e.g. `["bias"]`). Call it
        before the first update."""
        if self.built:
            raise KerasnpError(
                "`exclude_from_weight_decay()` must be called before the "
                "optimizer is built (before the first update)."
            )
        self._excluded = list(var_list or [])
        names = [re.escape(n) for n in var_names or []]
        self._exclude_pattern = re.compile("|".join(names)) if names else None

    def _use_weight_decay(self, variable: Variable) -> bool:
        if any(v is variable for v in self._excluded):
            return False
        pattern = self._exclude_pattern
        return pattern is None or pattern.search(variable.name) is None

    def _apply_weight_decay(self, work: list[tuple], learning_rate: float) -> None:
        """Decay the variables of `work` (`(grad, variable, index)` triples) in place."""
        if self.weight_decay:
            keep = 1.0 - learning_rate * self.weight_decay
            for _, var, i in work:
                if self._decays[i]:
                    var.value *= keep
