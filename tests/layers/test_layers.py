"""Layers: arguments, shapes, weights, configs, and the errors a learner meets."""

import numpy as np
import pytest

import kerasnp as keras
from kerasnp import KerasnpError, layers, regularizers


def test_dense_forward_is_x_at_kernel_plus_bias():
    layer = layers.Dense(3, activation="relu")
    x = np.random.default_rng(0).normal(size=(4, 5)).astype("float32")
    out = layer(x)
    expected = np.maximum(x @ layer.kernel.value + layer.bias.value, 0)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == np.float32
    assert layer.kernel.shape == (5, 3) and layer.bias.shape == (3,)
    assert layer.count_params() == 18


def test_dense_positional_activation_and_no_bias():
    layer = layers.Dense(20, "relu", use_bias=False)
    layer.build((None, 10))
    assert layer.activation is keras.activations.relu
    assert [w.name for w in layer.weights] == ["kernel"]
    assert layer.count_params() == 200


def test_dense_glorot_uniform_limit_and_zero_bias():
    layer = layers.Dense(50)
    layer.build((None, 200))
    limit = np.sqrt(6 / 250)
    assert np.abs(layer.kernel.value).max() <= limit
    assert np.abs(layer.kernel.value).max() > 0.9 * limit
    assert not layer.bias.value.any()


@pytest.mark.parametrize("units", [0, -3, 3.0, True, "10", None])
def test_dense_rejects_bad_units(units):
    with pytest.raises(KerasnpError, match="units"):
        layers.Dense(units)


def test_misspelt_keyword_names_the_right_one():
    with pytest.raises(KerasnpError, match=r"unexpected keyword argument `unit`.*`units`"):
        layers.Dense(unit=10)
    with pytest.raises(ValueError, match="`activation`"):
        layers.Dense(10, activaton="relu")
    with pytest.raises(TypeError, match="`rate`"):
        layers.Dropout(rte=0.5)


@pytest.mark.parametrize("rate", [-0.1, 1.5, float("nan"), "0.5", True])
def test_dropout_rejects_bad_rates(rate):
    with pytest.raises(KerasnpError, match="Invalid value for argument `rate` of Dropout"):
        layers.Dropout(rate)


def test_dropout_scales_kept_units_and_is_identity_at_inference():
    x = np.ones((200, 50), dtype="float32")
    layer = layers.Dropout(0.2, seed=1)
    np.testing.assert_array_equal(layer(x), x)
    out = layer(x, training=True)
    assert set(np.unique(out)) == {0.0, np.float32(1.25)}
    assert 0.17 < (out == 0).mean() < 0.23
    assert out.dtype == np.float32


def test_dropout_rate_one_gives_zeros_and_noise_shape_drops_rows():
    x = np.ones((6, 4), dtype="float32")
    assert not layers.Dropout(1.0)(x, training=True).any()
    out = layers.Dropout(0.5, noise_shape=(None, 1), seed=0)(x, training=True)
    assert all(len(set(row)) == 1 for row in out.tolist())


def test_dropout_seeds_repeat_and_calls_differ():
    x = np.ones((10, 10), dtype="float32")
    a, b = layers.Dropout(0.5, seed=7), layers.Dropout(0.5, seed=7)
    first = a(x, training=True)
    np.testing.assert_array_equal(first, b(x, training=True))
    assert not np.array_equal(first, a(x, training=True))


def test_flatten_reshape_activation():
    x = np.arange(24, dtype="float32").reshape(2, 3, 4)
    assert layers.Flatten()(x).shape == (2, 12)
    assert layers.Reshape((4, 3))(x).shape == (2, 4, 3)
    assert layers.Reshape((-1, 2)).compute_output_shape((None, 3, 4)) == (None, 6, 2)
    assert layers.Flatten().compute_output_shape((None, 28, 28)) == (None, 784)
    np.testing.assert_allclose(layers.Activation("softmax")(x[:, 0]).sum(axis=-1), 1, rtol=1e-6)
    with pytest.raises(KerasnpError, match="target_shape"):
        layers.Reshape((0, 2))
    with pytest.raises(KerasnpError, match="cannot reshape"):
        layers.Reshape((5,))(x)


def test_input_and_input_layer_shapes():
    assert keras.Input(shape=(784,)).shape == (None, 784)
    assert keras.Input((28, 28)).shape == (None, 28, 28)
    assert layers.InputLayer(batch_shape=(None, 3)).batch_shape == (None, 3)
    with pytest.raises(KerasnpError, match="shape"):
        keras.Input(shape=(0,))


def test_layer_names_are_unique_snake_case():
    a, b = layers.Dense(1), layers.Dense(1)
    assert a.name.startswith("dense") and a.name != b.name
    assert layers.Dense(1, name="out").name == "out"


def test_regularizer_losses_and_frozen_layers():
    layer = layers.Dense(3, kernel_regularizer=regularizers.l2(0.1),
                         bias_regularizer=regularizers.l1(0.5), bias_initializer="ones",
                         activity_regularizer=regularizers.l2(0.01))
    out = layer(np.ones((4, 2), dtype="float32"))
    activity, kernel, bias = layer.losses
    np.testing.assert_allclose(activity, 0.01 * np.sum(out**2) / 4, rtol=1e-5)
    np.testing.assert_allclose(kernel, 0.1 * np.sum(layer.kernel.value**2), rtol=1e-5)
    np.testing.assert_allclose(bias, 0.5 * 3, rtol=1e-6)
    layer.trainable = False
    assert len(layer.losses) == 1 and layer.trainable_weights == []


@pytest.mark.parametrize("make", [
    lambda: layers.Dense(4, "relu", kernel_regularizer=regularizers.l2(0.001)),
    lambda: layers.Dropout(0.3, noise_shape=(None, 1), seed=2),
    lambda: layers.Activation("tanh"),
    lambda: layers.Flatten(),
    lambda: layers.Reshape((2, -1)),
    lambda: layers.InputLayer(shape=(3,)),
])
def test_configs_round_trip(make):
    layer = make()
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    restored = layers.deserialize(layers.serialize(layer))
    assert type(restored) is type(layer)
    assert repr(layer).startswith(f"<{type(layer).__name__}")


def test_set_weights_checks_count_and_shapes():
    layer = layers.Dense(2)
    layer.build((None, 3))
    with pytest.raises(KerasnpError, match="expected 2 weights"):
        layer.set_weights([np.zeros((3, 2))])
    with pytest.raises(KerasnpError, match="expected shape"):
        layer.set_weights([np.zeros((2, 3)), np.zeros(2)])
    layer.set_weights([np.ones((3, 2)), np.zeros(2)])
    np.testing.assert_array_equal(layer(np.ones((1, 3), dtype="float32")), [[3, 3]])


def test_input_shape_argument_warns_and_builds():
    with pytest.warns(UserWarning, match="Input"):
        model = keras.Sequential([layers.Dense(4, input_shape=(3,)), layers.Dense(1)])
    assert model.built and model.count_params() == 16 + 5


def test_flatten_channels_first_moves_channels_last():
    x = np.arange(2 * 3 * 2 * 2, dtype="float32").reshape(2, 3, 2, 2)
    out = layers.Flatten(data_format="channels_first")(x)
    np.testing.assert_array_equal(out, np.moveaxis(x, 1, -1).reshape(2, -1))
    np.testing.assert_array_equal(layers.Flatten()(x), x.reshape(2, -1))
