"""Throughput of the experiment harness against bare ``train_on_batch``: ``python benchmarks/harness.py``.

The harness (:func:`spectral_lib.repro.runs.train`: seeded NumPy batches
with augmentation, ``model.fit`` with checkpoints and history) must not be the
bottleneck on 2 cores: its training throughput should be at least 0.9x that of
a loop of ``model.train_on_batch`` on pre-standardized, pre-batched tensors
without augmentation, for the same network, measured in the same run
(interleaved, median of repetitions). Writes ``results/benchmark_harness.json``.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time

import numpy as np

from spectral_lib import inputs, preprocessing, training
from spectral_lib.files import write_json
from spectral_lib.repro import build, run_settings
from spectral_lib.repro.profiles import project_root
from spectral_lib.repro.store import code_version
from spectral_lib.utils import machine, versions


def bare(run: dict, x: np.ndarray, y: np.ndarray, steps: int) -> float:
    """Images per second of ``train_on_batch`` over ``steps`` prepared batches (after one warm-up step)."""
    model = build.build_model(run)
    xs = preprocessing.Standardize(x)(x)
    b = run["batch_size"]
    batches = [(xs[i * b : (i + 1) * b], y[i * b : (i + 1) * b]) for i in range(steps + 1)]
    model.train_on_batch(*batches[0])
    start = time.perf_counter()
    for xb, yb in batches[1:]:
        model.train_on_batch(xb, yb)
    return steps * b / (time.perf_counter() - start)


def epochs(run: dict, x: np.ndarray, y: np.ndarray, steps: int, steps_per_execution: int = 1) -> list[float]:
    """Seconds of the harness's two epochs of ``steps`` steps of ``run`` (the first one builds, compiles and
    warms up), on the images ``x`` and labels ``y``, ``steps_per_execution`` steps per call
    (:func:`build.build_model`)."""
    model = build.build_model(run, steps_per_execution)
    n = steps * run["batch_size"]
    batches = inputs.training_batches(
        preprocessing.Standardize(x)(x[:n]), y[:n], batch_size=run["batch_size"], seed=0, epochs=2,
        augmentation=run["augmentation"],
    )  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        history = training.fit(model, iter(batches), epochs=2, run_dir=tmp, steps_per_epoch=steps, verbose=0)
    return history["epoch_seconds"]


def harness(run: dict, x: np.ndarray, y: np.ndarray, steps: int) -> float:
    """Images per second of the harness's second epoch of ``steps`` steps (:func:`epochs`)."""
    return steps * run["batch_size"] / epochs(run, x, y, steps)[1]


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20, help="training steps per measurement")
    parser.add_argument("--reps", type=int, default=3, help="interleaved repetitions")
    args = parser.parse_args(argv)
    rng = np.random.default_rng(0)
    rows, start = [], time.perf_counter()
    for architecture in ("generic", "deep"):
        run = run_settings.settings(architecture=architecture)
        n = (args.steps + 1) * run["batch_size"]
        x = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
        y = rng.integers(0, 10, n)
        b, h = [], []
        for _ in range(args.reps):
            b.append(bare(run, x, y, args.steps))
            h.append(harness(run, x, y, args.steps))
        row = {
            "architecture": architecture,
            "kernel_size": 3,
            "bare_images_per_s": statistics.median(b),
            "harness_images_per_s": statistics.median(h),
        }
        row["ratio"] = row["harness_images_per_s"] / row["bare_images_per_s"]
        rows.append(row)
        print(
            f"{architecture} 3x3: bare {row['bare_images_per_s']:.0f} img/s, harness "
            f"{row['harness_images_per_s']:.0f} img/s, ratio {row['ratio']:.2f} (target >= 0.9)",
            flush=True,
        )
    write_json(
        project_root() / "results" / "benchmark_harness.json",
        {
            "machine": machine(),
            "commit": code_version(),
            "versions": versions(),
            "steps": args.steps,
            "reps": args.reps,
            "seconds": round(time.perf_counter() - start, 1),
            "rows": rows,
        },
    )


if __name__ == "__main__":
    main()
