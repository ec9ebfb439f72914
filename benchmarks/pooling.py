"""Speed and memory of spectral pooling and SpectralConv2D against max pooling and Conv2D.

Builds the Generic network (the paper's section 5, 3x3 filters) with max, average and
spectral pooling (plain and with frequency dropout c = 0.3) and with
SpectralConv2D, and measures in one run, variants interleaved so that drift of
the machine hits all alike: training and inference throughput (images/s of
``train_on_batch`` / ``predict_on_batch`` on one batch, median of --reps
repetitions) and the peak memory of a training step above
the memory held before it (TensorFlow's allocator statistics, median of 3 steps). Everything is
printed as a ratio to the max-pooling network of the same run. For inputs
larger than CIFAR's the flatten before FC^1024 becomes a global average pool
and the batch shrinks to keep the pixels per batch constant.

    python benchmarks/pooling.py                 # 32, 64, 128, XLA off and on, writes results/
    python benchmarks/pooling.py --sizes 32 --reps 3 --no-save
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

# TensorFlow keeps allocator statistics of the CPU (the step memory below) only with its BFC
# allocator, which must be chosen before TensorFlow is imported.
os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from spectral_lib import models  # noqa: E402
from spectral_lib.files import write_json  # noqa: E402
from spectral_lib.repro import benchmarks, report  # noqa: E402
from spectral_lib.repro.profiles import project_root  # noqa: E402
from spectral_lib.repro.store import code_version  # noqa: E402
from spectral_lib.utils import machine, versions  # noqa: E402

VARIANTS = {
    "max pooling": dict(pool="max"),
    "average pooling": dict(pool="avg"),
    "spectral pooling": dict(pool="spectral"),
    "spectral pooling + freq. dropout": dict(pool="spectral", frequency_dropout=0.3),
    "SpectralConv2D + max pooling": dict(pool="max", conv="spectral"),
}


def _build(size: int, jit: bool, **kwargs) -> keras.Model:
    keras.utils.set_random_seed(0)
    model = models.generic(input_shape=(size, size, 3), global_pool=size > 32, **kwargs)
    model.compile(
        keras.optimizers.Adam(1e-3),
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=jit,
    )
    return model


def _per_image(fn, images: int, steps: int) -> float:
    """Images per second over ``steps`` calls of ``fn``."""
    start = time.perf_counter()
    for _ in range(steps):
        fn()
    return images * steps / (time.perf_counter() - start)


def _peak_step_memory(model, x, y, steps: int = 3) -> float:
    """Median over ``steps`` training steps of the allocator's peak above what was held before."""
    peaks = []
    for _ in range(steps):
        tf.config.experimental.reset_memory_stats("CPU:0")
        before = tf.config.experimental.get_memory_info("CPU:0")["current"]
        model.train_on_batch(x, y)
        peaks.append(tf.config.experimental.get_memory_info("CPU:0")["peak"] - before)
    return statistics.median(peaks)


def run_size(size: int, jit: bool, reps: int, steps: int) -> dict:
    batch = max(1, 128 * 32 * 32 // (size * size))
    rng = np.random.default_rng(0)
    x = tf.constant(rng.random((batch, size, size, 3), dtype=np.float32))
    y = tf.constant(rng.integers(0, 10, batch))
    built = {name: _build(size, jit, **kwargs) for name, kwargs in VARIANTS.items()}
    memory = {}
    for name, model in built.items():  # compile and warm up, then one step's memory
        for _ in range(2):
            model.train_on_batch(x, y)
            model.predict_on_batch(x)
        memory[name] = _peak_step_memory(model, x, y)
    train = {name: [] for name in built}
    infer = {name: [] for name in built}
    for _ in range(reps):  # interleaved: machine drift hits every variant alike
        for name, model in built.items():
            train[name].append(_per_image(lambda: model.train_on_batch(x, y), batch, steps))
            infer[name].append(_per_image(lambda: model.predict_on_batch(x), batch, steps))
    base = "max pooling"
    rows = {}
    for name in built:
        t, i = statistics.median(train[name]), statistics.median(infer[name])
        rows[name] = {
            "train_images_per_s": round(t, 1),
            "infer_images_per_s": round(i, 1),
            "peak_step_memory_mb": round(memory[name] / 2**20, 1),
            "train_ratio": round(t / statistics.median(train[base]), 3),
            "infer_ratio": round(i / statistics.median(infer[base]), 3),
            "memory_ratio": round(memory[name] / memory[base], 3),
        }
    conv = statistics.median(train["SpectralConv2D + max pooling"])
    return {
        "size": size,
        "batch": batch,
        "jit_compile": jit,
        "reps": reps,
        "steps": steps,
        "variants": rows,
        "spectral_conv_step_overhead": round(statistics.median(train[base]) / conv - 1, 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[32, 64, 128])
    parser.add_argument("--xla", choices=["off", "on", "both"], default="both")
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--steps", type=int, default=5, help="timed steps per repetition")
    parser.add_argument("--no-save", action="store_true", help="print only; keep results/ untouched")
    args = parser.parse_args()
    start = time.perf_counter()
    runs = []
    for size in args.sizes:
        for jit in {"off": [False], "on": [True], "both": [False, True]}[args.xla]:
            runs.append(run_size(size, jit, args.reps, args.steps))
            print("\n".join(benchmarks.pooling_table(runs[-1:])), flush=True)
            print(
                "SpectralConv2D training-step overhead vs Conv2D: "
                f"{100 * runs[-1]['spectral_conv_step_overhead']:+.1f} %\n"
            )
    print(f"Machine: {machine()}, TensorFlow {tf.__version__}\n\n" + "\n".join(benchmarks.pooling_table(runs)))
    if not args.no_save:
        write_json(
            project_root() / "results" / "benchmark_pooling.json",
            {
                "machine": machine(),
                "commit": code_version(),
                "versions": versions(),
                "seconds": round(time.perf_counter() - start),
                "runs": runs,
            },
        )
        report.update()


if __name__ == "__main__":
    main()
