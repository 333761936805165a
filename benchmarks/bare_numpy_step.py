"""The `seed` training step written as bare NumPy, with no library around it.

    python benchmarks/bare_numpy_step.py

The step of the `seed` recipe (784-128 relu, Dropout 0.2, 128-64 relu with
L2 1e-3, 64-10 softmax, sparse cross-entropy, Adam, batch 32) as straight
NumPy calls into preallocated arrays, timed over 1,500 steps with NumPy's
BLAS on one thread (as kerasnp's loops run it), in four cumulative stages:

  products      only the 8 matrix products of the step
  no_update     the whole forward and backward pass, no optimizer update
  numpy_adam    plus Adam as NumPy lines (12 passes per variable)
  fused_adam    plus Adam as kerasnp's compiled loop (needs numba)

It prints one JSON line of microseconds per step. This is the floor a
NumPy library can reach for the step, whatever its design: compare it with
`bench_training.py`'s `seed` epoch divided by 1,500 steps.
"""

from __future__ import annotations

import json
import time

import numpy as np

from kerasnp import _blas
from kerasnp.optimizers import fused

BATCH, STEPS = 32, 1500


def main() -> None:
    rng = np.random.default_rng(0)
    f32 = np.float32
    x_all = rng.random((STEPS * BATCH, 784), dtype=f32)
    labels = rng.integers(0, 10, STEPS * BATCH)
    sizes = [(784, 128), (128,), (128, 64), (64,), (64, 10), (10,)]
    params = [(rng.standard_normal(s) * 0.05).astype(f32) for s in sizes]
    grads = [np.empty_like(p) for p in params]
    moments = [np.zeros_like(p) for p in params]
    velocities = [np.zeros_like(p) for p in params]
    scratch = [np.empty_like(p) for p in params]
    w1, b1, w2, b2, w3, b3 = params
    h1, h2, z = (np.empty((BATCH, n), f32) for n in (128, 64, 10))
    d1, d2 = np.empty((BATCH, 128), f32), np.empty((BATCH, 64), f32)
    mask, zeros1, zeros2 = (np.zeros((BATCH, n), f32) for n in (128, 128, 64))
    rows = np.arange(BATCH)

    def products(x: np.ndarray) -> None:
        np.matmul(x, w1, out=h1)
        np.matmul(h1, w2, out=h2)
        np.matmul(h2, w3, out=z)
        np.matmul(h2.T, z, out=grads[4])
        np.matmul(z, w3.T, out=d2)
        np.matmul(h1.T, d2, out=grads[2])
        np.matmul(d2, w2.T, out=d1)
        np.matmul(x.T, d1, out=grads[0])

    def forward_backward(x: np.ndarray, y: np.ndarray) -> None:
        nonlocal h1, h2, z, d1, d2, mask  # updated in place (`+=` rebinds the same array)
        np.matmul(x, w1, out=h1)
        h1 += b1
        np.maximum(h1, zeros1, out=h1)
        np.less(rng.random((BATCH, 128), dtype=f32), f32(0.8), out=mask)
        mask *= f32(1.25)
        h1 *= mask
        np.matmul(h1, w2, out=h2)
        h2 += b2
        np.maximum(h2, zeros2, out=h2)
        np.matmul(h2, w3, out=z)
        z += b3
        z -= z.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        z[rows, y] -= 1.0
        z *= f32(1.0 / BATCH)
        np.matmul(h2.T, z, out=grads[4])
        z.sum(axis=0, out=grads[5])
        np.matmul(z, w3.T, out=d2)
        d2 *= h2 > 0
        np.matmul(h1.T, d2, out=grads[2])
        np.multiply(w2, f32(2e-3), out=scratch[2])
        grads[2] += scratch[2]
        d2.sum(axis=0, out=grads[3])
        np.matmul(d2, w2.T, out=d1)
        d1 *= mask
        d1 *= h1 > 0
        np.matmul(x.T, d1, out=grads[0])
        d1.sum(axis=0, out=grads[1])

    def numpy_adam(alpha: float) -> None:
        for p, g, m, v, t in zip(params, grads, moments, velocities, scratch, strict=True):
            np.subtract(g, m, out=t)
            t *= 0.1
            m += t
            np.multiply(g, g, out=t)
            t -= v
            t *= 0.001
            v += t
            np.sqrt(v, out=t)
            t += 1e-7
            np.divide(m, t, out=t)
            t *= alpha
            p -= t

    def fused_adam(alpha: float) -> None:
        for p, g, m, v in zip(params, grads, moments, velocities, strict=True):
            fused.run("adam", (g, m, v, p, None), (0.1, 0.001, 1e-7, alpha))

    def timed(stage: str) -> float:
        start = time.perf_counter()
        for i in range(STEPS):
            x = x_all[i * BATCH:(i + 1) * BATCH]
            if stage == "products":
                products(x)
                continue
            forward_backward(x, labels[i * BATCH:(i + 1) * BATCH])
            t = i + 1
            alpha = 0.001 * np.sqrt(1 - 0.999**t) / (1 - 0.9**t)
            if stage == "numpy_adam":
                numpy_adam(alpha)
            elif stage == "fused_adam":
                fused_adam(alpha)
        return (time.perf_counter() - start) / STEPS * 1e6

    stages = ["products", "no_update", "numpy_adam"] + (["fused_adam"] if fused.available()
                                                         else [])
    with _blas.limited(1):  # one BLAS thread, as kerasnp's loops for these products
        for stage in stages:  # a first pass warms the caches and compiles the loop
            timed(stage)
        result = {stage: round(timed(stage), 1) for stage in stages}
    print(json.dumps({"us_per_step": result, "steps": STEPS, "batch_size": BATCH}))


if __name__ == "__main__":
    main()
