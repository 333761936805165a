"""The exponential moving average of the weights (`use_ema=True`):
`average = m * average + (1 - m) * w` after every update (the first update
copies `w`), written back into the weights every `ema_overwrite_frequency`
iterations or by `finalize_variable_values`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..variables import Variable


class OptimizerEMA:
    """The moving average of `Optimizer` (which provides `use_ema`,
    `ema_momentum`, `ema_overwrite_frequency`, `iterations`, `built`, and
    from `build` the `_averages` slots and the `_tmp` buffers)."""

    use_ema: bool
    ema_momentum: float
    ema_overwrite_frequency: int | None
    iterations: int
    built: bool
    _index: dict[int, int]
    _trainable_variables: list[Variable]
    _averages: list[Variable]
    _tmp: list[np.ndarray]

    def _update_average(self) -> None:
        momentum = self.ema_momentum if self.iterations != 0 else 0.0
        for i, var in enumerate(self._trainable_variables):
            average, tmp = self._averages[i].value, self._tmp[i]
            average *= momentum
            np.multiply(var.value, 1.0 - momentum, out=tmp)
            average += tmp
        every = self.ema_overwrite_frequency
        if every and (self.iterations + 1) % every == 0:
            self.finalize_variable_values(self._trainable_variables)

    def finalize_variable_values(self, variables: Sequence[Variable]) -> None:
        """With `use_ema=True`, replace the weights by their moving average
        (`fit` calls this at the end of training); otherwise do nothing."""
        if not self.use_ema or not self.built:
            return
        for var in variables:
            i = self._index.get(id(var))
            if i is not None:
                var.value[...] = self._averages[i].value
