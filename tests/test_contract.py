"""A contract over every exported class: it constructs, round-trips its config,
has a readable repr, and rejects a bad argument with kerasnp's error."""

import inspect

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kerasnp as keras
from kerasnp import KerasnpError

# The arguments a class needs to be constructed at all (the rest default).
REQUIRED = {
    "Dense": {"units": 3},
    "Dropout": {"rate": 0.5},
    "Activation": {"activation": "relu"},
    "Reshape": {"target_shape": (2, 2)},
    "InputLayer": {"shape": (4,)},
    "Constant": {},
    "MeanMetricWrapper": {"fn": keras.metrics.categorical_accuracy},
    "LossFunctionWrapper": {"fn": keras.losses.mean_squared_error},
    "ExponentialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.9},
    "InverseTimeDecay": {"initial_learning_rate": 0.1, "decay_steps": 10, "decay_rate": 0.5},
    "PiecewiseConstantDecay": {"boundaries": [10], "values": [0.1, 0.01]},
    "PolynomialDecay": {"initial_learning_rate": 0.1, "decay_steps": 10},
    "CosineDecay": {"initial_learning_rate": 0.1, "decay_steps": 10},
    "CosineDecayRestarts": {"initial_learning_rate": 0.1, "first_decay_steps": 10},
}

# One argument per class that must be rejected (name, bad value).
BAD = {
    "Dense": ("units", 0),
    "Dropout": ("rate", 1.5),
    "Activation": ("activation", "not_an_activation"),
    "Reshape": ("target_shape", (0,)),
    "InputLayer": ("shape", (-1,)),
    "RandomUniform": ("seed", -1),
    "RandomNormal": ("stddev", -1.0),
    "TruncatedNormal": ("stddev", -1.0),
    "VarianceScaling": ("mode", "fan_sideways"),
    "L1": ("l1", -0.1),
    "L2": ("l2", -0.1),
    "L1L2": ("l1", -0.1),
    "SGD": ("learning_rate", -1.0),
    "Adam": ("beta_1", 1.5),
    "AdamW": ("learning_rate", -1.0),
    "RMSprop": ("rho", 1.5),
    "Adagrad": ("epsilon", -1.0),
    "Adadelta": ("rho", 1.5),
    "Nadam": ("beta_2", 1.5),
    "Adamax": ("beta_1", -0.5),
    "TopKCategoricalAccuracy": ("k", 0),
    "BinaryAccuracy": ("threshold", "half"),
    "CategoricalCrossentropy": ("label_smoothing", 2.0),
    "BinaryCrossentropy": ("label_smoothing", 2.0),
    "Huber": ("delta", -1.0),
    "EarlyStopping": ("patience", -1),
    "ReduceLROnPlateau": ("factor", 1.0),
    "ExponentialDecay": ("decay_steps", 0),
    "InverseTimeDecay": ("decay_steps", 0),
    "PiecewiseConstantDecay": ("boundaries", [10, 5]),
    "PolynomialDecay": ("decay_steps", 0),
    "CosineDecay": ("decay_steps", 0),
    "CosineDecayRestarts": ("first_decay_steps", 0),
}

ABSTRACT = {"Layer", "Initializer", "Regularizer", "Loss", "Metric", "Optimizer",
            "LearningRateSchedule", "Callback", "CallbackList", "MonitorCallback", "History",
            "ProgbarLogger"}


def exported(module):
    seen = set()
    for name in module.__all__:
        obj = getattr(module, name)
        if inspect.isclass(obj) and obj.__name__ not in ABSTRACT and obj not in seen:
            seen.add(obj)
            yield pytest.param(obj, id=f"{module.__name__.split('.')[-1]}.{obj.__name__}")


FAMILIES = [keras.layers, keras.initializers, keras.regularizers, keras.losses, keras.metrics,
            keras.optimizers, keras.optimizers.schedules]
CLASSES = [p for module in FAMILIES for p in exported(module)]


@pytest.mark.parametrize("cls", CLASSES)
def test_construct_config_round_trip_and_repr(cls):
    obj = cls(**REQUIRED.get(cls.__name__, {}))
    config = obj.get_config()
    clone = cls.from_config(config)
    assert type(clone) is cls
    assert clone.get_config() == config
    assert cls.__name__ in repr(obj) or type(obj).__name__ in repr(obj)


@pytest.mark.parametrize("cls", [p for p in CLASSES if p.values[0].__name__ in BAD])
def test_bad_argument_raises_kerasnp_error(cls):
    name, value = BAD[cls.__name__]
    kwargs = dict(REQUIRED.get(cls.__name__, {}))
    kwargs[name] = value
    with pytest.raises(KerasnpError) as info:
        cls(**kwargs)
    assert isinstance(info.value, ValueError) and isinstance(info.value, TypeError)
    assert name in str(info.value)


def test_every_class_with_arguments_has_a_bad_argument_case():
    # a class whose constructor takes a checked argument must appear in BAD
    exempt = {"MeanMetricWrapper", "LossFunctionWrapper", "Flatten", "Zeros", "Ones",
              "Identity", "Orthogonal", "Constant", "Sum", "Mean"}
    missing = []
    for param in CLASSES:
        cls = param.values[0]
        if cls.__name__ in BAD or cls.__name__ in exempt:
            continue
        params = [p for p in inspect.signature(cls.__init__).parameters
                  if p not in ("self", "kwargs", "name", "dtype")]
        if params and cls.__module__.startswith(("kerasnp.layers", "kerasnp.optimizers")):
            missing.append(cls.__name__)
    assert not missing, f"add a BAD case for: {missing}"


@pytest.mark.parametrize("cls", [keras.callbacks.EarlyStopping, keras.callbacks.TerminateOnNaN,
                                 keras.callbacks.ReduceLROnPlateau, keras.callbacks.CSVLogger,
                                 keras.callbacks.BackupAndRestore])
def test_callbacks_construct_and_reject_unknown_keywords(cls, tmp_path):
    args = {keras.callbacks.CSVLogger: {"filename": str(tmp_path / "log.csv")},
            keras.callbacks.BackupAndRestore: {"backup_dir": str(tmp_path / "b")}}.get(cls, {})
    cls(**args)
    with pytest.raises(TypeError):
        cls(**args, patiense=3)


@settings(max_examples=40, deadline=None)
@given(rate=st.one_of(st.floats(allow_nan=True), st.integers(), st.text(max_size=3),
                      st.booleans(), st.none()))
def test_dropout_rate_is_valid_or_rejected(rate):
    try:
        layer = keras.layers.Dropout(rate)
    except KerasnpError as err:
        assert "rate" in str(err)
    else:
        assert 0 <= layer.rate <= 1 and not isinstance(rate, bool)


@settings(max_examples=30, deadline=None)
@given(units=st.integers(1, 8), rate=st.floats(0, 0.9), seed=st.integers(0, 2**16))
def test_dense_dropout_stack_config_round_trips(units, rate, seed):
    model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(units, "relu"),
                              keras.layers.Dropout(rate, seed=seed),
                              keras.layers.Dense(2, "softmax")])
    clone = keras.Sequential.from_config(model.get_config())
    assert clone.get_config() == model.get_config()
    clone.set_weights(model.get_weights())
    x = np.random.default_rng(seed).normal(size=(4, 3)).astype("float32")
    np.testing.assert_array_equal(clone.predict(x, verbose=0), model.predict(x, verbose=0))
