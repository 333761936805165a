"""The `Loss` base class: reduction, sample weights and the gradient contract.

A loss has two halves. ``call(y_true, y_pred)`` gives one value per sample
(the per-sample function reduces the last axis, as in Keras), and the base
class turns those values into the one number that training minimises:

    reduced = sum(w * losses) / size(losses)      # "sum_over_batch_size"

Note that the divisor is the number of loss values, not ``sum(w)``: a batch
with half its weights at 0 gives half the loss, exactly as Keras does.

``gradient(y_true, y_pred, sample_weight)`` is dreduced/dy_pred. The base
class works out dreduced/dlosses (the weights times the reduction factor) and
hands it to ``backward(y_true, y_pred, grad)``, which each loss implements
with its analytic derivative.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import _naming, config
from .._errors import KerasnpError, check_choice
from .._naming import to_snake_case

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

_NAME_COUNTS: dict[str, int] = {}  # the default names of losses and metrics (one tally)


def unique_name(prefix: str) -> str:
    """A process-unique name: ``auc``, then ``auc_1``, ``auc_2`` ... (Keras' rule)."""
    return _naming.unique_name(prefix, _NAME_COUNTS)


def check_name(owner: str, name: Any) -> str:
    """`name` if it is a string; for None, the snake-case `owner` made unique."""
    if name is not None and not isinstance(name, str):
        raise KerasnpError(
            f"Invalid value for argument `name` of {owner}: expected a string "
            f"or None. Received: name={name!r}"
        )
    return name or unique_name(to_snake_case(owner))


def check_dtype(owner: str, dtype: Any) -> str:
    """The float dtype name for `dtype` (None means `config.floatx()`)."""
    if dtype is None:
        return config.floatx()
    try:
        resolved = np.dtype(dtype)
    except TypeError:
        resolved = None
    if resolved is None or resolved.kind != "f":
        raise KerasnpError(
            f"Invalid value for argument `dtype` of {owner}: expected a float dtype such as "
            f"'float32' or 'float64'. Received: dtype={dtype!r}"
        )
    return resolved.name


def float_array(x: Any, dtype: Any = None) -> np.ndarray:
    """`x` as a float array: in `dtype` if given; else a float NumPy array keeps its
    own type (float64 stays float64, for gradient checks) and anything else
    (lists, integers) becomes `config.floatx()`, as in Keras."""
    if dtype is not None:
        return np.asarray(x, dtype=dtype)
    if isinstance(x, np.ndarray) and x.dtype.kind == "f":
        return x
    return np.asarray(x, dtype=config.floatx())


def squeeze_or_expand_to_same_rank(
    x1: np.ndarray, x2: np.ndarray, expand_rank_1: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Make the ranks equal when they differ by a trailing axis of size 1.

    Labels of shape ``(n,)`` against predictions ``(n, 1)`` become ``(n, 1)``;
    ``(n, t, 1)`` against ``(n, t)`` is squeezed. Anything else is unchanged.
    """
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1 and expand_rank_1:
            x2 = x2[:, None]
        else:
            x1 = x1[..., 0]
    elif r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1 and expand_rank_1:
            x1 = x1[:, None]
        else:
            x2 = x2[..., 0]
    return x1, x2


def reduced_shape(shape: tuple[int, ...], axis: int) -> tuple[int, ...]:
    """`shape` without `axis` (the shape of the per-sample losses)."""
    if not shape:
        return ()
    axis = axis % len(shape)
    return shape[:axis] + shape[axis + 1 :]


def align_sample_weight(
    sample_weight: Any, shape: tuple[int, ...], dtype: Any, owner: str = "the loss"
) -> np.ndarray:
    """`sample_weight` reshaped so that it broadcasts against values of `shape`.

    A trailing axis of size 1 is dropped, and a weight with fewer axes than
    the values gets axes added on the right, so ``(n,)`` weights one whole
    sample of ``(n, t)`` values (Keras would broadcast from the left and fail).
    """
    w = np.asarray(sample_weight, dtype=dtype)
    if w.ndim == len(shape) + 1 and w.shape[-1] == 1:
        w = w[..., 0]
    elif 0 < w.ndim < len(shape):
        w = w.reshape(w.shape + (1,) * (len(shape) - w.ndim))
    try:
        np.broadcast_shapes(w.shape, shape)
    except ValueError:
        raise KerasnpError(
            f"`sample_weight` of shape {np.shape(sample_weight)} does not match the "
            f"{len(shape) and shape[0]} samples seen by {owner} (per-sample values of shape "
            f"{shape}). Pass one weight per sample, e.g. an array of shape "
            f"({shape[0] if shape else 1},)."
        ) from None
    return w


def _sum_to_shape(a: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum `a` over the axes that broadcasting added to `shape`."""
    if a.shape == shape:
        return a
    lead = a.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        lead + i for i, n in enumerate(shape) if n == 1 and a.shape[lead + i] != 1
    )
    return np.sum(a, axis=axes, keepdims=False).reshape(shape) if axes else a.reshape(shape)


class Loss:
    """Base class of every loss: reduction, sample weights, gradient.

    Subclasses implement `call(y_true, y_pred)` (the per-sample losses) and,
    to be trainable, `backward(y_true, y_pred, grad)` (the gradient of
    ``sum(grad * call(y_true, y_pred))`` with respect to `y_pred`).

    Args:
        name: the loss name. Defaults to the snake-case class name, made
            unique in the process.
        reduction: `"sum_over_batch_size"` (the default: ``sum(w*l)/size(l)``),
            `"mean"` (the same), `"sum"`, `"mean_with_sample_weight"`
            (``sum(w*l)/sum(w)``), or `"none"`/`None` (the weighted per-sample
            losses, unreduced).
        dtype: the computation dtype. Defaults to `config.floatx()`.

    Call arguments:
        y_true: the targets.
        y_pred: the predictions.
        sample_weight: optional weights, one per sample (or per loss value).

    Returns:
        A Python float (an array for `reduction="none"`).

    Example:
    >>> import numpy as np
    >>> class Squares(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return np.mean((y_pred - y_true) ** 2, axis=-1)
    ...     def backward(self, y_true, y_pred, grad):
    ...         return grad[..., None] * 2 * (y_pred - y_true) / y_pred.shape[-1]
    >>> loss = Squares()
    >>> loss([[0.0, 1.0]], [[1.0, 1.0]])
    0.5
    >>> loss.gradient([[0.0, 1.0]], [[1.0, 1.0]])
    array([[1., 0.]], dtype=float32)
    """

    def __init__(
        self,
        name: str | None = None,
        reduction: str | None = "sum_over_batch_size",
        dtype: Any = None,
    ):
        owner = type(self).__name__
        self.name = check_name(owner, name)
        self.reduction = check_choice(owner, "reduction", reduction, REDUCTIONS)
        self._dtype_arg = dtype
        self.dtype = check_dtype(owner, dtype)

    # ------------------------------------------------------------ the contract
    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        """The per-sample losses (implemented by subclasses)."""
        raise NotImplementedError(f"{type(self).__name__} must implement `call(y_true, y_pred)`.")

    def backward(self, y_true: np.ndarray, y_pred: np.ndarray, grad: np.ndarray) -> np.ndarray:
        """d(sum(grad * call(y_true, y_pred)))/dy_pred (implemented by subclasses)."""
        raise KerasnpError(
            f"{type(self).__name__} has no gradient: kerasnp computes gradients analytically, so "
            "a custom loss must implement `backward(y_true, y_pred, grad)` returning "
            "d(sum(grad * call(y_true, y_pred)))/dy_pred."
        )

    # ------------------------------------------------------------ the plumbing
    def _prepare(self, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
        return np.asarray(y_true, dtype=self.dtype), np.asarray(y_pred, dtype=self.dtype)

    def _mask(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray | None:
        """A boolean mask over the per-sample losses (entries that count), or None."""
        return None

    def _loss_shape(self, y_true: np.ndarray, y_pred: np.ndarray) -> tuple[int, ...]:
        return np.shape(self.call(y_true, y_pred))

    def _weights(
        self, shape: tuple[int, ...], sample_weight: Any, mask: np.ndarray | None
    ) -> np.ndarray | None:
        """Sample weights and mask merged into one array broadcastable to `shape`."""
        weights = None
        if mask is not None:
            weights = mask.astype(self.dtype)
            if self.reduction in ("sum_over_batch_size", "mean"):
                # Masked entries leave the divisor: sum(w*l)/valid instead of /total.
                valid = float(np.count_nonzero(mask))
                weights *= (mask.size / valid) if valid else 0.0
        if sample_weight is not None:
            w = align_sample_weight(sample_weight, shape, self.dtype, self.name)
            weights = w if weights is None else weights * w
        return weights

    def _divisor(self, size: int, weights: np.ndarray | None, shape: tuple[int, ...]) -> float:
        """The reduced loss is sum(w * l) / divisor (0 divides to 0, as `divide_no_nan`)."""
        if self.reduction in ("sum", "none", None):
            return 1.0
        if self.reduction == "mean_with_sample_weight" and weights is not None:
            full = np.broadcast_shapes(weights.shape, shape)
            return float(np.sum(np.broadcast_to(weights, full)))
        return float(size)

    def __call__(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> Any:
        y_true, y_pred = self._prepare(y_true, y_pred)
        losses = np.asarray(self.call(y_true, y_pred), dtype=self.dtype)
        weights = self._weights(losses.shape, sample_weight, self._mask(y_true, y_pred))
        values = losses if weights is None else losses * weights
        if self.reduction in ("none", None):
            return values
        if values.ndim == 0:  # as Keras: a scalar loss is weighted but not divided
            return float(values)
        total = np.sum(values, dtype=self.dtype)
        divisor = self._divisor(values.size, weights, losses.shape)
        return float(total / np.asarray(divisor, dtype=self.dtype)) if divisor else 0.0

    def gradient(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> np.ndarray:
        """d(reduced loss)/dy_pred, an array shaped like `y_pred`.

        With `reduction="none"` it is the gradient of the sum of the weighted
        per-sample losses.
        """
        return self._chain(self.backward, y_true, y_pred, sample_weight)

    def _chain(
        self, backward: Callable[..., Any], y_true: Any, y_pred: Any, sample_weight: Any = None
    ) -> np.ndarray:
        """``backward(y_true, y_pred, d(reduced loss)/d(per-sample losses))``, shaped
        like `y_pred`: the chain rule through the reduction."""
        shape = np.shape(y_pred)
        y_true, y_pred = self._prepare(y_true, y_pred)
        grad = backward(y_true, y_pred, self._upstream(y_true, y_pred, sample_weight))
        return np.asarray(grad, dtype=self.dtype).reshape(shape)

    def _upstream(self, y_true: np.ndarray, y_pred: np.ndarray, sample_weight: Any) -> np.ndarray:
        """d(reduced loss)/d(per-sample losses)."""
        shape = self._loss_shape(y_true, y_pred)
        weights = self._weights(shape, sample_weight, self._mask(y_true, y_pred))
        full = np.broadcast_shapes(shape, () if weights is None else weights.shape)
        divisor = self._divisor(int(np.prod(full)), weights, shape)
        scale = 1.0 / divisor if divisor else 0.0
        if weights is None:
            return np.full(shape, scale, dtype=self.dtype)
        grad = np.broadcast_to(weights * np.asarray(scale, dtype=self.dtype), full)
        return _sum_to_shape(grad, shape).astype(self.dtype, copy=False)

    # ---------------------------------------------------------- serialization
    def get_config(self) -> dict[str, Any]:
        config_ = {"name": self.name, "reduction": self.reduction}
        if self._dtype_arg is not None:
            config_["dtype"] = self.dtype
        return config_

    @classmethod
    def from_config(cls, config_: dict[str, Any]) -> Loss:
        return cls(**config_)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


class LossFunctionWrapper(Loss):
    """A `Loss` around a per-sample function ``fn(y_true, y_pred, **kwargs)``.

    Labels and predictions whose ranks differ by a trailing axis of size 1
    are reconciled first (``(n,)`` labels for ``(n, 1)`` outputs). The
    gradient is ``fn.backward(y_true, y_pred, grad, **kwargs)``, which every
    kerasnp loss function has; a user function without it gets a clear
    error from `gradient`.

    When `fn` is categorical or sparse categorical cross-entropy on
    probabilities (`from_logits=False`), the loss also offers
    `fused_softmax_gradient(y_true, probs, sample_weight=None)`: the gradient
    with respect to the logits of a softmax output, ``(p - y) * w / N``.
    Binary cross-entropy offers `fused_sigmoid_gradient` in the same way.
    Otherwise these attributes do not exist (``hasattr`` is False).

    Args:
        fn: the per-sample loss function.
        reduction: see `Loss`. Defaults to `"sum_over_batch_size"`.
        name: the loss name. Defaults to a unique snake-case name.
        dtype: the computation dtype. Defaults to `config.floatx()`.
        **kwargs: passed to `fn` (e.g. `from_logits=True`).

    Example:
    >>> from kerasnp.losses import mean_squared_error
    >>> loss = LossFunctionWrapper(mean_squared_error, name="mse")
    >>> loss([0.0, 2.0], [[1.0], [2.0]])
    0.5
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        reduction: str | None = "sum_over_batch_size",
        name: str | None = None,
        dtype: Any = None,
        **kwargs: Any,
    ):
        if not callable(fn):
            raise KerasnpError(
                f"Invalid value for argument `fn` of {type(self).__name__}: "
                f"expected a function. Received: fn={fn!r}"
            )
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.fn = fn
        self._fn_kwargs = kwargs

    def _prepare(self, y_true: Any, y_pred: Any) -> tuple[np.ndarray, np.ndarray]:
        y_true, y_pred = super()._prepare(y_true, y_pred)
        return squeeze_or_expand_to_same_rank(y_true, y_pred)

    def call(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _loss_shape(self, y_true: np.ndarray, y_pred: np.ndarray) -> tuple[int, ...]:
        if hasattr(self.fn, "backward"):  # every kerasnp function reduces exactly one axis
            return reduced_shape(y_pred.shape, self._fn_kwargs.get("axis", -1))
        return super()._loss_shape(y_true, y_pred)

    def _mask(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray | None:
        mask_fn = getattr(self.fn, "mask", None)
        return None if mask_fn is None else mask_fn(y_true, y_pred, **self._fn_kwargs)

    def backward(self, y_true: np.ndarray, y_pred: np.ndarray, grad: np.ndarray) -> np.ndarray:
        backward = getattr(self.fn, "backward", None)
        if backward is None:
            name = getattr(self.fn, "__name__", repr(self.fn))
            raise KerasnpError(
                f"The loss function `{name}` has no gradient: kerasnp computes gradients "
                "analytically. Use a built-in loss, or subclass kerasnp.losses.Loss and "
                "implement `call` and `backward(y_true, y_pred, grad)`."
            )
        return backward(y_true, y_pred, grad, **self._fn_kwargs)

    # ------------------------------------------------ fused output gradients
    def _fused(self, kind: str) -> Callable[..., np.ndarray]:
        fused = getattr(self.fn, kind, None)
        if fused is None or self._fn_kwargs.get("from_logits", False):
            raise AttributeError(f"{type(self).__name__} ({self.name}) has no {kind} gradient")
        return functools.partial(self._chain, functools.partial(fused, **self._fn_kwargs))

    def fused_softmax_step(self) -> Callable[..., float] | None:
        """The loss and its softmax-logit gradient in one pass, for `fit`.

        Returns ``f(y_true, probs, out) -> loss`` for labels already checked,
        2-D probabilities in this loss's dtype and no sample weights: the
        reduced loss as `__call__` computes it, with
        `fused_softmax_gradient(y_true, probs)` written into `out` (skipped
        when `out` is None). None when this loss has no such form (logits,
        label smoothing, an ignored class, another axis or reduction).
        """
        step = getattr(self.fn, "fused_softmax_step", None)
        kwargs = self._fn_kwargs
        if (
            step is None
            or kwargs.get("from_logits")
            or kwargs.get("label_smoothing")
            or kwargs.get("ignore_class") is not None
            or kwargs.get("axis", -1) != -1
            or self.reduction not in ("sum_over_batch_size", "mean")
        ):
            return None
        return step

    @property
    def fused_softmax_gradient(self) -> Callable[..., np.ndarray]:
        """``f(y_true, probs, sample_weight=None)``: the gradient wrt softmax logits."""
        return self._fused("fused_softmax")

    @property
    def fused_sigmoid_gradient(self) -> Callable[..., np.ndarray]:
        """``f(y_true, probs, sample_weight=None)``: the gradient wrt sigmoid logits."""
        return self._fused("fused_sigmoid")

    def get_config(self) -> dict[str, Any]:
        # A subclass (CategoricalCrossentropy, Huber, ...) takes the function's
        # keyword arguments as its own constructor arguments, so its config is
        # Loss's plus those; only the plain wrapper also names its function.
        config_ = super().get_config()
        if type(self) is LossFunctionWrapper:
            config_["fn"] = getattr(self.fn, "__name__", None)
        config_.update(self._fn_kwargs)
        return config_

    @classmethod
    def from_config(cls, config_: dict[str, Any]) -> Loss:
        config_ = dict(config_)
        if cls is LossFunctionWrapper and isinstance(config_.get("fn"), str):
            from . import get

            config_["fn"] = get(config_["fn"])
        return cls(**config_)

    def __repr__(self) -> str:
        name = getattr(self.fn, "__name__", repr(self.fn))
        return f"<{type(self).__name__} name={self.name!r} fn={name} kwargs={self._fn_kwargs}>"
