"""Every data check of fit/evaluate/predict: the mistake, and the advice given."""

import warnings

import numpy as np
import pytest

import kerasnp as keras
from kerasnp import KerasnpError, layers


def model(units=10, activation="softmax", loss="sparse_categorical_crossentropy", d=784):
    m = keras.Sequential([keras.Input(shape=(d,)), layers.Dense(units, activation=activation)])
    m.compile("adam", loss, metrics=["accuracy"])
    return m


def images(n=20):
    rng = np.random.default_rng(0)
    return rng.random((n, 784), dtype=np.float32), rng.integers(0, 10, n)


def test_one_hot_labels_with_sparse_loss_say_use_categorical():
    x, y = images()
    with pytest.raises(KerasnpError) as err:
        model().fit(x, keras.utils.to_categorical(y, 10), verbose=0)
    assert "categorical_crossentropy" in str(err.value)
    assert "np.argmax(y, axis=1)" in str(err.value)


def test_integer_labels_with_categorical_loss_say_use_sparse():
    x, y = images()
    with pytest.raises(KerasnpError) as err:
        model(loss="categorical_crossentropy").fit(x, y, verbose=0)
    assert "sparse_categorical_crossentropy" in str(err.value)
    assert "to_categorical(y" in str(err.value)


@pytest.mark.parametrize("loss", ["categorical_crossentropy", "sparse_categorical_crossentropy"])
def test_categorical_loss_on_one_unit_points_to_sigmoid_and_bce(loss):
    x, _ = images()
    y = np.random.default_rng(1).integers(0, 2, (20, 1)).astype("float32")
    with pytest.raises(KerasnpError) as err:
        model(units=1, activation="sigmoid", loss=loss).fit(x, y, verbose=0)
    assert 'Dense(1, activation=\'sigmoid\')' in str(err.value)
    assert "binary_crossentropy" in str(err.value) and "softmax" in str(err.value)


def test_probability_loss_after_linear_output_warns_once():
    x, y = images()
    m = model(activation=None)
    with pytest.warns(UserWarning, match="from_logits=True") as record:
        m.fit(x, y, verbose=0)
        m.fit(x, y, verbose=0)
    assert sum("from_logits" in str(w.message) for w in record) == 1
    assert "activation='softmax'" in str(record[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        logits = keras.Sequential([keras.Input(shape=(784,)), layers.Dense(10)])
        logits.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        logits.fit(x, y, verbose=0)


@pytest.mark.parametrize("bad", [10, -1])
def test_labels_out_of_range_name_the_label_and_the_output_size(bad):
    x, y = images()
    y[3] = bad
    with pytest.raises(KerasnpError) as err:
        model().fit(x, y, verbose=0)
    assert f"Label {bad}" in str(err.value) and "[0, 10)" in str(err.value)
    assert "10 units" in str(err.value)


def test_labels_out_of_range_also_checked_by_evaluate():
    x, y = images()
    with pytest.raises(KerasnpError, match="Label 12"):
        model().evaluate(x, np.full(20, 12), verbose=0)


@pytest.mark.parametrize("where,value", [("x", np.nan), ("x", np.inf), ("y", np.nan)])
def test_nan_or_inf_names_the_array_and_first_index(where, value):
    x, y = images()
    m = model(units=1, activation=None, loss="mse")
    y = y.astype("float32").reshape(-1, 1)
    target = x if where == "x" else y
    target[5, 0] = value
    with pytest.raises(KerasnpError) as err:
        m.fit(x, y, verbose=0)
    assert str(err.value).startswith(f"{where} given to fit contains {value}")
    assert "index (5, 0)" in str(err.value)


def test_predict_checks_nan_too():
    x, _ = images()
    x[2, 7] = np.nan
    with pytest.raises(KerasnpError, match=r"x given to predict contains nan at index \(2, 7\)"):
        model().predict(x, verbose=0)


def test_unflattened_images_into_dense_suggest_flatten():
    x = np.random.default_rng(0).random((8, 28, 28), dtype=np.float32)
    y = np.arange(8)
    m = keras.Sequential([layers.Dense(64, "relu"), layers.Dense(10, "softmax")])
    m.compile("adam", "sparse_categorical_crossentropy")
    with pytest.raises(KerasnpError) as err:
        m.fit(x, y, verbose=0)
    assert "Flatten()" in str(err.value) and "x.reshape(len(x), -1)" in str(err.value)
    # Dense on 3-D input stays legal when the targets match its output
    seq = keras.Sequential([layers.Dense(4)])
    seq.compile("sgd", "mse")
    seq.fit(x, np.zeros((8, 28, 4), dtype="float32"), verbose=0)


def test_unscaled_pixels_warn_once_per_model():
    x = np.random.default_rng(0).integers(0, 256, (20, 784)).astype(np.uint8)
    y = np.arange(20) % 10
    m = model()
    with pytest.warns(UserWarning, match=r"astype\('float32'\) / 255") as record:
        m.fit(x, y, verbose=0)
        m.fit(x.astype("float32"), y, verbose=0)
    assert sum("unscaled" in str(w.message) for w in record) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model().fit(x.astype("float32") / 255, y, verbose=0)
        counts = np.random.default_rng(1).integers(0, 12, (20, 784)).astype("float32")
        model().fit(counts, y, verbose=0)


def test_sorted_data_validation_split_warns_with_advice():
    x, _ = images(n=500)
    y = np.sort(np.random.default_rng(0).integers(0, 10, 500))
    with pytest.warns(UserWarning) as record:
        model().fit(x, y, validation_split=0.2, verbose=0)
    message = str(record[0].message)
    assert "LAST 20%" in message and "appear only in the validation part" in message
    assert "np.random.permutation" in message and "stratify=y" in message


def test_integer_and_float64_inputs_are_cast_to_float32_once():
    from kerasnp.models.data import as_inputs

    x64 = np.ones((3, 4))
    out = as_inputs(x64)
    assert out.dtype == np.float32
    x32 = np.ones((3, 4), dtype=np.float32)
    assert as_inputs(x32) is x32  # no copy when nothing needs converting
    assert as_inputs(np.ones((3, 4), dtype=np.int64)).dtype == np.float32
