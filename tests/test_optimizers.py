"""Optimizers: update rules by hand, in-place updates, state, config, errors."""

import inspect
import math
import tracemalloc
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerasnp import optimizers
from kerasnp._errors import KerasnpError
from kerasnp.optimizers import (
    SGD,
    Adadelta,
    Adagrad,
    Adam,
    Adamax,
    AdamW,
    Nadam,
    Optimizer,
    RMSprop,
    schedules,
)
from kerasnp.variables import Variable

ALL = [SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta, Nadam, Adamax]


def var(values, name="w", dtype="float64"):
    return Variable(np.array(values, dtype=dtype), name, path=f"dense/{name}")


def run(opt, w, grads):
    """Apply each gradient in turn to the one variable `w`; return its value."""
    for g in grads:
        opt.apply([np.array(g, dtype=w.dtype)], [w])
    return w.value


# ------------------------------------------------------------- update rules by hand
def test_sgd_plain():
    w = var([1.0, -2.0])
    assert run(SGD(learning_rate=0.1), w, [[0.5, 1.0]]) == pytest.approx([0.95, -2.1])


def test_sgd_momentum_two_steps():
    # v1 = -0.1 g, v2 = 0.9 v1 - 0.1 g = -0.19 g; w2 = w0 - 0.29 g
    w = var([1.0, 2.0])
    assert run(SGD(0.1, momentum=0.9), w, [[1.0, -1.0]] * 2) == pytest.approx([0.71, 2.29])


def test_sgd_nesterov_two_steps():
    # step 1: w += 0.9 v1 - 0.1 g = -0.19 g; step 2: v2 = -0.19 g, w += -0.171 g - 0.1 g
    w = var([1.0])
    assert run(SGD(0.1, momentum=0.9, nesterov=True), w, [[1.0], [1.0]]) == pytest.approx(
        [1.0 - 0.19 - 0.271]
    )


def test_adam_one_step():
    # m = 0.2, v = 0.004, alpha = 0.1 * sqrt(0.001) / 0.1
    w = var([1.0])
    alpha = 0.1 * math.sqrt(1 - 0.999) / (1 - 0.9)
    expected = 1.0 - alpha * 0.2 / (math.sqrt(0.004) + 1e-7)
    assert run(Adam(0.1), w, [[2.0]]) == pytest.approx([expected], rel=1e-12)


def test_adam_two_steps_and_amsgrad():
    # beta 0.5/0.5: m1 = 1, v1 = 2; with g2 = 0: m2 = 0.5, v2 = 1 (< v1), t = 2
    alpha = 0.1 * math.sqrt(1 - 0.25) / (1 - 0.25)
    step1 = 0.1 * math.sqrt(0.5) / 0.5 * 1.0 / (math.sqrt(2.0) + 1e-7)
    plain = run(Adam(0.1, beta_1=0.5, beta_2=0.5), var([0.0]), [[2.0], [0.0]])
    ams = run(Adam(0.1, beta_1=0.5, beta_2=0.5, amsgrad=True), var([0.0]), [[2.0], [0.0]])
    assert plain == pytest.approx([-step1 - alpha * 0.5 / (1.0 + 1e-7)], rel=1e-12)
    assert ams == pytest.approx([-step1 - alpha * 0.5 / (math.sqrt(2.0) + 1e-7)], rel=1e-12)


def test_adamw_decays_before_the_adam_step():
    w = var([2.0])
    adam_step = 0.1 * math.sqrt(0.001) / 0.1 * 0.1 / (math.sqrt(0.001) + 1e-7)
    out = run(AdamW(0.1, weight_decay=0.5), w, [[1.0]])
    assert out == pytest.approx([2.0 * (1 - 0.05) - adam_step], rel=1e-12)
    assert AdamW().weight_decay == 0.004


def test_rmsprop_one_step_plain_and_centered():
    # v = 0.25 * 4 = 1; centered: a = 0.5, denominator 1 - 0.25
    plain = run(RMSprop(0.1, rho=0.75), var([1.0]), [[2.0]])
    centered = run(RMSprop(0.1, rho=0.75, centered=True), var([1.0]), [[2.0]])
    assert plain == pytest.approx([1.0 - 0.2 / math.sqrt(1.0 + 1e-7)], rel=1e-12)
    assert centered == pytest.approx([1.0 - 0.2 / math.sqrt(0.75 + 1e-7)], rel=1e-12)


def test_rmsprop_momentum_two_steps():
    # v1 = 1 (g=2), v2 = 0.75 + 0.25 * 4 = 1.75; steps s1, s2; mom2 = 0.5 s1 + s2
    s1 = 0.1 * 2 / math.sqrt(1.0 + 1e-7)
    s2 = 0.1 * 2 / math.sqrt(1.75 + 1e-7)
    out = run(RMSprop(0.1, rho=0.75, momentum=0.5), var([0.0]), [[2.0], [2.0]])
    assert out == pytest.approx([-s1 - (0.5 * s1 + s2)], rel=1e-12)


def test_adagrad_two_steps():
    # the accumulator starts at 0.1: 9.1, then 10.1
    expected = 1.0 - 0.5 * 3 / math.sqrt(9.1 + 1e-7) - 0.5 * 1 / math.sqrt(10.1 + 1e-7)
    assert run(Adagrad(0.5), var([1.0]), [[3.0], [1.0]]) == pytest.approx([expected])


def test_adadelta_two_steps():
    rho, eps, lr = 0.9, 1e-3, 1.0
    w, big_g, big_d = 1.0, 0.0, 0.0
    for g in (2.0, -1.0):
        big_g = rho * big_g + (1 - rho) * g * g
        delta = -math.sqrt(big_d + eps) / math.sqrt(big_g + eps) * g
        big_d = rho * big_d + (1 - rho) * delta * delta
        w += lr * delta
    out = run(Adadelta(lr, rho=rho, epsilon=eps), var([1.0]), [[2.0], [-1.0]])
    assert out == pytest.approx([w], rel=1e-12)


def test_nadam_one_step():
    mu1 = 0.9 * (1 - 0.5 * 0.96)
    mu2 = 0.9 * (1 - 0.5 * 0.96**2)
    m, v, g = 0.1 * 2.0, 0.001 * 4.0, 2.0
    m_hat = mu2 * m / (1 - mu1 * mu2) + (1 - mu1) * g / (1 - mu1)
    v_hat = v / (1 - 0.999)
    expected = 1.0 - 0.1 * m_hat / (math.sqrt(v_hat) + 1e-7)
    assert run(Nadam(0.1), var([1.0]), [[2.0]]) == pytest.approx([expected], rel=1e-9)


def test_nadam_keeps_the_momentum_product():
    opt = Nadam(0.1)
    run(opt, var([1.0]), [[1.0], [1.0]])
    mu = [0.9 * (1 - 0.5 * 0.96**t) for t in (1, 2)]
    assert opt.get_state()["u_product"] == pytest.approx(mu[0] * mu[1])


def test_adamax_two_steps():
    # m1 = -0.4, u1 = 4; m2 = 0.9 * -0.4 + 0.1 * 1 = -0.26, u2 = max(0.5 * 4, 1) = 2
    out = run(Adamax(0.1, beta_2=0.5, epsilon=0.0), var([1.0]), [[-4.0], [1.0]])
    expected = 1.0 + 0.1 * 0.4 / (0.1 * 4) + 0.1 * 0.26 / ((1 - 0.81) * 2)
    assert out == pytest.approx([expected], rel=1e-12)


# -------------------------------------------------- clipping, decay, scaling, schedules
def test_clipnorm_per_variable():
    w1, w2 = var([0.0, 0.0], "a"), var([0.0], "b")
    SGD(1.0, clipnorm=1.0).apply([np.array([3.0, 4.0]), np.array([0.5])], [w1, w2])
    assert w1.value == pytest.approx([-0.6, -0.8])
    assert w2.value == pytest.approx([-0.5])  # under the norm: unchanged


def test_global_clipnorm():
    w1, w2 = var([0.0], "a"), var([0.0], "b")
    SGD(1.0, global_clipnorm=1.0).apply([np.array([3.0]), np.array([4.0])], [w1, w2])
    assert (w1.value[0], w2.value[0]) == pytest.approx((-0.6, -0.8))


def test_global_clipnorm_with_a_non_finite_norm_gives_nan_as_keras():
    w1, w2 = var([0.0], "a"), var([0.0], "b")
    SGD(1.0, global_clipnorm=1.0).apply([np.array([np.inf]), np.array([1.0])], [w1, w2])
    assert np.isnan(w1.value).all() and np.isnan(w2.value).all()


def test_clipvalue():
    w = var([0.0, 0.0, 0.0])
    SGD(1.0, clipvalue=0.5).apply([np.array([2.0, -0.1, -7.0])], [w])
    assert w.value == pytest.approx([-0.5, 0.1, 0.5])


def test_clipping_does_not_touch_the_callers_gradient():
    g = np.array([3.0, 4.0])
    SGD(1.0, clipnorm=1.0).apply([g], [var([0.0, 0.0])])
    assert g.tolist() == [3.0, 4.0]


def test_weight_decay_for_any_optimizer_and_exclusions():
    kernel, bias = var([2.0], "kernel"), var([2.0], "bias")
    opt = SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply([np.array([1.0]), np.array([1.0])], [kernel, bias])
    assert kernel.value == pytest.approx([2.0 * 0.95 - 0.1])
    assert bias.value == pytest.approx([2.0 - 0.1])
    with pytest.raises(KerasnpError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])
    listed = var([2.0], "kernel")
    opt = SGD(0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_list=[listed])
    opt.apply([np.array([1.0])], [listed])
    assert listed.value == pytest.approx([1.9])


def test_loss_scale_factor_divides_the_gradients():
    opt = SGD(1.0, loss_scale_factor=4.0)
    assert run(opt, var([0.0]), [[4.0]]) == pytest.approx([-1.0])
    assert opt.scale_loss(2.5) == 10.0 and SGD().scale_loss(2.5) == 2.5


def test_gradient_accumulation():
    opt = SGD(1.0, gradient_accumulation_steps=2)
    w = var([0.0])
    run(opt, w, [[1.0]])
    assert w.value[0] == 0.0 and opt.iterations == 0
    run(opt, w, [[3.0]])
    assert w.value[0] == pytest.approx(-2.0) and opt.iterations == 1
    run(opt, w, [[10.0], [0.0]])
    assert w.value[0] == pytest.approx(-7.0) and opt.iterations == 2


def test_schedule_is_evaluated_at_iterations():
    opt = SGD(schedules.ExponentialDecay(1.0, decay_steps=1, decay_rate=0.5))
    w = var([0.0])
    rates = []
    for _ in range(3):
        rates.append(opt.learning_rate)
        run(opt, w, [[-1.0]])
    assert rates == [1.0, 0.5, 0.25]
    assert w.value == pytest.approx([1.75])


def test_callable_learning_rate():
    opt = SGD(lambda: 0.25)
    assert opt.learning_rate == 0.25
    assert run(opt, var([0.0]), [[-1.0]]) == pytest.approx([0.25])


def test_ema_average_and_overwrite():
    opt = SGD(1.0, use_ema=True, ema_momentum=0.5)
    w = var([0.0])
    run(opt, w, [[-1.0], [-1.0]])
    assert w.value[0] == 2.0  # the average (1, then 1.5) is kept aside
    opt.finalize_variable_values([w])
    assert w.value[0] == 1.5
    every2 = SGD(1.0, use_ema=True, ema_momentum=0.5, ema_overwrite_frequency=2)
    w = var([0.0])
    run(every2, w, [[-1.0], [-1.0]])
    assert w.value[0] == 1.5


# ----------------------------------------------------------------- in place, dtypes
@pytest.mark.parametrize("cls", ALL)
def test_updates_in_place_and_keeps_float32(cls):
    w = Variable(np.ones((3, 2), "float32"), "kernel", path="dense/kernel")
    b = Variable(np.zeros(2, "float32"), "bias", path="dense/bias")
    w_array, b_array = w.value, b.value
    opt = cls(learning_rate=0.01, weight_decay=0.1, clipnorm=1.0)
    grads = [np.full((3, 2), 0.5, "float32"), np.full(2, -0.5, "float32")]
    opt.apply(grads, [w, b])
    slots = [v.value for v in opt.variables[2:]]
    opt.apply(grads, [w, b])
    assert w.value is w_array and b.value is b_array
    assert all(a is v.value for a, v in zip(slots, opt.variables[2:], strict=True))
    assert w.value.dtype == np.float32 and b.value.dtype == np.float32
    assert all(v.value.dtype == np.float32 for v in opt.variables[2:])
    assert not np.allclose(w.value, 1.0) and not np.allclose(b.value, 0.0)
    assert opt.iterations == 2


@pytest.mark.parametrize("cls", [Adam, RMSprop, SGD])
def test_a_step_allocates_no_weight_sized_arrays(cls):
    w = Variable(np.ones((400, 100), "float32"), "kernel")
    g = np.full((400, 100), 0.01, "float32")
    opt = cls(learning_rate=0.01, momentum=0.9) if cls is not Adam else cls()
    opt.apply([g], [w])
    tracemalloc.start()
    try:
        for _ in range(3):
            opt.apply([g], [w])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < w.value.nbytes // 4, f"a step allocated {peak} bytes"


def test_float64_gradients_do_not_upcast_float32_weights():
    w = Variable(np.ones(4, "float32"), "w")
    Adam(0.1).apply([np.ones(4)], [w])
    assert w.value.dtype == np.float32


# ---------------------------------------------------------------------- state
def test_iterations_and_learning_rate_setter():
    opt = Adam(0.01)
    assert opt.iterations == 0 and opt.learning_rate == 0.01
    run(opt, var([1.0]), [[1.0], [1.0]])
    assert opt.iterations == 2
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5 and opt.get_config()["learning_rate"] == 0.5
    opt.learning_rate = np.float32(0.25)
    assert opt.learning_rate == 0.25
    opt.iterations = 7
    assert opt.iterations == 7


def test_a_schedule_cannot_be_set_to_a_float():
    opt = SGD(schedules.ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="cannot be set to a float"):
        opt.learning_rate = 0.1
    plain = SGD(0.1)
    plain.learning_rate = schedules.PiecewiseConstantDecay([1], [0.1, 0.01])
    assert [v.name for v in plain.variables] == ["iteration"]


def test_variables_follow_keras_order_and_names():
    kernel, bias = var(np.ones((2, 2)), "kernel"), var([0.0, 0.0], "bias")
    opt = Adam(name="adam", amsgrad=True)
    assert [v.path for v in opt.variables] == ["adam/iteration", "adam/learning_rate"]
    opt.build([kernel, bias])
    assert [v.name for v in opt.variables()] == [
        "iteration",
        "learning_rate",
        "dense_kernel_momentum",
        "dense_kernel_velocity",
        "dense_bias_momentum",
        "dense_bias_velocity",
        "dense_kernel_velocity_hat",
        "dense_bias_velocity_hat",
    ]
    rms = RMSprop(momentum=0.5, centered=True, name="r")
    rms.build([kernel, bias])
    assert [v.name for v in rms.variables][2:] == [
        "dense_kernel_velocity",
        "dense_bias_velocity",
        "dense_kernel_momentum",
        "dense_bias_momentum",
        "dense_kernel_average_gradient",
        "dense_bias_average_gradient",
    ]
    assert len(SGD().variables) == 2


@pytest.mark.parametrize("cls", ALL)
def test_state_round_trip_continues_exactly(cls):
    rng = np.random.default_rng(0)
    grads = [[rng.normal(size=(3, 2)), rng.normal(size=2)] for _ in range(5)]
    start = [rng.normal(size=(3, 2)), rng.normal(size=2)]

    def fresh():
        return [
            Variable(start[0], "kernel", path="d/kernel"),
            Variable(start[1], "bias", path="d/bias"),
        ]

    opt, ws = cls(learning_rate=0.05), fresh()
    for g in grads[:3]:
        opt.apply(g, ws)
    state, weights, saved_w = opt.get_state(), opt.get_weights(), [w.numpy() for w in ws]
    store = {}
    opt.save_own_variables(store)
    for g in grads[3:]:
        opt.apply(g, ws)
    for restore in ("state", "weights", "store"):
        other, ws2 = cls(learning_rate=0.9), fresh()
        for w, value in zip(ws2, saved_w, strict=True):
            w.assign(value)
        other.build(ws2)
        if restore == "state":
            other.set_state(state)
        elif restore == "weights":
            other.set_weights(weights)
        else:
            other.load_own_variables(store)
        assert other.iterations == 3 and other.learning_rate == 0.05
        for g in grads[3:]:
            other.apply(g, ws2)
        for a, b in zip(ws, ws2, strict=True):
            np.testing.assert_array_equal(a.value, b.value)


def test_restoring_checks_the_state():
    opt = Adam()
    with pytest.raises(KerasnpError, match="before it is built"):
        opt.set_weights([])
    opt.build([var([1.0])])
    with pytest.raises(KerasnpError, match="expected 4 arrays"):
        opt.set_weights([np.array(0)])
    state = opt.get_state()
    state["other_momentum"] = state.pop("dense_w_momentum")
    with pytest.raises(KerasnpError, match="Missing: \\['dense_w_momentum'\\]"):
        opt.set_state(state)
    with pytest.warns(UserWarning, match="Skipping variable loading"):
        opt.load_own_variables({"0": np.array(1)})


# ----------------------------------------------------------------- apply errors
def test_apply_errors():
    w = var([1.0, 2.0])
    opt = SGD()
    with pytest.raises(KerasnpError, match="needs a built optimizer"):
        opt.apply([np.zeros(2)])
    with pytest.raises(KerasnpError, match="one gradient per variable"):
        opt.apply([np.zeros(2), np.zeros(2)], [w])
    with pytest.raises(KerasnpError, match=r"expected \(2,\)\. Received: grad.shape=\(3,\)"):
        opt.apply([np.zeros(3)], [w])
    with pytest.raises(KerasnpError, match="Unknown variable `dense/other`"):
        opt.apply([np.zeros(1)], [var([0.0], "other")])
    with pytest.raises(KerasnpError, match="No gradients"):
        opt.apply([None], [w])
    opt.apply([np.ones(2)])  # once built, the variables may be omitted
    assert opt.iterations == 1
    opt.apply([])  # nothing to do
    assert opt.iterations == 1


def test_none_gradient_skips_the_variable_with_a_warning():
    a, b = var([1.0], "a"), var([1.0], "b")
    with pytest.warns(UserWarning, match="dense/b"):
        SGD(0.5).apply([np.ones(1), None], [a, b])
    assert a.value[0] == 0.5 and b.value[0] == 1.0


def test_apply_gradients_returns_iterations():
    w = var([1.0])
    opt = SGD(0.5)
    assert opt.apply_gradients([(np.ones(1), w)]) == 1
    assert w.value[0] == 0.5


# ------------------------------------------------------------------ get / config
KERAS_BASE_KEYS = [
    "name",
    "learning_rate",
    "weight_decay",
    "clipnorm",
    "global_clipnorm",
    "clipvalue",
    "use_ema",
    "ema_momentum",
    "ema_overwrite_frequency",
    "loss_scale_factor",
    "gradient_accumulation_steps",
]
OWN_KEYS = {
    SGD: ["momentum", "nesterov"],
    Adam: ["beta_1", "beta_2", "epsilon", "amsgrad"],
    AdamW: ["beta_1", "beta_2", "epsilon", "amsgrad"],
    RMSprop: ["rho", "momentum", "epsilon", "centered"],
    Adagrad: ["initial_accumulator_value", "epsilon"],
    Adadelta: ["rho", "epsilon"],
    Nadam: ["beta_1", "beta_2", "epsilon"],
    Adamax: ["beta_1", "beta_2", "epsilon"],
}


@pytest.mark.parametrize("cls", ALL)
def test_config_keys_and_round_trip(cls):
    opt = cls()
    config = opt.get_config()
    assert list(config) == KERAS_BASE_KEYS + OWN_KEYS[cls]
    again = cls.from_config(config)
    assert again.get_config() == config
    back = optimizers.deserialize(optimizers.serialize(opt))
    assert type(back) is cls and back.get_config() == config
    assert repr(opt).startswith(f"{cls.__name__}(name=")


def test_keras_defaults():
    assert SGD().learning_rate == 0.01 and Adam().learning_rate == 0.001
    assert Adam().get_config()["epsilon"] == 1e-7
    assert RMSprop().get_config()["rho"] == 0.9
    assert Adagrad().initial_accumulator_value == 0.1 and Adadelta().rho == 0.95
    # Keras's default names, the snake case of the class name (made unique)
    assert RMSprop().name.startswith("rm_sprop") and AdamW().name.startswith("adam_w")
    assert SGD().name.startswith("sgd")


def test_default_names_are_unique():
    a, b = Adagrad(), Adagrad()
    assert a.name != b.name and a.name.startswith("adagrad") and b.name.startswith("adagrad")


def test_config_with_a_schedule():
    opt = Adam(schedules.CosineDecay(0.1, 100))
    config = opt.get_config()
    assert config["learning_rate"]["class_name"] == "CosineDecay"
    again = Adam.from_config(config)
    assert again.learning_rate == 0.1
    assert again.get_config() == config


@pytest.mark.parametrize(
    "name, cls",
    [
        ("adam", Adam),
        ("Adam", Adam),
        ("ADAM", Adam),
        ("sgd", SGD),
        ("SGD", SGD),
        ("rmsprop", RMSprop),
        ("RMSprop", RMSprop),
        ("adamw", AdamW),
        ("adagrad", Adagrad),
        ("adadelta", Adadelta),
        ("nadam", Nadam),
        ("adamax", Adamax),
    ],
)
def test_get_names(name, cls):
    assert type(optimizers.get(name)) is cls


def test_get_other_identifiers():
    opt = Adam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    assert type(optimizers.get(SGD)) is SGD
    assert optimizers.get({"class_name": "sgd", "config": {"momentum": 0.5}}).momentum == 0.5
    with pytest.raises(KerasnpError, match="Could not interpret optimizer identifier"):
        optimizers.get(lambda: 0)
    with pytest.raises(KerasnpError, match="Could not interpret optimizer identifier"):
        optimizers.get(3)


def test_get_unknown_name_suggests_the_closest():
    with pytest.raises(
        KerasnpError,
        match="Could not interpret optimizer identifier: 'rmsprob'. Did you mean 'RMSprop'",
    ):
        optimizers.get("rmsprob")


# ------------------------------------------------------------------- validation
@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: Adam(learning_rate=-0.1), "learning_rate"),
        (lambda: Adam(learning_rate="0.1"), "learning_rate"),
        (lambda: Adam(learning_rate=True), "learning_rate"),
        (lambda: Adam(learning_rate=math.nan), "learning_rate"),
        (lambda: Adam(beta_1=1.0), "beta_1"),
        (lambda: Adam(beta_2=-0.1), "beta_2"),
        (lambda: Adam(epsilon=-1e-7), "epsilon"),
        (lambda: Adam(amsgrad=1), "amsgrad"),
        (lambda: SGD(momentum=1.5), "momentum"),
        (lambda: SGD(nesterov="yes"), "nesterov"),
        (lambda: RMSprop(rho=1.0), "rho"),
        (lambda: RMSprop(momentum=-0.5), "momentum"),
        (lambda: Adagrad(initial_accumulator_value=-1), "initial_accumulator_value"),
        (lambda: Adadelta(rho=2), "rho"),
        (lambda: Nadam(beta_1=1.5), "beta_1"),
        (lambda: SGD(clipnorm=0), "clipnorm"),
        (lambda: SGD(clipvalue=-1), "clipvalue"),
        (lambda: SGD(global_clipnorm=math.inf), "global_clipnorm"),
        (lambda: SGD(weight_decay=-0.1), "weight_decay"),
        (lambda: AdamW(weight_decay=None), "weight_decay"),
        (lambda: SGD(use_ema="no"), "use_ema"),
        (lambda: SGD(ema_momentum=1.5), "ema_momentum"),
        (lambda: SGD(ema_overwrite_frequency=0), "ema_overwrite_frequency"),
        (lambda: SGD(loss_scale_factor=0), "loss_scale_factor"),
        (lambda: SGD(gradient_accumulation_steps=1), "gradient_accumulation_steps"),
        (lambda: SGD(name=3), "name"),
    ],
)
def test_invalid_arguments(make, argument):
    with pytest.raises(KerasnpError, match=f"Invalid value for argument `{argument}` of "):
        make()


def test_only_one_clipping_argument():
    with pytest.raises(
        KerasnpError, match="at most one of `clipnorm`, `clipvalue` and `global_clipnorm`"
    ):
        SGD(clipnorm=1.0, clipvalue=0.5)


def test_misspelt_keyword_suggests():
    with pytest.raises(KerasnpError, match="Did you mean `learning_rate`"):
        Adam(learning_rte=0.1)
    with pytest.raises(KerasnpError, match="Did you mean `clipnorm`"):
        RMSprop(clip_norm=1.0)


def test_decay_is_ignored_with_a_warning_as_keras():
    with pytest.warns(UserWarning, match="`decay` is no longer supported"):
        SGD(decay=0.1)


def test_learning_rate_zero_is_allowed():
    assert run(SGD(0.0), var([1.0]), [[5.0]]) == pytest.approx([1.0])


def test_base_class_needs_update_step():
    class Half(Optimizer):
        def update_step(self, gradient, variable, learning_rate):
            variable.value -= 0.5 * learning_rate * gradient

    assert run(Half(1.0), var([1.0]), [[1.0]]) == pytest.approx([0.5])
    with pytest.raises(NotImplementedError):
        Optimizer(0.1).apply([np.ones(1)], [var([1.0])])


# --------------------------------------------------------------------- properties
def valid_kwargs(cls):
    unit = st.floats(0.0, 0.99)
    common = {
        "learning_rate": st.floats(0.0, 10.0),
        "clipnorm": st.one_of(st.none(), st.floats(0.01, 100.0)),
        "weight_decay": st.one_of(st.none(), st.floats(0.0, 1.0)),
        "use_ema": st.booleans(),
    }
    own = {
        SGD: {"momentum": st.floats(0.0, 1.0), "nesterov": st.booleans()},
        Adam: {
            "beta_1": unit,
            "beta_2": unit,
            "epsilon": st.floats(0.0, 1.0),
            "amsgrad": st.booleans(),
        },
        RMSprop: {"rho": unit, "momentum": st.floats(0.0, 1.0), "centered": st.booleans()},
        Adagrad: {"initial_accumulator_value": st.floats(0.0, 10.0)},
        Adadelta: {"rho": unit},
        Nadam: {"beta_1": unit, "beta_2": unit},
        Adamax: {"beta_1": unit, "beta_2": unit},
    }
    own[AdamW] = {**own[Adam], "weight_decay": st.floats(0.0, 1.0)}
    return st.fixed_dictionaries({**common, **own[cls]})


@settings(max_examples=60, deadline=None)
@given(data=st.data(), cls=st.sampled_from(ALL))
def test_property_config_round_trip(data, cls):
    kwargs = data.draw(valid_kwargs(cls))
    opt = cls(**kwargs)
    config = opt.get_config()
    for key, value in kwargs.items():
        assert config[key] == value
    assert cls.from_config(config).get_config() == config


@settings(max_examples=60, deadline=None)
@given(
    cls=st.sampled_from(ALL),
    argument=st.sampled_from(["learning_rate", "clipnorm", "clipvalue", "ema_momentum"]),
    bad=st.one_of(
        st.floats(max_value=-1e-9),
        st.just(math.nan),
        st.just(math.inf),
        st.text(max_size=2),
        st.booleans(),
    ),
)
def test_property_invalid_arguments_always_raise(cls, argument, bad):
    with pytest.raises(KerasnpError):
        cls(**{argument: bad})


@settings(max_examples=40, deadline=None)
@given(cls=st.sampled_from(ALL), grads=st.lists(st.floats(-1e3, 1e3), min_size=3, max_size=3))
def test_property_zero_learning_rate_changes_nothing(cls, grads):
    w = var([0.5, -1.0, 2.0])
    cls(learning_rate=0.0).apply([np.array(grads)], [w])
    assert w.value.tolist() == [0.5, -1.0, 2.0]


def test_signatures_list_learning_rate_first():
    for cls in ALL:
        params = list(inspect.signature(cls).parameters)
        assert params[0] == "learning_rate"


def test_no_warnings_in_a_normal_step():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        run(Adam(), var([1.0]), [[1.0]])


@pytest.mark.parametrize("name", ["Adagrad", "Adam", "SGD"])
def test_gradient_accumulation_applies_the_mean_once(name):

    g = np.array([0.5, -1.0, 2.0], dtype="float32")
    once = Variable(np.ones(3, dtype="float32"), "w")
    twice = Variable(np.ones(3, dtype="float32"), "w")
    plain = getattr(optimizers, name)(learning_rate=0.1)
    accumulating = getattr(optimizers, name)(learning_rate=0.1,
                                                     gradient_accumulation_steps=2)
    plain.apply([g], [once])
    accumulating.apply([g], [twice])
    np.testing.assert_array_equal(twice.value, np.ones(3))  # nothing applied yet
    accumulating.apply([g], [twice])
    np.testing.assert_allclose(twice.value, once.value, rtol=1e-6)
