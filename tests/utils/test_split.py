"""train_test_split: scikit-learn's sizes and semantics, stratification, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kerasnp._errors import KerasnpError
from kerasnp.utils.random import set_random_seed
from kerasnp.utils.split import split_sizes, train_test_split

sklearn_split = pytest.importorskip("sklearn.model_selection").train_test_split


def _sklearn_sizes(n, test_size, train_size):
    """(n_train, n_test) from scikit-learn, or None where it refuses."""
    try:
        train, test = sklearn_split(
            np.arange(n), test_size=test_size, train_size=train_size, shuffle=False
        )
    except ValueError:
        return None
    return len(train), len(test)


def _our_sizes(n, test_size, train_size):
    try:
        train, test = train_test_split(
            np.arange(n), test_size=test_size, train_size=train_size, random_state=0
        )
    except KerasnpError:
        return None
    assert len(np.intersect1d(train, test)) == 0
    return len(train), len(test)


def _size(n):
    return st.one_of(
        st.none(),
        st.floats(-0.2, 1.2, allow_nan=False),
        st.sampled_from([0.1, 0.2, 0.25, 0.3, 1 / 3, 0.5, 0.7, 0.75, 0.9, 0.99, 0.999]),
        st.integers(-2, n + 2),
    )


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_sizes_match_sklearn(data):
    n = data.draw(st.integers(1, 150), label="n")
    test_size = data.draw(_size(n), label="test_size")
    train_size = data.draw(_size(n), label="train_size")
    assert _our_sizes(n, test_size, train_size) == _sklearn_sizes(n, test_size, train_size)


@pytest.mark.parametrize(
    "n, test_size, train_size",
    [
        (10, None, None),
        (4, None, None),
        (1, None, None),
        (2, None, None),
        (3, 0.5, None),
        (7, 0.3, None),
        (100, 0.29, None),
        (100, 0.57, None),
        (1000, 0.001, None),
        (10, None, 0.33),
        (10, 0.2, 0.5),
        (10, 0.5, 0.5),
        (10, 0.3, 0.7),
        (10, 0.6, 0.5),
        (10, 3, None),
        (10, None, 9),
        (10, 3, 7),
        (10, 3, 8),
        (10, 0.3, 7),
        (10, 3, 0.7),
        (10, 0.31, 7),
        (10, 9, None),
        (10, 10, None),
        (10, 0, None),
        (10, 1.0, None),
        (10, 0.0, None),
        (10, None, 1.0),
        (59, 0.1, None),
        (60000, 0.1, None),
        (70000, 1 / 7, None),
        (10, np.int64(2), np.int32(5)),
        (10, np.float64(0.3), None),
    ],
)
def test_sizes_match_sklearn_on_edge_cases(n, test_size, train_size):
    assert _our_sizes(n, test_size, train_size) == _sklearn_sizes(n, test_size, train_size)


@given(st.integers(1, 200), st.floats(0.01, 0.99))
def test_float32_sizes_are_accepted_as_their_float_value(n, fraction):
    # scikit-learn refuses NumPy float32 sizes; we take them at their value.
    single = np.float32(fraction)
    for kwargs in ({"test_size": single}, {"train_size": single}):
        as_float = {k: float(v) for k, v in kwargs.items()}
        try:
            expected = split_sizes(n, **as_float)
        except KerasnpError:
            with pytest.raises(KerasnpError):
                split_sizes(n, **kwargs)
        else:
            assert split_sizes(n, **kwargs) == expected


def test_default_is_a_quarter_for_test():
    assert split_sizes(10) == (7, 3)
    assert split_sizes(4) == (3, 1)


def test_no_shuffle_takes_the_first_rows_for_training():
    x = np.arange(20).reshape(10, 2)
    y = list("abcdefghij")
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, train_size=0.5, shuffle=False
    )
    np.testing.assert_array_equal(x_train, x[:5])
    np.testing.assert_array_equal(x_test, x[5:7])
    assert y_train == list("abcde") and y_test == list("fg")


def test_shuffled_split_is_a_partition_that_keeps_rows_together():
    x = np.arange(30).reshape(15, 2)
    y = np.arange(15) * 10
    x_train, x_test, y_train, y_test = train_test_split(x, y, random_state=3)
    assert len(x_train) == len(y_train) == 11 and len(x_test) == len(y_test) == 4
    np.testing.assert_array_equal(x_train[:, 0] * 5, y_train)
    np.testing.assert_array_equal(x_test[:, 0] * 5, y_test)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == y.tolist()
    assert y_train.tolist() != sorted(y_train.tolist())  # it did shuffle


def test_containers_keep_their_kind():
    x_list = [[i, i] for i in range(8)]
    a_train, a_test, b_train, b_test, c_train, c_test = train_test_split(
        x_list, np.arange(8), tuple(range(8)), random_state=0
    )
    assert isinstance(a_train, list) and isinstance(a_test, list)
    assert isinstance(b_train, np.ndarray)
    assert isinstance(c_train, list)
    assert [row[0] for row in a_train] == b_train.tolist() == c_train


def test_random_state_reproducibility():
    x = np.arange(100)
    first = train_test_split(x, random_state=42)
    again = train_test_split(x, random_state=np.int64(42))
    other = train_test_split(x, random_state=43)
    np.testing.assert_array_equal(first[0], again[0])
    assert not np.array_equal(first[0], other[0])
    from_generator = train_test_split(x, random_state=np.random.default_rng(42))
    np.testing.assert_array_equal(from_generator[1], first[1])


def test_random_state_none_follows_the_global_seed():
    x = np.arange(50)
    set_random_seed(7)
    first = train_test_split(x)
    second = train_test_split(x)
    set_random_seed(7)
    np.testing.assert_array_equal(train_test_split(x)[0], first[0])
    assert not np.array_equal(first[0], second[0])


def _class_counts(labels, classes):
    return np.array([np.sum(labels == c) for c in classes])


def test_stratified_exact_proportions():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    x = np.arange(100)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=0.2, stratify=y, random_state=0
    )
    assert _class_counts(y_test, [0, 1, 2]).tolist() == [10, 6, 4]
    assert _class_counts(y_train, [0, 1, 2]).tolist() == [40, 24, 16]
    np.testing.assert_array_equal(y[x_train], y_train)
    assert len(np.intersect1d(x_train, x_test)) == 0


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(2, 40), min_size=2, max_size=6),
    st.floats(0.05, 0.6),
    st.integers(0, 2**16),
)
def test_stratified_proportions_and_sizes_match_sklearn(counts, test_size, seed):
    y = np.repeat(np.arange(len(counts)), counts)
    n = len(y)
    classes = np.arange(len(counts))
    try:
        theirs = sklearn_split(y, test_size=test_size, stratify=y, random_state=seed)
    except ValueError:
        with pytest.raises(KerasnpError):
            train_test_split(y, test_size=test_size, stratify=y, random_state=seed)
        return
    ours = train_test_split(y, test_size=test_size, stratify=y, random_state=seed)
    assert [len(a) for a in ours] == [len(a) for a in theirs]
    n_train, n_test = len(ours[0]), len(ours[1])
    train_counts = _class_counts(ours[0], classes)
    test_counts = _class_counts(ours[1], classes)
    # Each class gets its share of the training set, rounded down or up...
    share = np.array(counts) * n_train / n
    assert np.all(train_counts >= np.floor(share - 1e-9))
    assert np.all(train_counts <= np.ceil(share + 1e-9))
    # ...and of the test set, out of what the training set left.
    left = np.array(counts) - train_counts
    share = left * n_test / left.sum()
    assert np.all(test_counts >= np.floor(share - 1e-9))
    assert np.all(test_counts <= np.ceil(share + 1e-9))
    # scikit-learn's per-class counts obey the same rounding, so they differ by at most one.
    assert np.all(np.abs(train_counts - _class_counts(theirs[0], classes)) <= 1)


def test_stratified_with_one_hot_and_string_labels():
    y = np.eye(3)[np.repeat([0, 1, 2], [6, 6, 8])]
    y_train, y_test = train_test_split(y, test_size=0.5, stratify=y, random_state=1)
    assert y_test.sum(axis=0).tolist() == [3, 3, 4]
    names = ["cat"] * 6 + ["dog"] * 4
    train, test = train_test_split(names, test_size=0.5, stratify=names, random_state=0)
    assert sorted(test) == ["cat"] * 3 + ["dog"] * 2


def test_stratified_is_reproducible():
    y = np.repeat([0, 1], [13, 7])
    a = train_test_split(np.arange(20), stratify=y, random_state=5)
    b = train_test_split(np.arange(20), stratify=y, random_state=5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


@pytest.mark.parametrize(
    "args, kwargs, words",
    [
        ((), {}, "at least one array"),
        ((np.arange(3), np.arange(4)), {}, "same number of samples.*\\[3, 4\\]"),
        ((np.float64(3.0),), {}, "no length"),
        ((np.array(5),), {}, "no length"),
        ((np.arange(10),), {"test_size": 0}, "argument `test_size`.*\\[1, 9\\]"),
        ((np.arange(10),), {"test_size": 10}, "argument `test_size`"),
        ((np.arange(10),), {"test_size": 1.0}, "argument `test_size`.*\\(0, 1\\)"),
        ((np.arange(10),), {"test_size": -0.1}, "argument `test_size`"),
        ((np.arange(10),), {"test_size": float("nan")}, "argument `test_size`"),
        ((np.arange(10),), {"test_size": True}, "argument `test_size`"),
        ((np.arange(10),), {"test_size": "0.2"}, "argument `test_size`"),
        ((np.arange(10),), {"train_size": 1.5}, "argument `train_size`"),
        ((np.arange(10),), {"test_size": 0.5, "train_size": 0.6}, "add up to 1.1"),
        ((np.arange(10),), {"test_size": 5, "train_size": 6}, "6 \\+ 5 = 11 .* only 10"),
        ((np.arange(1),), {}, "leave no sample for training"),
        ((np.arange(10),), {"shuffle": "yes"}, "argument `shuffle`"),
        ((np.arange(10),), {"random_state": -1}, "argument `random_state`"),
        ((np.arange(10),), {"random_state": 1.5}, "argument `random_state`"),
        ((np.arange(10),), {"random_state": np.random.RandomState(0)}, "argument `random_state`"),
        ((np.arange(4),), {"stratify": [0, 0, 1, 1], "shuffle": False}, "needs shuffle=True"),
        ((np.arange(4),), {"stratify": [0, 0, 1]}, "one label per sample \\(4\\)"),
        ((np.arange(5),), {"stratify": [0, 0, 1, 1, 2]}, "single sample \\(2\\)"),
        (
            (np.arange(6),),
            {"stratify": [0, 0, 1, 1, 2, 2]},
            "test set would have 2 samples, fewer than the 3 classes",
        ),
        (
            (np.arange(8),),
            {"stratify": [0, 0, 1, 1, 2, 2, 3, 3], "test_size": 0.3},
            "test set would have 3 samples, fewer",
        ),
        (
            (np.arange(8),),
            {"stratify": [0, 0, 1, 1, 2, 2, 3, 3], "test_size": 5},
            "train set would have 3 samples, fewer than the 4 classes",
        ),
    ],
)
def test_errors(args, kwargs, words):
    with pytest.raises(KerasnpError, match=words):
        train_test_split(*args, **kwargs)


def test_sklearn_splits_kerasnp_mnist():
    from kerasnp.datasets import mnist

    (x_train, y_train), _ = mnist.load_data()
    x_a, x_b, y_a, y_b = sklearn_split(
        x_train, y_train, test_size=0.1, stratify=y_train, random_state=0
    )
    assert x_a.shape == (54000, 28, 28) and x_b.shape == (6000, 28, 28)
    assert y_a.dtype == np.uint8 and np.bincount(y_b).sum() == 6000
    ours = train_test_split(x_train, y_train, test_size=0.1, stratify=y_train, random_state=0)
    assert [a.shape for a in ours] == [x_a.shape, x_b.shape, y_a.shape, y_b.shape]
    np.testing.assert_array_equal(np.bincount(ours[3]), np.bincount(y_b))
