"""Train the benchmark recipes with kerasnp and print one JSON line.

    python benchmarks/bench_training.py                    # seed and mnist_mlp
    python benchmarks/bench_training.py --recipe seed --epochs 5

Recipes (MNIST, pixels / 255, integer labels, sparse categorical
cross-entropy, metrics=["accuracy"]):

  seed       Dense(128, relu) -> Dropout(0.2) -> Dense(64, relu, L2 1e-3)
             -> Dense(10, softmax); Adam; batch 32; validation_split 0.2
  mnist_mlp  Dense(512, relu) -> Dropout(0.2) -> Dense(512, relu) ->
             Dropout(0.2) -> Dense(10, softmax); RMSprop; batch 128;
             the test set as validation data
  tiny       Dense(20, relu, L2 1e-3) -> Dense(4, relu, L2 1e-3) ->
             Dense(10, softmax); Adam; batch 32; validation_split 0.2

Each recipe runs in a fresh process, so its import time and peak memory
are its own. Per recipe the line holds:

  epoch_s           every epoch's wall seconds (training + validation, timed
                    from on_epoch_begin to on_epoch_end, as compare.py does)
  steady_epoch_s    the median of the epochs after the first
  floor_epoch_s     the matrix-multiply floor of one epoch: only the products
                    of the same shapes (forward, kernel gradients, input
                    gradients below the first layer for every training batch;
                    forward for every validation batch), into preallocated
                    arrays, multiplied in three ways, the fastest counting:
                    large products split in two by rows over two threads
                    (rows_split), split by the kernel's rows as `fit` splits
                    them (kernel_halves, the forward's two terms added), and
                    as plain NumPy with the BLAS's default threads
                    (default_threads); floor_epoch_s_by_way holds all three.
                    The first two are measured again after every epoch
                    (outside its time), as the machine's speed drifts, the
                    third once after training; the steady epochs' median
  floor_ratio       the median over the steady epochs of each epoch's time
                    divided by its floor: the fastest of the two ways
                    measured right after it and the BLAS-threads way
                    measured after training
  test_accuracy     after the last epoch, on the 10,000 test images
  predict_images_per_s, evaluate_images_per_s   on the test images, batch 32
  fused_optimizer   whether the optimizer update ran as one compiled loop
                    (numba installed; `KERASNP_FUSED=0` turns it off)
  spinning_helper   whether the spinning helper took parts of products
                    (numba installed; `KERASNP_SPIN=0` turns it off)
  import_s          `import kerasnp` (NumPy already imported)
  peak_rss_mb       the process's peak resident memory

Absolute times on shared machines are noisy; ratios measured in one run
are what to compare (see benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

RECIPES = ("seed", "mnist_mlp", "tiny")


def build(keras, recipe: str):
    """The recipe's compiled model, batch size and validation arguments."""
    L, R = keras.layers, keras.regularizers
    if recipe == "seed":
        layers = [L.Dense(128, activation="relu"), L.Dropout(0.2),
                  L.Dense(64, activation="relu", kernel_regularizer=R.l2(1e-3)),
                  L.Dense(10, activation="softmax")]
        optimizer, batch = keras.optimizers.Adam(), 32
    elif recipe == "mnist_mlp":
        layers = [L.Dense(512, activation="relu"), L.Dropout(0.2),
                  L.Dense(512, activation="relu"), L.Dropout(0.2),
                  L.Dense(10, activation="softmax")]
        optimizer, batch = keras.optimizers.RMSprop(), 128
    elif recipe == "tiny":
        layers = [L.Dense(20, activation="relu", kernel_regularizer=R.l2(1e-3)),
                  L.Dense(4, activation="relu", kernel_regularizer=R.l2(1e-3)),
                  L.Dense(10, activation="softmax")]
        optimizer, batch = keras.optimizers.Adam(), 32
    else:
        raise SystemExit(f"unknown recipe {recipe!r}; choose from {', '.join(RECIPES)}")
    model = keras.Sequential([keras.Input(shape=(784,))] + layers)
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model, batch


def load_mnist(keras):
    """Float32 pixels in [0, 1], scaled in place (no second copy of the data)."""
    (x, y), (xt, yt) = keras.datasets.mnist.load_data()
    x = x.reshape(-1, 784).astype("float32")
    x /= 255.0
    xt = xt.reshape(-1, 784).astype("float32")
    xt /= 255.0
    return x, y.astype("int64"), xt, yt.astype("int64")


def _batch_sizes(n: int, batch: int) -> list[tuple[int, int]]:
    """`[(rows, how many batches)]` of an epoch over `n` samples."""
    full, rest = divmod(n, batch)
    return [(batch, full)] + ([(rest, 1)] if rest else [])


def _numpy_product(a: np.ndarray, b: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.matmul(a, b, out=out)


def matmul_floor(dims: list[int], n_train: int, n_val: int, batch: int,
                 ways: tuple | None = None, repeats: int = 3) -> float:
    """Seconds of the matrix products alone in one epoch of an MLP `dims`.
    `ways`: how to compute a forward product `x @ kernel`, a kernel gradient
    `x.T @ g` and an input gradient `g @ kernel.T`, each as `f(a, b, out)`
    (the input gradient's `b` is the kernel); NumPy's by default."""
    forward, kernel_grad, input_grad = ways or (
        _numpy_product, _numpy_product, lambda g, k, out: np.matmul(g, k.T, out=out))
    rng = np.random.default_rng(0)
    kernels = [rng.standard_normal((a, b), dtype=np.float32) * 0.05
               for a, b in zip(dims[:-1], dims[1:], strict=True)]

    def products(rows: int, count: int, backward: bool) -> float:
        acts = [rng.random((rows, d), dtype=np.float32) for d in dims]
        outs = [np.empty((rows, d), dtype=np.float32) for d in dims]
        grads = [np.empty_like(k) for k in kernels]
        start = time.perf_counter()
        for _ in range(count):
            for i, k in enumerate(kernels):
                forward(acts[i], k, outs[i + 1])
            if backward:
                for i in range(len(kernels) - 1, -1, -1):
                    kernel_grad(acts[i].T, acts[i + 1], grads[i])
                    if i > 0:
                        input_grad(acts[i + 1], kernels[i], outs[i])
        return time.perf_counter() - start

    def epoch() -> float:
        total = sum(products(r, c, True) for r, c in _batch_sizes(n_train, batch))
        return total + sum(products(r, c, False) for r, c in _batch_sizes(n_val, batch))

    return min(epoch() for _ in range(repeats))


def floor_ways(dims: list[int], n_train: int, n_val: int, batch: int) -> dict[str, float]:
    """One epoch's matrix-multiply floor (`matmul_floor`, best of 2) split as
    `fit` can split products on the BLAS's one thread: by rows, as
    `_parallel.matmul` does, and by the kernels' rows, as the layers do."""
    from kerasnp import _parallel

    rows_split = (_parallel.matmul, _parallel.matmul,
                  lambda g, k, out: _parallel.matmul(g, k.T, out))
    kernel_halves = (_parallel.kernel_product, _parallel.matmul,
                     _parallel.transposed_kernel_product)
    return {way: matmul_floor(dims, n_train, n_val, batch, ways, repeats=2)
            for way, ways in (("rows_split", rows_split), ("kernel_halves", kernel_halves))}


def run_recipe(recipe: str, epochs: int, seed: int) -> dict:
    start = time.perf_counter()
    import kerasnp as keras
    from kerasnp import _spinning
    from kerasnp.optimizers import fused

    import_s = time.perf_counter() - start
    keras.utils.set_random_seed(seed)
    x, y, xt, yt = load_mnist(keras)
    model, batch = build(keras, recipe)
    times: list[float] = []
    floors: list[dict[str, float]] = []
    dims = [784] + [layer.units for layer in model.layers if hasattr(layer, "units")]
    n_train = len(x) if recipe == "mnist_mlp" else int(len(x) * 0.8)
    n_val = len(xt) if recipe == "mnist_mlp" else len(x) - n_train

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.t = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            times.append(time.perf_counter() - self.t)
            # the floor right after the epoch it is compared with (this machine's
            # speed drifts by 20-30 % within the hour), outside the timed window
            floors.append(floor_ways(dims, n_train, n_val, batch))

    fit = {"validation_data": (xt, yt)} if recipe == "mnist_mlp" else {"validation_split": 0.2}
    history = model.fit(x, y, batch_size=batch, epochs=epochs, verbose=0, callbacks=[Clock()],
                        **fit)
    loss, acc = model.evaluate(xt, yt, verbose=0)

    start = time.perf_counter()
    model.predict(xt, verbose=0)
    predict_s = time.perf_counter() - start
    start = time.perf_counter()
    model.evaluate(xt, yt, verbose=0)
    evaluate_s = time.perf_counter() - start

    # plain NumPy with the BLAS's own threads, once after training (its threads
    # keep spinning for a while after a product: they would slow the next epoch)
    default_threads = matmul_floor(dims, n_train, n_val, batch, repeats=2)
    for f in floors:
        f["default_threads"] = default_threads
    steady = times[1:] or times
    ratios = [t / min(f.values()) for t, f in zip(times, floors, strict=True)][-len(steady):]
    by_way = {way: statistics.median(f[way] for f in floors[-len(steady):])
              for way in floors[0]}
    return {
        "recipe": recipe, "epochs": epochs, "batch_size": batch,
        "fused_optimizer": fused.available(),
        "spinning_helper": _spinning.spinner() is not None,
        "epoch_s": [round(t, 4) for t in times],
        "steady_epoch_s": round(statistics.median(steady), 4),
        "floor_epoch_s": round(statistics.median(min(f.values()) for f in floors[-len(steady):]),
                               4),
        "floor_ratio": round(statistics.median(ratios), 3),
        "floor_epoch_s_by_way": {way: round(t, 4) for way, t in by_way.items()},
        "test_accuracy": round(float(acc), 5), "test_loss": round(float(loss), 5),
        "history": {k: round(float(v[-1]), 5) for k, v in history.history.items()},
        "predict_images_per_s": round(len(xt) / predict_s),
        "evaluate_images_per_s": round(len(xt) / evaluate_s),
        "import_s": round(import_s, 3),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--recipe", action="append", choices=RECIPES,
                        help="a recipe to run (repeatable). Defaults to seed and mnist_mlp.")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    recipes = args.recipe or ["seed", "mnist_mlp"]
    if args.child:
        print(json.dumps(run_recipe(recipes[0], args.epochs, args.seed)))
        return
    results = {}
    for recipe in recipes:
        cmd = [sys.executable, os.path.abspath(__file__), "--child", "--recipe", recipe,
               "--epochs", str(args.epochs), "--seed", str(args.seed)]
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{recipe} failed:\n{done.stderr[-3000:]}")
        results[recipe] = json.loads(done.stdout.strip().splitlines()[-1])
    blas = {}
    try:
        from kerasnp import _blas

        blas = {"blas_threads": _blas.threads()}
    except ImportError:
        pass
    machine = {"python": platform.python_version(), "numpy": np.__version__,
               "cpus": os.cpu_count(), **blas,
               "env": {k: v for k, v in os.environ.items()
                       if k.startswith(("OPENBLAS_", "OMP_", "KERASNP_"))}}
    print(json.dumps({"machine": machine, "recipes": results}))


if __name__ == "__main__":
    main()
