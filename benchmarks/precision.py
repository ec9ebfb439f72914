"""float32 against mixed_bfloat16 training on this CPU: ``python benchmarks/precision.py``.

1. Throughput: for every network the profiles train (Figure 5's Generic, Deep
   and spectral-pooling nets; Figure 4(b)'s spectral net at several depths, its
   max-pooling twin and the equal-size control), ``train_on_batch`` images per
   second in each precision on the same prepared batches, after one warm-up
   step; the ratio bf16 / fp32 is measured in the same run. The 1-minute load
   average before it starts is recorded: well above 0, other work shared the
   cores and slowed both precisions.
2. Accuracy: one run (the max-pooling twin, M = 3, on a real CIFAR-10 slice)
   trained in both precisions from the same seed on the same batches; the
   per-epoch validation errors should differ by less than two binomial standard
   errors of the validation split, ``2 sqrt(2 p (1 - p) / n)``.

bfloat16 is fast only where the CPU has AMX or AVX512-BF16; the CPU's flags are
recorded beside the numbers. ``results/benchmark_precision.json`` keeps one entry
per CPU (machine and flags): a run replaces this CPU's entry and keeps the others.
"""

from __future__ import annotations

import argparse
import math
import os
import tempfile
import time

import numpy as np

from spectral_lib import inputs, preprocessing, training
from spectral_lib.files import read_json, write_json
from spectral_lib.repro import build, paper, run_settings
from spectral_lib.repro.profiles import project_root
from spectral_lib.repro.store import code_version
from spectral_lib.utils import cpu_flags, machine, versions

PRECISIONS = ("float32", "mixed_bfloat16")
SGD = {  # Figure 4(b)'s training: the paper's optimum, no augmentation
    "optimizer": "sgd",
    "learning_rate": paper.OPTIMUM["learning_rate"],
    "momentum": paper.OPTIMUM["momentum"],
    "augmentation": False,
}
NETWORKS = {
    "Generic 3x3 (Figure 5)": {"architecture": "generic"},
    "Deep 3x3 (Figure 5)": {"architecture": "deep"},
    "Sp. Pooling M = 3 (Figure 5)": {"architecture": "spectral_pooling"},
    "spectral net M = 1 (Figure 4(b))": {"architecture": "spectral_pooling", "num_layers": 1, **SGD},
    "spectral net M = 6 (Figure 4(b))": {"architecture": "spectral_pooling", "num_layers": 6, **SGD},
    "spectral net M = 12 (Figure 4(b))": {"architecture": "spectral_pooling", "num_layers": 12, **SGD},
    "max-pooling twin M = 6": {
        "architecture": "spectral_pooling",
        "num_layers": 6,
        "pooling": "max",
        "alpha": None,
        "beta": None,
        **SGD,
    },
    "spectral to the twin's sizes M = 6": {
        "architecture": "spectral_pooling",
        "num_layers": 6,
        "pooling": "spectral_half",
        **SGD,
    },
}


def throughput(run: dict, steps: int, seed=0) -> float:
    """Images per second of ``train_on_batch`` over ``steps`` random standardized batches (one warm-up step)."""
    model = build.build_model(run)
    rng = np.random.default_rng(seed)
    b = run["batch_size"]
    x = rng.standard_normal((b, 32, 32, 3)).astype("float32")
    y = rng.integers(0, 10, b)
    model.train_on_batch(x, y)
    start = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(x, y)
    return steps * b / (time.perf_counter() - start)


def paired_curves(train_images: int, validation_images: int, epochs: int) -> dict:
    """Validation errors per epoch of the same run in both precisions, from the same seed and batches."""
    from spectral_lib import data

    cifar = data.load_cifar10()
    x, y = cifar.train.x[:train_images], cifar.train.y[:train_images]
    xv, yv = cifar.train.x[-validation_images:], cifar.train.y[-validation_images:]
    prepare = preprocessing.Standardize(x)
    out = {}
    for precision in PRECISIONS:
        run = run_settings.settings(
            architecture="spectral_pooling",
            num_layers=3,
            pooling="max",
            alpha=None,
            beta=None,
            precision=precision,
            **SGD,
        )
        model = build.build_model(run)
        batches = inputs.training_batches(
            prepare(x), y, batch_size=run["batch_size"], seed=0, epochs=epochs, augmentation=False
        )
        with tempfile.TemporaryDirectory() as tmp:
            history = training.fit(
                model,
                iter(batches),
                epochs=epochs,
                run_dir=tmp,
                steps_per_epoch=len(x) // run["batch_size"],
                shuffle=False,
                verbose=0,
                validation_data=(prepare(xv), yv),
                validation_batch_size=500,
            )
        out[precision] = [1 - a for a in history["val_accuracy"]]
    bound = [2 * math.sqrt(2 * p * (1 - p) / validation_images) for p in out["float32"]]
    out["within_two_standard_errors"] = all(
        abs(a - b) < s for a, b, s in zip(out["float32"], out["mixed_bfloat16"], bound)
    )
    out["two_standard_errors"] = bound
    return out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=3, help="timed training steps per network and precision")
    parser.add_argument("--train-images", type=int, default=2048, help="training images of the paired accuracy check")
    parser.add_argument("--validation-images", type=int, default=2000, help="its validation images")
    parser.add_argument("--epochs", type=int, default=3, help="its epochs")
    args = parser.parse_args(argv)
    start, rows, load = time.perf_counter(), [], os.getloadavg()[0]
    for label, settings in NETWORKS.items():
        speed = {p: throughput(run_settings.settings(**settings, precision=p), args.steps) for p in PRECISIONS}
        rows.append(
            {
                "network": label,
                "settings": settings,
                **{f"{p}_images_per_s": v for p, v in speed.items()},
                "ratio": speed["mixed_bfloat16"] / speed["float32"],
            }
        )
        print(
            f"{label}: float32 {speed['float32']:.0f} img/s, mixed_bfloat16 {speed['mixed_bfloat16']:.0f} img/s, "
            f"bf16 / fp32 {rows[-1]['ratio']:.2f}",
            flush=True,
        )
    paired = paired_curves(args.train_images, args.validation_images, args.epochs)
    print(
        f"paired check: float32 {paired['float32']}, mixed_bfloat16 {paired['mixed_bfloat16']}, within two "
        f"standard errors: {paired['within_two_standard_errors']}",
        flush=True,
    )
    entry = {
        "machine": machine(),
        "commit": code_version(),
        "cpu_flags": cpu_flags(),
        "versions": versions(),
        "steps": args.steps,
        "batch_size": run_settings.DEFAULTS["batch_size"],
        "seconds": round(time.perf_counter() - start, 1),
        "load_average_before": load,
        "rows": rows,
        "paired": {
            "network": "max-pooling twin M = 3",
            "train_images": args.train_images,
            "validation_images": args.validation_images,
            "epochs": args.epochs,
            **paired,
        },
    }
    path = project_root() / "results" / "benchmark_precision.json"
    others = [
        m
        for m in (read_json(path)["machines"] if path.exists() else [])
        if (m["machine"], m["cpu_flags"]) != (entry["machine"], entry["cpu_flags"])
    ]
    write_json(path, {"machines": [*others, entry]})


if __name__ == "__main__":
    main()
