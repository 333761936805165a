"""A training step as a list of calls made ready once (`fit`'s loop).

`StepPlan.train` runs a step through the layers' methods, and each method
decides again, at every step, which buffers, which split products and which
compiled passes to use. Within one `fit` those decisions come out the same
at every step of one batch size: the batches arrive in the same buffers
(`data.Batches`), the layers write into the same buffers, the shapes and
dtypes do not change. A batch of 32 leaves little work per call, so making
the decisions costs about as much as the work: some 40 us of a `seed` step
of 180.

`StepProgram` makes them once, after a step has run the usual way with the
same batch buffers: each layer turns its training pass into calls on its
buffers (`Layer._forward_calls`, `Layer._backward_calls`), the optimizer its
update (`Optimizer._prepared_apply`), and a step is those calls in order.
They are the calls the layers' methods make, with the same arrays, so the
numbers are the same bit for bit (tests/models/test_program.py).

What the layers' methods decide from is watched instead: before each step
the program checks that the attributes each layer names in
`Layer._program_watch` (a Dense layer's activation and weights, a Dropout
layer's rate, ...), every weight's array, the model's optimizer and loss are
the objects they were when it was made. If one was replaced (a callback
changed a rate, replaced a weight's array instead of assigning into it,
recompiled), the step runs the usual way and a new program is made after
the next one (after three such changes in one `fit`, no more programs). What
changes from step to step without changing a decision is read at each call:
a Dropout layer's mask (a mask made ahead comes in another buffer) and
generator, the learning rate and the optimizer's state. A model with a
layer, loss or optimizer that has no calls made ready runs the usual step:
programs are an optimisation only.

The loss's ready call comes from the `prepared` attribute of its fused step
function (`losses.categorical`), beside the step's other attributes there;
without one the step function is called as it is. An L2 penalty's gradient
plus the loss's is one compiled pass (`models/program_fused.py`).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from operator import is_ as _is
from typing import Any

import numpy as np

from .. import _compiled
from ..regularizers import L2

#: step programs in use; `KERASNP_PROGRAMS=0` in the environment turns them
#: off (tests compare fits with and without them)
ENABLED = os.environ.get("KERASNP_PROGRAMS", "").strip() != "0"


class StepProgram:
    """The training step of `plan` on the batch buffers `x` and `y`."""

    __slots__ = ("x", "y", "forward", "loss", "penalty", "backward", "update", "output",
                 "owners", "names", "values")

    def __init__(self, x: np.ndarray, y: np.ndarray, forward: list[Callable[[], Any]],
                 loss: Callable[[], float], penalty: Callable[[], float],
                 backward: list[Callable[[], Any]], update: Callable[[], None],
                 output: np.ndarray, watched: list[tuple[Any, str]]):
        self.x, self.y = x, y
        self.forward, self.loss, self.penalty = forward, loss, penalty
        self.backward, self.update, self.output = backward, update, output
        # the attributes the calls were decided from: (owner, name), their values
        self.owners = [owner for owner, _ in watched]
        self.names = [name for _, name in watched]
        self.values = list(map(getattr, self.owners, self.names))

    def run(self) -> tuple[float, np.ndarray] | None:
        """One step: `(loss, y_pred)` as `StepPlan.train` returns them; None,
        having done nothing, if a watched attribute was replaced since."""
        if not all(map(_is, map(getattr, self.owners, self.names), self.values)):
            return None
        for call in self.forward:
            call()
        loss = self.loss() + self.penalty()
        for call in self.backward:
            call()
        self.update()
        return loss, self.output

    @classmethod
    def build(cls, plan: Any, x: np.ndarray, y: np.ndarray) -> StepProgram | None:
        """The program of `plan`'s training step on `x` and `y` (the batch
        buffers of the step just run), or None where a layer, the loss or the
        optimizer has no calls made ready."""
        from .sequential import Sequential  # (which imports this module's importers)

        model = plan.model
        if (not isinstance(model, Sequential) or plan.fused_step is None
                or type(model)._forward_reusing is not Sequential._forward_reusing
                or type(model)._backward_to is not Sequential._backward_to):
            return None
        layers = model._layers
        forward: list[Callable[[], Any]] = []
        inputs, outputs = [], []
        h = x
        for layer in layers:
            made = layer._forward_calls(h)
            if made is None:
                return None
            forward += made[0]
            inputs.append(h)
            h = made[1]
            outputs.append(h)
        if plan.ahead is not None:  # the next step's masks, as `StepPlan.train` posts them
            forward.append(functools.partial(plan.ahead.post, len(x)))
        if not plan._fast_loss(h, None):
            return None
        grad = plan._output_grad_buffer(h.shape, h.dtype)
        prepared = getattr(plan.fused_step, "prepared", None)
        loss = (functools.partial(plan.fused_step, y, h, grad) if prepared is None
                else prepared(y, h, grad))
        backward = _backward(plan, layers, inputs, outputs, grad)
        if backward is None:
            return None
        watched: list[tuple[Any, str]] = [(model, "optimizer"), (model, "loss")]
        gradients = _gradients(plan, backward, watched)
        if gradients is None:
            return None
        update = model.optimizer._prepared_apply(gradients, plan.variables)
        if update is None:
            return None
        for layer in layers:
            watched += [(layer, name) for name in layer._program_watch]
            watched += [(var, "value") for var in layer.weights]
        return cls(x, y, forward, loss, plan.penalty, backward, update, h, watched)


def _backward(plan: Any, layers: list[Any], inputs: list[np.ndarray],
              outputs: list[np.ndarray], grad: np.ndarray) -> list[Callable[[], Any]] | None:
    """`Sequential._backward_to(grad, ...)`'s passes as calls."""
    from .sequential import hands_down

    calls: list[Callable[[], Any]] = []
    last = len(layers) - 1
    above = None  # a Dropout layer whose backward pass the layer below does
    for i in range(last, plan.start - 1, -1):
        layer = layers[i]
        if above is None and hands_down(layers, i, plan.start, grad):
            above = layer
            continue
        through = plan.fused_gradient is None or i < last
        made = layer._backward_calls(grad, inputs[i], outputs[i], i > plan.start, through,
                                     above)
        if made is None:
            return None
        above = None
        calls += made[0]
        grad = made[1]
    return calls


def _gradients(plan: Any, calls: list[Callable[[], Any]],
               watched: list[tuple[Any, str]]) -> list[np.ndarray] | None:
    """`StepPlan.gradients()`: the gradient buffers, and the penalties'
    gradients added in their buffers by calls appended to `calls` (an L2
    penalty's in one compiled pass, its factor then added to `watched`)."""
    grads = [layer.grads[name] for layer, name in plan.sources]
    fused = None
    for i, var, reg, buf in plan.penalized:
        into = getattr(reg, "_gradient_into", None)
        # (writing `buf` now is harmless: every step writes it before reading it)
        if into is None or grads[i].dtype != buf.dtype or into(var.value, buf) is None:
            return None
        # 2 * l2 * w, then + grad; a factor of Python's float or int (a NumPy
        # scalar would make NumPy multiply in its own dtype)
        if type(reg)._gradient_into is L2._gradient_into and type(reg.l2) in (float, int):
            fused = fused or _compiled.load("models.program_fused")
            call = None if fused is None else fused.scaled_add_call(var.value, 2.0 * reg.l2,
                                                                     grads[i], buf)
            if call is not None:
                calls.append(call)
                watched.append((reg, "l2"))
                grads[i] = buf
                continue
        calls.append(functools.partial(into, var.value, buf))
        calls.append(functools.partial(np.add, buf, grads[i], out=buf))  # buf += grad
        grads[i] = buf
    return grads
