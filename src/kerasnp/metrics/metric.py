"""The `Metric` base class: state accumulated over batches, read with `result()`."""

from __future__ import annotations

from typing import Any

from ..losses.loss import check_dtype, check_name


class Metric:
    """Base class of every metric: a state that batches update.

    Subclasses implement `update_state(...)` (cheap and vectorised: it runs
    on every batch), `result()` and `reset_state()`. Calling a metric
    updates it and returns the result so far, as in Keras.

    ``_direction`` is ``"up"`` for metrics to maximise (accuracies, AUC),
    ``"down"`` for those to minimise (errors, cross-entropies) and None when
    unknown; callbacks use it in ``mode="auto"``.

    Args:
        dtype: the dtype of the computations. Defaults to `config.floatx()`.
        name: the metric name. Defaults to the snake-case class name, made
            unique in the process (``auc``, ``auc_1`` ...).

    Example:
    >>> class Count(Metric):
    ...     def __init__(self, name="count", dtype=None):
    ...         super().__init__(dtype=dtype, name=name)
    ...         self.reset_state()
    ...     def update_state(self, y_true, y_pred, sample_weight=None):
    ...         self.n += len(y_true)
    ...     def result(self):
    ...         return float(self.n)
    ...     def reset_state(self):
    ...         self.n = 0
    >>> Count()([1, 2, 3], [1, 2, 3])
    3.0
    """

    _direction: str | None = None

    def __init__(self, dtype: Any = None, name: str | None = None):
        owner = type(self).__name__
        self.name = check_name(owner, name)
        self.dtype = check_dtype(owner, dtype)

    def update_state(self, *args: Any, **kwargs: Any) -> None:
        """Accumulate one batch (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `update_state`.")

    def result(self) -> Any:
        """The metric over every batch since the last reset, as a Python float."""
        raise NotImplementedError(f"{type(self).__name__} must implement `result`.")

    def reset_state(self) -> None:
        """Forget every batch (called at the start of each epoch)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `reset_state`.")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.update_state(*args, **kwargs)
        return self.result()

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Metric:
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"
