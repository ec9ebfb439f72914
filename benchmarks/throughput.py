"""Training throughput of every network on the device present, CPU or GPU: ``python benchmarks/throughput.py``.

For each network of the reproduction (Figure 4(b)'s M = 6 spectral net, its max-pooling twin and its
equal-size control; Figure 5's Generic and Deep nets, 3x3 and 5x5) in float32 and mixed_bfloat16: the
training images per second of the harness's second epoch (``model.fit`` on the package's NumPy batches,
Keras' default compilation: XLA on JAX, and on TensorFlow where it applies), after a first epoch that
builds and compiles; the hours one 150-epoch run of 45 000 images takes at that speed; and the fraction
of the device's peak it reaches, counting the FLOPs of the convolutions and dense layers (a training step
as three forward passes: the pass itself and the gradients of inputs and weights; the spectral pooling's
DFTs and the elementwise work are left out, so the fraction is a lower bound). Run it under each backend
with ``KERAS_BACKEND``. ``--steps-per-execution 13 39`` also measures ``fit`` compiled to run that many
steps per call (fewer dispatches from the host, the same training), each beside one step per call in the
same run. ``results/benchmark_throughput.json`` keeps one entry per device and backend: a run replaces its
own and keeps the others.
"""

from __future__ import annotations

import argparse
import os
import time

import keras
import numpy as np
from harness import epochs
from precision import NETWORKS, PRECISIONS

from spectral_lib.files import read_json, write_json
from spectral_lib.repro import paper, run_settings, table4b
from spectral_lib.repro.build import build_model
from spectral_lib.repro.profiles import project_root
from spectral_lib.repro.store import code_version
from spectral_lib.utils import device, machine, versions

MEASURED = {  # the networks the campaigns train
    "spectral net M = 6 (Figure 4(b))": NETWORKS["spectral net M = 6 (Figure 4(b))"],
    "max-pooling twin M = 6": NETWORKS["max-pooling twin M = 6"],
    "spectral to the twin's sizes M = 6": NETWORKS["spectral to the twin's sizes M = 6"],
    **{
        f"{name} {k}x{k} (Figure 5)": {"architecture": architecture, "kernel_size": k}
        for architecture, name in (("generic", "Generic"), ("deep", "Deep"))
        for k in (3, 5)
    },
}
# Dense bfloat16 tensor-core rate of the device, FLOP/s: NVIDIA's datasheet (H200 SXM: 989 TFLOP/s without
# sparsity). A device not named here gets no fraction.
PEAK_BF16 = {"NVIDIA H200": 989e12}
RUN_IMAGES = paper.EPOCHS * table4b.Table.config("cpu")["train_images"]  # one 150-epoch run of Figure 4(b)


def training_flops(model: keras.Model) -> float:
    """FLOPs of one training image through the convolutions and dense layers: three times the forward
    pass's ``2 H_out W_out k_h k_w C_in C_out`` per convolution and ``2 n_in n_out`` per dense layer."""
    forward = 0
    for layer in model._flatten_layers(include_self=False):
        kernel = getattr(layer, "kernel", None)
        if kernel is None:
            continue
        if len(kernel.shape) == 4:
            _, height, width, _ = layer.output.shape
            forward += 2 * height * width * int(np.prod(kernel.shape))
        elif len(kernel.shape) == 2:
            forward += 2 * int(np.prod(kernel.shape))
    return 3.0 * forward


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=100, help="training steps per epoch timed (a GPU needs ~100)")
    parser.add_argument("--only", nargs="+", choices=list(MEASURED), help="measure these networks only")
    parser.add_argument(
        "--steps-per-execution",
        type=int,
        nargs="+",
        default=[],
        metavar="K",
        help="also measure K steps per call of the compiled step (each K must divide --steps)",
    )
    args = parser.parse_args(argv)
    if args.steps < 1:
        parser.error(f"--steps must be positive, got {args.steps}")
    if any(k < 1 or args.steps % k for k in args.steps_per_execution):
        parser.error(f"--steps-per-execution must divide --steps ({args.steps}), got {args.steps_per_execution}")
    per_call = sorted({1, *args.steps_per_execution})
    name, backend = device(), keras.backend.backend()
    peak = PEAK_BF16.get(name)
    rng = np.random.default_rng(0)
    rows, start, load = [], time.perf_counter(), os.getloadavg()[0]
    for label, overrides in MEASURED.items():
        if args.only and label not in args.only:
            continue
        for precision in PRECISIONS:
            run = run_settings.settings(**overrides, precision=precision)
            n = args.steps * run["batch_size"]
            x = rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
            y = rng.integers(0, 10, n)
            flops = training_flops(build_model(run))
            for k in per_call:
                first, second = epochs(run, x, y, args.steps, k)
                speed = n / second
                if k == 1:  # per_call starts at 1: the baseline of the others
                    one_step = speed
                row = {
                    "network": label,
                    "settings": overrides,
                    "precision": precision,
                    "steps_per_execution": k,
                    "images_per_s": speed,
                    "first_epoch_extra_s": first - second,
                    "hours_per_run": RUN_IMAGES / speed / 3600,
                    "training_gflop_per_image": flops / 1e9,
                    "fraction_of_bf16_peak": flops * speed / peak if peak else None,
                }
                rows.append(row)
                fraction = f", {100 * row['fraction_of_bf16_peak']:.1f} % of the bf16 peak" if peak else ""
                ratio = f" ({speed / one_step:.2f}x one step per call)" if k > 1 else ""
                print(
                    f"{label}, {precision}, {k} step(s) per call: {speed:.0f} img/s{ratio}, "
                    f"{row['hours_per_run']:.2f} h per 150-epoch run, {row['training_gflop_per_image']:.2f} "
                    f"GFLOP/image{fraction}, compile and warm-up {max(0.0, row['first_epoch_extra_s']):.0f} s",
                    flush=True,
                )
    entry = {
        "device": name,
        "backend": backend,
        "machine": machine(),
        "commit": code_version(),
        "versions": versions(),
        "peak_bf16_flops": peak,
        "steps": args.steps,
        "batch_size": run_settings.DEFAULTS["batch_size"],
        "seconds": round(time.perf_counter() - start, 1),
        "load_average_before": load,
        "rows": rows,
    }
    path = project_root() / "results" / "benchmark_throughput.json"
    kept = read_json(path)["devices"] if path.exists() else []
    others = [e for e in kept if (e["device"], e["backend"]) != (name, backend)]
    write_json(path, {"devices": [*others, entry]})


if __name__ == "__main__":
    main()
