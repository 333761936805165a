"""Small standard data sets, as in `keras.datasets`.

- `mnist`: handwritten digits, bundled with kerasnp (works offline).
- `fashion_mnist`: clothes; found on disk or downloaded once into a cache.
- `idx`: read and write the IDX files both are published in.

Each `load_data()` returns ``((x_train, y_train), (x_test, y_test))`` as
uint8 NumPy arrays, as Keras does.
"""

from . import fashion_mnist, idx, mnist

__all__ = ["fashion_mnist", "idx", "mnist"]
