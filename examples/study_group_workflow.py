"""The study note's whole workflow on the bundled MNIST, step by step.

1. preprocess: float32, scale to [0, 1], flatten, one-hot;
2. hold out validation data three ways: slicing, train_test_split, and
   fit(validation_split=...);
3. fight overfitting: an L2 ("weight decay") model and a Dropout model,
   compared with a plain one on the same data and seed;
4. read the learning curves with the lab's diagnosis.

    python examples/study_group_workflow.py --subset 6000 --epochs 8
"""

import argparse

import kerasnp as keras
from kerasnp import layers, regularizers
from kerasnp.lab import diagnose
from kerasnp.utils import to_categorical, train_test_split


def build(kind: str) -> keras.Sequential:
    """The note's models: plain, with L2 on each hidden layer, or with Dropout."""
    l2 = regularizers.l2(0.001) if kind == "l2" else None
    model = keras.Sequential()
    model.add(keras.Input(shape=(784,)))
    model.add(layers.Dense(256, "relu", kernel_regularizer=l2))
    if kind == "dropout":
        model.add(layers.Dropout(0.3))
    model.add(layers.Dense(128, "relu", kernel_regularizer=l2))
    if kind == "dropout":
        model.add(layers.Dropout(0.3))
    model.add(layers.Dense(10, activation="softmax"))
    # one-hot labels -> categorical_crossentropy (integer labels -> the sparse one)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subset", type=int, default=6000, help="training images to use")
    parser.add_argument("--epochs", type=int, default=8)
    args = parser.parse_args(argv)

    # 1. Preprocess.
    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    x_train, y_train = x_train[: args.subset], y_train[: args.subset]
    x_train = x_train.astype("float32").reshape(len(x_train), -1) / 255.0
    x_test = x_test.astype("float32").reshape(len(x_test), -1) / 255.0
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)

    # 2. Three ways to hold out validation data.
    n_val = len(x_train) // 5
    x_tr, x_val = x_train[:-n_val], x_train[-n_val:]                      # slicing
    y_tr, y_val = y_train[:-n_val], y_train[-n_val:]
    x_tr2, x_val2, y_tr2, y_val2 = train_test_split(                      # train_test_split
        x_train, y_train, test_size=0.2, random_state=0, stratify=y_train.argmax(axis=1))
    print(f"slicing: {len(x_tr)} train / {len(x_val)} validation; "
          f"train_test_split: {len(x_tr2)} / {len(x_val2)} (stratified); "
          f"fit(validation_split=0.2) holds out the last {n_val}.")

    # 3. Plain, L2 and Dropout models on the same data and seed.
    results = {}
    for kind in ("plain", "l2", "dropout"):
        keras.utils.set_random_seed(0)
        model = build(kind)
        if kind == "plain":
            history = model.fit(x_tr, y_tr, validation_data=(x_val, y_val),
                                epochs=args.epochs, verbose=0)
        elif kind == "l2":
            history = model.fit(x_tr2, y_tr2, validation_data=(x_val2, y_val2),
                                epochs=args.epochs, verbose=0)
        else:
            history = model.fit(x_train, y_train, validation_split=0.2,
                                epochs=args.epochs, verbose=0)
        test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
        verdict = diagnose(history, num_classes=10).verdict
        results[kind] = (history.history, test_acc, verdict)

    # 4. Compare: the gap between training and validation accuracy, and the verdict.
    print(f"{'model':<8} {'train acc':>9} {'val acc':>8} {'gap':>6} {'test acc':>8}  verdict")
    for kind, (h, test_acc, verdict) in results.items():
        gap = h["accuracy"][-1] - h["val_accuracy"][-1]
        print(f"{kind:<8} {h['accuracy'][-1]:9.4f} {h['val_accuracy'][-1]:8.4f} "
              f"{gap:6.3f} {test_acc:8.4f}  {verdict}")
    return results


if __name__ == "__main__":
    main()
