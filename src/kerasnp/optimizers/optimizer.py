"""`Optimizer`: the base class that turns gradients into in-place weight updates.

One `apply(grads, variables)` does, in Keras 3's order:

1. divide the gradients by `loss_scale_factor`;
2. with `gradient_accumulation_steps=k`, add them to running sums and stop,
   except on every k-th call, which continues with the mean of the k;
3. clip them (`clipnorm` per variable, `global_clipnorm` over all, or
   `clipvalue` per element);
4. decay the weights: `w -= learning_rate * weight_decay * w` (decoupled
   weight decay, Loshchilov & Hutter 2019);
5. call the subclass's `update_step(gradient, variable, learning_rate)`;
6. update the moving average of the weights (`use_ema=True`);
7. add 1 to `iterations`.

Everything happens in place on `Variable.value`, with the slots and
scratch buffers allocated once in `build`, so a training step allocates
no arrays of the size of the weights.
"""

from __future__ import annotations

import functools
import inspect
import re
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from .._errors import (
    KerasnpError,
    check_bool,
    check_float,
    check_int,
    invalid,
    reject_keywords,
)
from .._naming import to_snake_case, unique_name
from ..variables import Variable
from . import fused
from .ema import OptimizerEMA
from .gradients import OptimizerGradients
from .learning_rate import OptimizerLearningRate, check_learning_rate, learning_rate_from_config
from .state import OptimizerState
from .weight_decay import OptimizerWeightDecay

_NAME_COUNTS: dict[str, int] = {}  # the optimizers' default names: adam, adam_1, ...


class _VariableList(list):
    """A list of variables that can also be called, so both `opt.variables`
    (Keras) and `opt.variables()` (kerasnp's first interface) give it."""

    def __call__(self) -> _VariableList:
        return self


def _defaults(cls: type) -> dict[str, Any]:
    """The keyword arguments of `cls` and of `Optimizer`, with their defaults."""
    out: dict[str, Any] = {}
    for klass in (cls, Optimizer):
        for key, param in inspect.signature(klass.__init__).parameters.items():
            if key not in ("self", "kwargs") and key not in out:
                out[key] = param.default
    return out


class Optimizer(
    OptimizerLearningRate,
    OptimizerGradients,
    OptimizerWeightDecay,
    OptimizerEMA,
    OptimizerState,
):
    """Base class of optimizers (the Keras 3 interface, on NumPy).

    A subclass creates its slots in `build` with `add_variable_from_reference`
    and updates one variable in place in `update_step`; the base class
    handles learning-rate schedules, clipping, weight decay, loss scaling,
    gradient accumulation, the moving average of the weights, the
    `iterations` counter and the state for saving (see `learning_rate.py`,
    `gradients.py`, `weight_decay.py`, `ema.py` and `state.py`).

    Args:
        learning_rate: a float >= 0, a `LearningRateSchedule` (evaluated at
            `iterations` before every update), or a callable with no
            arguments that returns the rate.
        weight_decay: if set, every update first does
            `w -= learning_rate * weight_decay * w`. Defaults to `None`.
        clipnorm: if set, each gradient is rescaled so that its L2 norm is
            at most this value. Defaults to `None`.
        clipvalue: if set, each gradient element is clipped to
            `[-clipvalue, clipvalue]`. Defaults to `None`.
        global_clipnorm: if set, all gradients are rescaled together so that
            the norm of their concatenation is at most this value. At most
            one of the three clipping arguments may be given. Defaults to `None`.
        use_ema: whether to keep an exponential moving average of the
            weights. Defaults to `False`.
        ema_momentum: the moving average's momentum, in [0, 1]:
            `average = m * average + (1 - m) * w` (the first update copies
            `w`). Defaults to `0.99`.
        ema_overwrite_frequency: if set, the weights are replaced by their
            average every that many iterations; otherwise call
            `finalize_variable_values` at the end. Defaults to `None`.
        loss_scale_factor: if set, the gradients are divided by it (the
            loss was multiplied by it, see `scale_loss`). Defaults to `None`.
        gradient_accumulation_steps: if set (an int >= 2), the weights change
            only every that many calls, with the mean gradient of those
            calls. `iterations` then counts updates, not calls. Defaults to `None`.
        name: the name of the optimizer and the prefix of its variables.
            Defaults to the snake-case class name, made unique (`"adam"`,
            `"adam_1"`, ...).

    Raises:
        KerasnpError: an argument is invalid, or more than one clipping
            argument is given.

    Example:
    >>> import numpy as np
    >>> from kerasnp.variables import Variable
    >>> class SignSGD(Optimizer):
    ...     def update_step(self, gradient, variable, learning_rate):
    ...         variable.value -= learning_rate * np.sign(gradient)
    >>> w = Variable(np.array([1.0, 1.0]), "w")
    >>> opt = SignSGD(learning_rate=0.5, clipvalue=0.1)
    >>> opt.apply([np.array([3.0, -0.2])], [w])
    >>> w.value, opt.iterations
    (array([0.5, 1.5]), 1)
    """

    #: the name Keras gives to the first instance (its snake case of the class name).
    _default_name: str | None = None

    def __init__(
        self,
        learning_rate: Any,
        weight_decay: float | None = None,
        clipnorm: float | None = None,
        clipvalue: float | None = None,
        global_clipnorm: float | None = None,
        use_ema: bool = False,
        ema_momentum: float = 0.99,
        ema_overwrite_frequency: int | None = None,
        loss_scale_factor: float | None = None,
        gradient_accumulation_steps: int | None = None,
        name: str | None = None,
        **kwargs: Any,
    ):
        owner = type(self).__name__
        if "decay" in kwargs:
            kwargs.pop("decay")
            warnings.warn(
                "Argument `decay` is no longer supported (as in Keras 3) and is "
                "ignored; use a learning-rate schedule instead.",
                stacklevel=3,
            )
        reject_keywords(owner, kwargs, type(self))
        learning_rate = check_learning_rate(owner, learning_rate)
        self.weight_decay = check_float(
            owner, "weight_decay", weight_decay, low=0.0, allow_none=True
        )
        self.clipnorm = check_float(
            owner, "clipnorm", clipnorm, low=0.0, low_open=True, allow_none=True
        )
        self.clipvalue = check_float(
            owner, "clipvalue", clipvalue, low=0.0, low_open=True, allow_none=True
        )
        self.global_clipnorm = check_float(
            owner, "global_clipnorm", global_clipnorm, low=0.0, low_open=True, allow_none=True
        )
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise KerasnpError(
                f"Invalid arguments of {owner}: expected at most one of `clipnorm`, "
                f"`clipvalue` and `global_clipnorm`. Received: clipnorm={clipnorm!r}, "
                f"clipvalue={clipvalue!r}, global_clipnorm={global_clipnorm!r}"
            )
        self.use_ema = check_bool(owner, "use_ema", use_ema)
        self.ema_momentum = check_float(owner, "ema_momentum", ema_momentum, low=0.0, high=1.0)
        self.ema_overwrite_frequency = check_int(
            owner, "ema_overwrite_frequency", ema_overwrite_frequency, minimum=1, allow_none=True
        )
        self.loss_scale_factor = check_float(
            owner, "loss_scale_factor", loss_scale_factor, low=0.0, low_open=True, allow_none=True
        )
        self.gradient_accumulation_steps = check_int(
            owner,
            "gradient_accumulation_steps",
            gradient_accumulation_steps,
            minimum=2,
            allow_none=True,
        )
        if name is None:
            name = unique_name(self._default_name or to_snake_case(owner), _NAME_COUNTS)
        elif not isinstance(name, str):
            raise invalid(owner, "name", "a string or None", name)
        self.name = name

        self.built = False
        self._trainable_variables: list[Variable] = []
        self._index: dict[int, int] = {}
        #: `fused.run`'s checked 1-D views of the arrays of recent updates
        self._fused_views: dict[int, tuple] = {}
        #: `fused.run_together`'s memory of the last update's arrays
        self._together = fused.Together()
        self._state: list[Variable] = []
        self._iteration = self._new_state(np.zeros((), np.int64), "iteration")
        self._lr_variable: Variable | None = None
        self._lr_function: Any = None
        self._set_learning_rate(learning_rate)
        self._excluded: list[Variable] = []
        self._exclude_pattern: re.Pattern | None = None

    def __getstate__(self) -> dict[str, Any]:
        """The optimizer without what it remembers of the last update's
        arrays (made again for a copy's; it holds compiled entry points)."""
        state = self.__dict__.copy()
        state["_fused_views"] = {}
        state["_together"] = fused.Together()
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        """A copy (`copy.deepcopy`, as of a whole model) or an unpickled
        optimizer: the tables keyed by the identity of the variables are made
        again for the copied variables."""
        self.__dict__.update(state)
        # pickled by an older kerasnp: what it did not have yet
        if "_excluded" not in state:  # (ids of the variables then: not the copies')
            self.__dict__.pop("_exclude_ids", None)
            self._excluded = []
        if "_together" not in state:
            self._together = fused.Together()
        self._index = {id(var): i for i, var in enumerate(self._trainable_variables)}
        self._fused_views = {}

    # ----------------------------------------------------------------- state
    def _new_state(self, value: np.ndarray, name: str) -> Variable:
        var = Variable(value, name, trainable=False, path=f"{self.name}/{name}")
        self._state.append(var)
        return var

    @property
    def variables(self) -> _VariableList:
        """The optimizer's state, in Keras's order: `iteration`, `learning_rate`
        (unless it is a schedule), then the slots. Slots are live: assigning to
        one changes the optimizer. Also callable: `opt.variables()`."""
        return _VariableList(self._state)

    @property
    def iterations(self) -> int:
        """The number of updates done (calls of `apply`, or with gradient
        accumulation, completed accumulation cycles)."""
        count = int(self._iteration.value)
        steps = self.gradient_accumulation_steps
        return count // steps if steps else count

    @iterations.setter
    def iterations(self, value: int) -> None:
        value = check_int(type(self).__name__, "iterations", value, minimum=0)
        self._iteration.value[()] = value * (self.gradient_accumulation_steps or 1)

    # ----------------------------------------------------------------- build
    def build(self, variables: Sequence[Variable]) -> None:
        """Create the state for `variables`: the subclass's slots and the
        base's buffers. Called by the first `apply`; later calls do nothing.

        Subclasses call `super().build(variables)` first, then create their
        slots with `add_variable_from_reference`.
        """
        if self.built:
            return
        variables = list(variables)
        for i, var in enumerate(variables):
            if not isinstance(var, Variable):
                raise invalid(
                    type(self).__name__, "variables", "a list of Variable", type(var).__name__
                )
            self._index[id(var)] = i
        self._trainable_variables = variables
        self._tmp = [np.empty_like(v.value) for v in variables]
        self._gbuf = (
            [np.empty_like(v.value) for v in variables] if self._needs_gradient_buffers() else None
        )
        self._averages = self.add_optimizer_variables(variables, "average") if self.use_ema else []
        self._grad_accumulators = (
            self.add_optimizer_variables(variables, "gradient_accumulator")
            if self.gradient_accumulation_steps
            else []
        )
        self._decays = [self._use_weight_decay(v) for v in variables]
        # The float type of per-step scalars such as bias corrections: Keras
        # computes them in the weights' dtype, and in float32 that rounding
        # shows in the 6th digit of an Adam step.
        kinds = [v.value.dtype for v in variables if v.value.dtype.kind == "f"]
        self._real = kinds[0].type if kinds else np.float64
        self.built = True

    def add_variable_from_reference(
        self, reference_variable: Variable, name: str, initializer: float = 0.0
    ) -> Variable:
        """A slot shaped like `reference_variable`, filled with `initializer`.

        It is named `"<variable path with _>_<name>"` (`"dense_kernel_momentum"`),
        as in Keras, and becomes part of `variables`.
        """
        ref = reference_variable.value
        value = np.full(ref.shape, initializer, dtype=ref.dtype)
        return self._new_state(value, f"{reference_variable.path.replace('/', '_')}_{name}")

    def add_optimizer_variables(
        self, variables: Sequence[Variable], name: str | Sequence[str], initializer: float = 0.0
    ) -> Any:
        """Slots for every variable: one list for a name, a tuple of lists for
        several names (created interleaved per variable, as Keras does)."""
        names = [name] if isinstance(name, str) else list(name)
        lists: tuple[list[Variable], ...] = tuple([] for _ in names)
        for var in variables:
            for slot_list, slot_name in zip(lists, names, strict=True):
                slot_list.append(self.add_variable_from_reference(var, slot_name, initializer))
        return lists[0] if isinstance(name, str) else lists

    def _get_variable_index(self, variable: Variable) -> int:
        return self._index[id(variable)]

    # ----------------------------------------------------------------- apply
    def apply_gradients(self, grads_and_vars: Iterable[tuple[Any, Variable]]) -> int:
        """`apply` for a list of `(gradient, variable)` pairs; returns `iterations`."""
        pairs = list(grads_and_vars)
        if pairs:
            grads, variables = zip(*pairs, strict=True)
            self.apply(list(grads), list(variables))
        return self.iterations

    def apply(self, grads: Sequence[Any], variables: Sequence[Variable] | None = None) -> None:
        """Update `variables` in place from their gradients (see the module doc).

        Args:
            grads: one array per variable (None skips the variable, with a
                warning), in the order of `variables`.
            variables: the `Variable`s; builds the optimizer on the first
                call. May be omitted once built (the build order is used).

        Raises:
            KerasnpError: the lengths or shapes do not match, or a variable is
                not one the optimizer was built for.
        """
        grads = list(grads)
        if not grads:
            return
        if variables is None:
            if not self.built:
                raise KerasnpError(
                    f"{type(self).__name__}.apply(grads) without `variables` needs a built "
                    "optimizer; pass the variables, or call `build(variables)` first."
                )
            variables = self._trainable_variables
        else:
            variables = list(variables)
            if not self.built:
                self.build(variables)
        if len(grads) != len(variables):
            raise KerasnpError(
                f"{type(self).__name__}.apply expected one gradient per variable. "
                f"Received: {len(grads)} gradients for {len(variables)} variables"
            )
        self._apply_work(self._pair(grads, variables))

    def _apply_work(self, work: list[tuple]) -> None:
        """The rest of `apply`, for its `(gradient, variable, index)` triples."""
        lr = self.learning_rate
        steps = self.gradient_accumulation_steps
        if steps and (int(self._iteration.value) + 1) % steps:
            self._accumulate(work)
        else:
            work = self._preprocess(work)
            self._apply_weight_decay(work, lr)
            self._before_updates(lr)
            if not self._update_together(work, lr):
                for grad, var, _ in work:
                    self.update_step(grad, var, lr)
        if self.use_ema:
            self._update_average()
        self._iteration.value += 1

    def _prepared_apply(self, grads: list[np.ndarray],
                        variables: list[Variable]) -> Callable[[], None] | None:
        """`apply(grads, variables)` as a call made ready once, for a training
        loop that passes the same arrays at every step (`models.program`); None
        where `apply` must run (not built yet, a subclass's own `apply`)."""
        if not self.built or type(self).apply is not Optimizer.apply:
            return None
        try:
            work = self._pair(list(grads), list(variables))
        except KerasnpError:
            return None
        return functools.partial(self._apply_work, work)

    def _before_updates(self, learning_rate: float) -> None:
        """A hook run once per update, before the `update_step` calls."""

    def _update_together(self, work: list[tuple], learning_rate: float) -> bool:
        """All of `work`'s `update_step`s at once, where a subclass can (one
        compiled call: `fused.run_together`); False, having changed nothing,
        where the `update_step`s must run."""
        return False

    def update_step(self, gradient: np.ndarray, variable: Variable, learning_rate: float) -> None:
        """Update `variable.value` (and the slots) in place from `gradient`."""
        raise NotImplementedError(f"{type(self).__name__} must define `update_step`.")

    # -------------------------------------------------------------- config
    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (Keras's keys; a schedule is serialized)."""
        return {
            "name": self.name,
            "learning_rate": self._learning_rate_config(),
            "weight_decay": self.weight_decay,
            "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm,
            "clipvalue": self.clipvalue,
            "use_ema": self.use_ema,
            "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> Optimizer:
        """Rebuild an optimizer (without its state) from `get_config()`."""
        config = dict(config)
        if "learning_rate" in config:
            config["learning_rate"] = learning_rate_from_config(config["learning_rate"])
        return cls(**config)

    def __repr__(self) -> str:
        defaults = _defaults(type(self))
        shown = [f"name={self.name!r}"]
        for key, value in self.get_config().items():
            if key != "name" and (key not in defaults or defaults[key] != value):
                shown.append(f"{key}={value!r}")
        return f"{type(self).__name__}({', '.join(shown)})"
