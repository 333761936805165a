"""Learning-rate schedules: values by hand, configs, errors."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kerasnp._errors import KerasnpError
from kerasnp.optimizers import schedules
from kerasnp.optimizers.schedules import (
    CosineDecay,
    CosineDecayRestarts,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
)


def test_exponential_decay():
    s = ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5)
    assert s(0) == 0.1
    assert s(2) == pytest.approx(0.1 * 0.5**0.5)
    assert s(8) == pytest.approx(0.025)
    stairs = ExponentialDecay(0.1, decay_steps=4, decay_rate=0.5, staircase=True)
    assert [stairs(k) for k in (0, 3, 4, 7, 8)] == pytest.approx([0.1, 0.1, 0.05, 0.05, 0.025])


def test_inverse_time_decay():
    s = InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5)
    assert s(0) == 1.0
    assert s(3) == pytest.approx(1 / (1 + 0.5 * 1.5))
    stairs = InverseTimeDecay(1.0, decay_steps=2, decay_rate=0.5, staircase=True)
    assert stairs(3) == pytest.approx(1 / 1.5)


def test_piecewise_constant_boundaries_belong_to_the_left():
    s = PiecewiseConstantDecay([10, 20], [1.0, 0.5, 0.1])
    assert [s(k) for k in (0, 10, 10.5, 20, 21, 1000)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    assert PiecewiseConstantDecay([], [0.3])(5) == 0.3


def test_polynomial_decay():
    s = PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.1, power=2.0)
    assert s(0) == 1.0
    assert s(5) == pytest.approx(0.9 * 0.25 + 0.1)
    assert s(10) == pytest.approx(0.1) and s(50) == pytest.approx(0.1)
    cyc = PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.0, cycle=True)
    assert cyc(0) == 1.0
    assert cyc(15) == pytest.approx(1 - 15 / 20)  # the second cycle spans 20 steps
    assert cyc(20) == pytest.approx(0.0)


def test_cosine_decay():
    s = CosineDecay(1.0, decay_steps=10, alpha=0.2)
    assert s(0) == 1.0
    assert s(5) == pytest.approx(0.8 * 0.5 + 0.2)
    assert s(10) == pytest.approx(0.2) and s(30) == pytest.approx(0.2)


def test_cosine_decay_warmup():
    s = CosineDecay(0.0, decay_steps=10, warmup_target=1.0, warmup_steps=4)
    assert [s(k) for k in (0, 1, 2)] == pytest.approx([0.0, 0.25, 0.5])
    assert s(4) == pytest.approx(1.0)
    assert s(9) == pytest.approx(0.5)
    assert s(14) == pytest.approx(0.0) and s(100) == pytest.approx(0.0)


def test_cosine_decay_restarts():
    s = CosineDecayRestarts(1.0, first_decay_steps=10, t_mul=2.0, m_mul=0.5)
    assert s(0) == 1.0
    assert s(5) == pytest.approx(0.5)
    assert s(10) == pytest.approx(0.5)  # restart at half height
    assert s(20) == pytest.approx(0.25)  # halfway through the 20-step second period
    assert s(30) == pytest.approx(0.25)  # third period starts at 1 + 2 = 3 units
    flat = CosineDecayRestarts(1.0, first_decay_steps=4, t_mul=1.0, alpha=0.5)
    assert flat(2) == pytest.approx(0.75) and flat(4) == pytest.approx(1.0)


ALL = [
    ExponentialDecay(0.1, 10, 0.9, staircase=True),
    InverseTimeDecay(0.2, 5, 0.5),
    PiecewiseConstantDecay([3, 7], [0.1, 0.01, 0.001]),
    PolynomialDecay(0.1, 100, end_learning_rate=0.01, power=0.5, cycle=True),
    CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.2, warmup_steps=10),
    CosineDecayRestarts(0.1, 20, t_mul=1.5, m_mul=0.9, alpha=0.05),
]


@pytest.mark.parametrize("schedule", ALL, ids=lambda s: type(s).__name__)
def test_config_round_trip(schedule):
    config = schedule.get_config()
    assert "name" in config
    again = type(schedule).from_config(config)
    assert again.get_config() == config
    back = schedules.deserialize(schedules.serialize(schedule))
    assert type(back) is type(schedule)
    assert [back(k) for k in range(0, 60, 7)] == [schedule(k) for k in range(0, 60, 7)]
    assert repr(schedule).startswith(type(schedule).__name__ + "(")


def test_config_keeps_ints_and_names():
    assert ExponentialDecay(1, 10, 0.5).get_config() == {
        "initial_learning_rate": 1,
        "decay_steps": 10,
        "decay_rate": 0.5,
        "staircase": False,
        "name": "ExponentialDecay",
    }
    assert PiecewiseConstantDecay([1], [0.1, 0.2]).get_config()["name"] == "PiecewiseConstant"
    assert CosineDecayRestarts(0.1, 5).get_config()["name"] == "SGDRDecay"


@pytest.mark.parametrize(
    "make",
    [
        lambda: ExponentialDecay(0.1, 0, 0.5),
        lambda: ExponentialDecay(0.1, -3, 0.5),
        lambda: ExponentialDecay(-0.1, 10, 0.5),
        lambda: ExponentialDecay(0.1, 10, 0.5, staircase=1),
        lambda: InverseTimeDecay(0.1, 10, math.nan),
        lambda: PolynomialDecay(0.1, 0),
        lambda: CosineDecay(0.1, 10, alpha=1.5),
        lambda: CosineDecay(0.1, 10, warmup_steps=-1),
        lambda: CosineDecayRestarts(0.1, 10, t_mul=0),
        lambda: PiecewiseConstantDecay([1, 2], [0.1, 0.2]),
        lambda: PiecewiseConstantDecay([5, 2], [0.1, 0.2, 0.3]),
        lambda: PiecewiseConstantDecay("12", [0.1, 0.2, 0.3]),
        lambda: ExponentialDecay(0.1, 10, 0.5, name=3),
        lambda: ExponentialDecay(0.1, 10, 0.5, stair_case=True),
    ],
)
def test_invalid_arguments(make):
    with pytest.raises(KerasnpError):
        make()


def test_error_message_shape():
    with pytest.raises(
        KerasnpError,
        match=r"Invalid value for argument `decay_steps` of "
        r"ExponentialDecay: expected a float > 0\. "
        r"Received: decay_steps=0",
    ):
        ExponentialDecay(0.1, 0, 0.5)


def test_deserialize_unknown():
    with pytest.raises(KerasnpError, match="Could not interpret learning rate schedule"):
        schedules.deserialize({"class_name": "LinearWarmup", "config": {}})


def test_base_class_contract():
    class Halving(LearningRateSchedule):
        def __call__(self, step):
            return 0.1 * 0.5**step

        def get_config(self):
            return {}

    assert Halving()(2) == pytest.approx(0.025)
    with pytest.raises(NotImplementedError):
        LearningRateSchedule()(0)


rates = st.floats(0.0, 10.0)
steps = st.integers(1, 10_000)


@given(
    lr=rates,
    decay_steps=steps,
    rate=st.floats(0.01, 1.0),
    step=st.integers(0, 10**6),
    cls=st.sampled_from([ExponentialDecay, InverseTimeDecay]),
)
def test_property_decays_monotonically(lr, decay_steps, rate, step, cls):
    s = cls(lr, decay_steps, rate)
    assert 0.0 <= s(step + 1) <= s(step) <= lr * (1 + 1e-12)
    assert cls.from_config(s.get_config()).get_config() == s.get_config()


@given(lr=rates, decay_steps=steps, alpha=st.floats(0.0, 1.0), step=st.integers(0, 10**6))
def test_property_cosine_stays_between_floor_and_start(lr, decay_steps, alpha, step):
    value = CosineDecay(lr, decay_steps, alpha=alpha)(step)
    assert lr * alpha - 1e-12 <= value <= lr + 1e-12


@given(
    bad=st.one_of(
        st.integers(-100, 0),
        st.just(math.nan),
        st.just(math.inf),
        st.text(max_size=2),
        st.booleans(),
    )
)
def test_property_invalid_decay_steps_always_raise(bad):
    with pytest.raises(KerasnpError):
        CosineDecay(0.1, bad)
