"""The study-group workflow on the bundled MNIST, written as for Keras.

Change the imports to `from tensorflow import keras` and it runs on Keras;
with kerasnp it needs nothing but NumPy.

    python examples/study_group_mlp.py --epochs 5
"""

import argparse

import numpy as np

import kerasnp as keras
from kerasnp import layers, regularizers
from kerasnp.utils import to_categorical


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--subset", type=int, default=0, help="train on the first N images")
    parser.add_argument("--verbose", type=int, default=1)
    args = parser.parse_args(argv)
    keras.utils.set_random_seed(0)

    # 1. Load, cast to float32, scale to [0, 1], flatten, one-hot encode.
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    if args.subset:
        x_train, y_train = x_train[: args.subset], y_train[: args.subset]
    x_train = x_train.astype("float32").reshape(len(x_train), -1) / 255.0
    x_test = x_test.astype("float32").reshape(len(x_test), -1) / 255.0
    y_train, y_test = to_categorical(y_train), to_categorical(y_test)

    # 2. The model: L2 ("weight decay") on the hidden layers, then Dropout.
    model = keras.Sequential()
    model.add(keras.Input(shape=(784,)))
    model.add(layers.Dense(128, "relu", kernel_regularizer=regularizers.l2(0.001)))
    model.add(layers.Dropout(0.2))
    model.add(layers.Dense(64, "relu", kernel_regularizer=regularizers.l2(0.001)))
    model.add(layers.Dense(10, activation="softmax"))
    # One-hot labels go with categorical_crossentropy (integer labels with the sparse one).
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.summary()

    # 3. Train, holding out the last 20% for validation.
    history = model.fit(x_train, y_train, epochs=args.epochs, batch_size=32,
                        validation_split=0.2, verbose=args.verbose)

    # 4. Evaluate and predict.
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    predicted = np.argmax(model.predict(x_test[:10], verbose=0), axis=1)
    print(f"test loss {loss:.4f}, test accuracy {accuracy:.4f}")
    print("first 10 predictions:", predicted.tolist(), "labels:",
          np.argmax(y_test[:10], axis=1).tolist())
    return history, accuracy


if __name__ == "__main__":
    main()
