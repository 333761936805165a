"""Central-difference checks of every layer's backward and of whole models (float64)."""

import numpy as np
import pytest

import kerasnp as keras
from kerasnp import layers, regularizers
from kerasnp.utils.random import make_rng


@pytest.fixture
def float64():
    keras.config.set_floatx("float64")
    yield
    keras.config.set_floatx("float32")


def _check_layer(layer, x, num_grad, training=False, rtol=1e-5, atol=1e-7):
    """Compare layer.backward with central differences of sum(out * r)."""
    rng = np.random.default_rng(1)
    out = layer(x, training=training)
    r = rng.normal(size=out.shape)
    reseed = getattr(layer, "_rng", None)
    state = None if reseed is None else reseed.bit_generator.state

    def f_x(xv):
        if state is not None:
            layer._rng.bit_generator.state = state
        return float(np.sum(layer(xv, training=training) * r))

    if state is not None:
        layer._rng.bit_generator.state = state
    layer(x, training=training)
    gx = layer.backward(r)
    np.testing.assert_allclose(gx, num_grad(f_x, x), rtol=rtol, atol=atol)
    for var in layer.trainable_weights:
        analytic = layer.grads[var.name].copy()
        original = var.value.copy()

        def f_w(wv, var=var):
            var.value[...] = wv
            if state is not None:
                layer._rng.bit_generator.state = state
            return float(np.sum(layer(x, training=training) * r))

        numeric = num_grad(f_w, original)
        var.value[...] = original
        np.testing.assert_allclose(analytic, numeric, rtol=rtol, atol=atol,
                                   err_msg=f"gradient of {var.path}")


@pytest.mark.parametrize("activation", ["linear", "relu", "sigmoid", "tanh", "softmax", "elu",
                                        "selu", "gelu", "softplus", "swish", "leaky_relu"])
def test_dense_backward(float64, num_grad, activation):
    layer = layers.Dense(4, activation=activation, dtype="float64")
    x = np.random.default_rng(0).normal(size=(5, 3))
    _check_layer(layer, x, num_grad)


def test_dense_backward_on_3d_inputs(float64, num_grad):
    layer = layers.Dense(2, activation="tanh", dtype="float64")
    x = np.random.default_rng(0).normal(size=(2, 3, 4))
    _check_layer(layer, x, num_grad)


def test_dropout_backward_uses_the_mask(float64, num_grad):
    layer = layers.Dropout(0.5, seed=3, dtype="float64")
    x = np.random.default_rng(0).normal(size=(4, 6))
    _check_layer(layer, x, num_grad, training=True)


@pytest.mark.parametrize("layer", [layers.Flatten(), layers.Reshape((6,)),
                                   layers.Activation("softmax")])
def test_shape_and_activation_layers_backward(float64, num_grad, layer):
    x = np.random.default_rng(0).normal(size=(3, 2, 3))
    _check_layer(layer, x, num_grad)


def _model_loss_and_grads(model, x, y, state_of):
    """Analytic loss/gradients with Dropout masks replayed from `state_of`."""
    for layer, state in state_of.items():
        layer._rng.bit_generator.state = state
    loss, _, grads, variables = model.compute_gradients(x, y)
    return loss, grads, variables


@pytest.mark.parametrize("loss,labels", [("categorical_crossentropy", "onehot"),
                                         ("sparse_categorical_crossentropy", "int"),
                                         ("mse", "onehot")])
@pytest.mark.parametrize("dropout", [False, True])
def test_whole_model_gradients(float64, num_grad, loss, labels, dropout):
    keras.utils.set_random_seed(0)
    stack = [keras.Input(shape=(5,)),
             layers.Dense(6, "relu", kernel_regularizer=regularizers.l2(0.01),
                          bias_regularizer=regularizers.l1(0.01)),
             layers.Dense(4, "tanh", activity_regularizer=regularizers.l2(0.1))]
    if dropout:
        stack.append(layers.Dropout(0.3, seed=5))
    stack.append(layers.Dense(3, "softmax", kernel_regularizer=regularizers.l1_l2(0.01, 0.02)))
    model = keras.Sequential(stack)
    model.compile(optimizer="sgd", loss=loss)
    rng = make_rng(1)
    x = rng.normal(size=(7, 5))
    y_int = rng.integers(0, 3, size=7)
    y = np.eye(3)[y_int] if labels == "onehot" else y_int
    drop = [layer for layer in model.layers if isinstance(layer, layers.Dropout)]
    state_of = {layer: layer._rng.bit_generator.state for layer in drop}
    loss_value, grads, variables = _model_loss_and_grads(model, x, y, state_of)
    for g, var in zip(grads, variables, strict=True):
        original = var.value.copy()

        def f(wv, var=var):
            var.value[...] = wv
            return _model_loss_and_grads(model, x, y, state_of)[0]

        numeric = num_grad(f, original)
        var.value[...] = original
        np.testing.assert_allclose(g, numeric, rtol=1e-5, atol=1e-7, err_msg=var.path)


def test_flatten_channels_first_backward(float64, num_grad):
    x = np.random.default_rng(0).normal(size=(2, 3, 2, 2))
    _check_layer(layers.Flatten(data_format="channels_first"), x, num_grad)
