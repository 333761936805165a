"""to_categorical and normalize: Keras's semantics (reference §6), our errors."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from kerasnp._errors import KerasnpError
from kerasnp.utils.numerical import normalize, to_categorical

# The table of keras-semantics.md §6: input, num_classes, expected output.
KERAS_TABLE = [
    ([0, 1, 2], None, np.eye(3)),
    ([0, 2], None, [[1, 0, 0], [0, 0, 1]]),
    ([1, 3], 5, [[0, 1, 0, 0, 0], [0, 0, 0, 1, 0]]),
    (np.array([[0], [2], [1]]), None, [[1, 0, 0], [0, 0, 1], [0, 1, 0]]),
    (np.array([[0, 1], [2, 0]]), None, [[[1, 0, 0], [0, 1, 0]], [[0, 0, 1], [1, 0, 0]]]),
    (np.array([1.7, 0.2]), None, [[0, 1], [1, 0]]),
    (np.array(["1", "0"]), None, [[0, 1], [1, 0]]),
    (5, None, [0, 0, 0, 0, 0, 1]),
    ([[0]], None, [[1]]),
    ([1, 2], 0, [[0, 1, 0], [0, 0, 1]]),
    (np.zeros((2, 1, 1), dtype=int), None, [[[1]], [[1]]]),
    ([True, False], None, [[0, 1], [1, 0]]),
    ([], 3, np.zeros((0, 3))),
    (np.array([2, 0], dtype=np.uint8), np.int64(4), [[0, 0, 1, 0], [1, 0, 0, 0]]),
]


@pytest.mark.parametrize("x, num_classes, expected", KERAS_TABLE)
def test_keras_table(x, num_classes, expected):
    got = to_categorical(x, num_classes=num_classes)
    expected = np.asarray(expected, dtype=np.float64)
    assert got.dtype == np.float64
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


@pytest.mark.oracle
def test_same_as_keras(keras):
    for x, num_classes, _ in KERAS_TABLE:
        if np.size(x) == 0:
            continue
        expected = keras.utils.to_categorical(x, num_classes=num_classes)
        got = to_categorical(x, num_classes=num_classes)
        assert got.dtype == expected.dtype and got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)
    x = np.array([[3.0, 4.0], [1.0, 0.0], [0.0, 0.0]])
    for order in (1, 2, 3):
        np.testing.assert_allclose(normalize(x, order=order), keras.utils.normalize(x, order=order))
    x32 = np.arange(12, dtype=np.float32).reshape(3, 4)
    expected = keras.utils.normalize(x32, axis=1)
    assert normalize(x32, axis=1).dtype == expected.dtype
    np.testing.assert_allclose(normalize(x32, axis=1), expected, rtol=1e-6)


@given(
    labels=hnp.arrays(
        np.int64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), elements=st.integers(0, 11)
    ),
    extra=st.integers(0, 3),
)
def test_argmax_inverts_to_categorical(labels, extra):
    squeezed = labels[..., 0] if labels.ndim > 1 and labels.shape[-1] == 1 else labels
    num_classes = int(labels.max()) + 1 + extra
    onehot = to_categorical(labels, num_classes)
    assert onehot.shape == squeezed.shape + (num_classes,)
    np.testing.assert_array_equal(np.argmax(onehot, axis=-1), squeezed)
    np.testing.assert_array_equal(onehot.sum(axis=-1), 1.0)
    flat = np.argmax(onehot, axis=-1).reshape(-1)
    np.testing.assert_array_equal(
        to_categorical(flat, num_classes), onehot.reshape(-1, num_classes)
    )


@given(st.integers(1, 8), st.lists(st.integers(0, 7), min_size=1, max_size=20))
def test_to_categorical_of_argmax_rebuilds_one_hot(num_classes, picks):
    onehot = np.eye(num_classes)[[p % num_classes for p in picks]]
    np.testing.assert_array_equal(to_categorical(onehot.argmax(axis=1), num_classes), onehot)


def test_label_too_large_is_our_error_not_index_error():
    with pytest.raises(KerasnpError) as info:
        to_categorical([0, 3, 1], num_classes=2)
    message = str(info.value)
    assert "label 3" in message and "num_classes=2" in message and "[0, 1]" in message
    assert "num_classes=4" in message


def test_negative_label_is_an_error_not_a_wrap():
    with pytest.raises(KerasnpError, match="one is -2") as info:
        to_categorical([1, -2, 0])
    assert "return_inverse" in str(info.value)
    with pytest.raises(KerasnpError, match="one is -1"):
        to_categorical([[0], [-1]], num_classes=3)


@pytest.mark.parametrize(
    "x, num_classes, words",
    [
        ([], None, "pass num_classes"),
        ([np.nan, 1.0], None, "NaN or inf"),
        ([np.inf], 3, "NaN or inf"),
        (["a", "b"], None, "cannot read the labels as integers"),
        ([object()], None, "cannot read the labels as integers"),
        ([1, 2], -1, "integer >= 0 or None"),
        ([1, 2], 3.0, "integer >= 0 or None"),
        ([1, 2], True, "integer >= 0 or None"),
        ([1, 2], "3", "integer >= 0 or None"),
    ],
)
def test_bad_input(x, num_classes, words):
    with pytest.raises(KerasnpError, match=words):
        to_categorical(x, num_classes=num_classes)


def test_errors_are_also_value_errors():
    with pytest.raises(ValueError):
        to_categorical([5], num_classes=2)


# -- normalize ---------------------------------------------------------------------------


def test_normalize_by_hand():
    x = np.array([[3.0, 4.0], [0.0, 0.0], [-1.0, 0.0]])
    np.testing.assert_allclose(normalize(x), [[0.6, 0.8], [0.0, 0.0], [-1.0, 0.0]])
    np.testing.assert_allclose(normalize(x, order=1), [[3 / 7, 4 / 7], [0, 0], [-1, 0]])
    np.testing.assert_allclose(normalize(x, order=np.inf), [[0.75, 1.0], [0, 0], [-1, 0]])
    cube = 3.0 ** (1 / 3) * np.array([[1.0, 1.0, 1.0]])
    np.testing.assert_allclose(normalize(cube, order=3), np.full((1, 3), 3 ** (-1 / 3)))


def test_normalize_other_axes_and_shapes():
    x = np.array([[3.0, 1.0], [4.0, 0.0], [0.0, 0.0]])  # not square: axis=0 is its own case
    np.testing.assert_allclose(normalize(x, axis=0), [[0.6, 1.0], [0.8, 0.0], [0.0, 0.0]])
    np.testing.assert_allclose(normalize(x, axis=-2), normalize(x, axis=0))
    vector = normalize(np.array([3.0, 4.0]))
    assert vector.shape == (2,)
    np.testing.assert_allclose(vector, [0.6, 0.8])
    cube = np.arange(24, dtype=np.float64).reshape(2, 3, 4)
    out = normalize(cube, axis=1)
    assert out.shape == cube.shape
    norms = np.linalg.norm(out, axis=1)
    np.testing.assert_allclose(norms[norms > 0], 1.0)


def test_normalize_dtypes_and_copy():
    x32 = np.array([[3.0, 4.0]], dtype=np.float32)
    assert normalize(x32).dtype == np.float32
    assert normalize([[3, 4]]).dtype == np.float64
    x = np.array([[3.0, 4.0]])
    normalize(x)
    np.testing.assert_array_equal(x, [[3.0, 4.0]])


@given(
    hnp.arrays(
        np.float64,
        hnp.array_shapes(min_dims=1, max_dims=3, max_side=5),
        elements=st.integers(-1000, 1000).map(float),
    ),
    st.sampled_from([1, 2, 3, np.inf]),
)
def test_normalized_rows_have_unit_norm(x, order):
    out = normalize(x, order=order)
    norms = np.linalg.norm(out, ord=order, axis=-1)
    original = np.linalg.norm(x, ord=order, axis=-1)
    np.testing.assert_allclose(norms[original > 0], 1.0, rtol=1e-9)
    np.testing.assert_array_equal(out[original == 0], 0.0)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"order": 0}, "argument `order`"),
        ({"order": -1}, "argument `order`"),
        ({"order": "l2"}, "argument `order`"),
        ({"order": True}, "argument `order`"),
        ({"axis": 2}, "argument `axis`.*\\[-2, 1\\]"),
        ({"axis": None}, "argument `axis`"),
        ({"axis": 1.0}, "argument `axis`"),
    ],
)
def test_normalize_bad_arguments(kwargs, words):
    with pytest.raises(KerasnpError, match=words):
        normalize(np.ones((2, 2)), **kwargs)


@pytest.mark.parametrize("x", [np.float64(3.0), np.array(["a", "b"])])
def test_normalize_bad_input(x):
    with pytest.raises(KerasnpError, match="array of numbers with at least one axis"):
        normalize(x)
