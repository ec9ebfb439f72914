"""How to compute spectral pooling fast: formulations timed against max pooling.

All formulations compute the same operator as ``SpectralPooling2D`` (checked
against the layer before timing, to 1e-4 in float32). Each is timed forward
plus backward (gradient with respect to the input) on the pooling shapes of
the Generic network and on larger maps, with and without XLA, as a ratio to
``tf.nn.max_pool2d`` (3x3, stride 2, same padding) in the same run, median of
--reps repetitions, variants interleaved.

    python benchmarks/formulations.py
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import tensorflow as tf

from spectral_lib import fourier, ops
from spectral_lib.files import write_json
from spectral_lib.repro import report
from spectral_lib.repro.profiles import project_root
from spectral_lib.repro.store import code_version
from spectral_lib.utils import machine, versions


def _fold(size_in: int, size_out: int) -> np.ndarray:
    """0/1 matrix (H, M): input frequency bin -> output bin of the band |k| <= H/2."""
    fold = np.zeros((size_out, size_in))
    for k in {k % size_in: k for k in range(-(size_out // 2), size_out // 2 + 1)}.values():
        fold[k % size_out, k % size_in] = 1
    return fold


def fft_crop(x, a_h, a_w):
    """FFT -> fold-crop the band -> inverse FFT (channels moved to the front)."""
    _, m, n, _ = x.shape
    h, w = a_h.shape[0], a_w.shape[0]
    f_h, f_w = (tf.constant(_fold(m, h), tf.complex64), tf.constant(_fold(n, w), tf.complex64))
    y = tf.signal.fft2d(tf.cast(tf.transpose(x, (0, 3, 1, 2)), tf.complex64))
    z = tf.matmul(tf.matmul(f_h, y), f_w, transpose_b=True)
    out = tf.math.real(tf.signal.ifft2d(z)) * (h * w / (m * n))
    return tf.transpose(out, (0, 2, 3, 1))


def einsum_two(x, a_h, a_w):
    return tf.einsum("wn,bhnc->bhwc", a_w, tf.einsum("hm,bmnc->bhnc", a_h, x))


def einsum_one(x, a_h, a_w):
    return tf.einsum("hm,bmnc,wn->bhwc", a_h, x, a_w)


def transpose_matmul(x, a_h, a_w):
    y = tf.matmul(tf.matmul(a_h, tf.transpose(x, (0, 3, 1, 2))), a_w, transpose_b=True)
    return tf.transpose(y, (0, 2, 3, 1))


def kronecker(x, a_h, a_w):
    b, m, n, c = x.shape
    h, w = a_h.shape[0], a_w.shape[0]
    k = tf.reshape(tf.einsum("hm,wn->hwmn", a_h, a_w), (h * w, m * n))
    return tf.reshape(tf.matmul(k[None], tf.reshape(x, (b, m * n, c))), (b, h, w, c))


def reshape_matmul(x, a_h, a_w):
    """The library's formulation (ops.apply_separable)."""
    return ops.apply_separable(x, a_h, a_w)


FORMULATIONS = {
    "FFT, crop, inverse FFT": fft_crop,
    "einsum, two steps": einsum_two,
    "einsum, one call": einsum_one,
    "transpose + matmul": transpose_matmul,
    "dense Kronecker matrix": kronecker,
    "batched matmul on reshapes (library)": reshape_matmul,
}

SHAPES = [(128, 32, 96, 16), (128, 16, 192, 8), (32, 64, 96, 32), (8, 128, 96, 64)]  # batch, M, C, H


def run(jit: bool, reps: int) -> list[dict]:
    rows = []
    for batch, m, c, h in SHAPES:
        x = tf.random.normal((batch, m, m, c), seed=0)
        g = tf.random.normal((batch, h, h, c), seed=1)
        a = tf.constant(fourier.pool_matrix(m, h), tf.float32)
        reference = reshape_matmul(x, a, a)
        steps = {}
        for name, fn in {"max pooling": lambda x, a_h, a_w: tf.nn.max_pool2d(x, 3, 2, "SAME"), **FORMULATIONS}.items():
            if name != "max pooling":
                np.testing.assert_allclose(fn(x, a, a), reference, atol=1e-4, err_msg=name)

            @tf.function(jit_compile=jit)
            def step(x, fn=fn):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    loss = tf.reduce_sum(fn(x, a, a) * g)
                return tape.gradient(loss, x)

            step(x)
            steps[name] = step
        times = {name: [] for name in steps}
        for _ in range(reps):
            for name, step in steps.items():
                start = time.perf_counter()
                step(x).numpy()
                times[name].append(time.perf_counter() - start)
        base = statistics.median(times["max pooling"])
        rows.append(
            {
                "shape": f"{batch}x{m}x{m}x{c} -> {h}x{h}",
                "jit_compile": jit,
                "max_pool_ms": round(1e3 * base, 2),
                "ratio_to_max_pool": {
                    n: round(statistics.median(t) / base, 2) for n, t in times.items() if n != "max pooling"
                },
            }
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--no-save", action="store_true", help="print only; keep results/ untouched")
    args = parser.parse_args()
    start = time.perf_counter()
    rows = run(False, args.reps) + run(True, args.reps)
    if not args.no_save:
        write_json(
            project_root() / "results" / "benchmark_formulations.json",
            {
                "machine": machine(),
                "commit": code_version(),
                "versions": versions(),
                "reps": args.reps,
                "seconds": round(time.perf_counter() - start),
                "rows": rows,
            },
        )
        report.update()


if __name__ == "__main__":
    main()
