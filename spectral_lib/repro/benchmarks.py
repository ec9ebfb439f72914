"""The benchmarks' README sections: each reads the results file its script of ``benchmarks/`` writes
(``results/<name>.json``); registered in :data:`experiment.BUILTIN` after the experiments."""

from __future__ import annotations

from spectral_lib.repro import experiment
from spectral_lib.repro.fig5 import ARCHITECTURES


def minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def where(bench: dict) -> str:
    """The machine a benchmark ran on and the commit it ran at (files written before they named it: the
    machine alone)."""
    return bench["machine"] + (f" at {bench['commit']}" if bench.get("commit") else "")


def _span(values) -> str:
    low, high = min(values), max(values)
    return f"{low:.2f}x" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}-{high:.2f}x"


def pooling_table(runs: list[dict]) -> list[str]:
    """Markdown rows of ``benchmarks/pooling.py`` runs."""
    lines = [
        "| input | XLA | network | train img/s | train ratio | inference ratio | step memory ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for run in runs:
        for name, row in run["variants"].items():
            lines.append(
                f"| {run['size']}x{run['size']}, batch {run['batch']} | {'on' if run['jit_compile'] else 'off'} "
                f"| {name} | {row['train_images_per_s']:.0f} | {row['train_ratio']:.2f} "
                f"| {row['infer_ratio']:.2f} | {row['memory_ratio']:.2f} |"
            )
    return lines


class Pooling(experiment.Benchmark):
    name = "benchmark_pooling"
    title = "Speed of the layers"
    script = "benchmarks/pooling.py"

    def readme_section(self, bench: dict | None) -> list[str]:
        if bench is None:
            return []
        lines = [
            f"Measured by `python {self.script}` ({minutes(bench['seconds'])}) on {where(bench)} "
            f"(TensorFlow {bench['versions']['tensorflow']}); Generic network, 3x3 filters, Adam; ratios to the "
            f"max-pooling network of the same run, median of {bench['runs'][0]['reps']} interleaved repetitions.",
            "",
        ]
        for jit in (False, True):
            runs = [r for r in bench["runs"] if r["jit_compile"] == jit]
            if not runs:
                continue
            sizes = ", ".join(f"{r['size']}x{r['size']}" for r in runs)
            row = lambda name, key: _span([r["variants"][name][key] for r in runs])  # noqa: E731
            lines.append(
                f"- XLA {'on' if jit else 'off'} ({sizes}): training throughput of the spectral-pooling network "
                f"{row('spectral pooling', 'train_ratio')} of the max-pooling one, with frequency dropout "
                f"{row('spectral pooling + freq. dropout', 'train_ratio')}; inference "
                f"{row('spectral pooling', 'infer_ratio')}; peak memory of a training step "
                f"{row('spectral pooling', 'memory_ratio')} (with dropout "
                f"{row('spectral pooling + freq. dropout', 'memory_ratio')}). `SpectralConv2D` step time over "
                f"`Conv2D`: " + ", ".join(f"{100 * r['spectral_conv_step_overhead']:+.1f} %" for r in runs) + "."
            )
        where_ = lambda r: f"{r['size']}x{r['size']}, XLA {'on' if r['jit_compile'] else 'off'}"  # noqa: E731
        train = min(
            (r["variants"][n]["train_ratio"], f"{n}, {where_(r)}")
            for r in bench["runs"]
            for n in r["variants"]
            if n.startswith("spectral pooling")
        )
        overhead = max((r["spectral_conv_step_overhead"], where_(r)) for r in bench["runs"])
        lines += [
            "",
            f"Targets: spectral-pooling training throughput at least 0.9x max pooling's: "
            f"{'met' if train[0] >= 0.9 else 'not met'} (lowest {train[0]:.2f}x, {train[1]}); `SpectralConv2D` "
            f"step overhead at most 3 %: {'met' if overhead[0] <= 0.03 else 'not met'} (highest "
            f"{100 * overhead[0]:+.1f} %, {overhead[1]}).",
        ]
        return lines + [""] + pooling_table(bench["runs"])


class Harness(experiment.Benchmark):
    name = "benchmark_harness"
    title = "Speed of the experiment harness"
    script = "benchmarks/harness.py"

    def readme_section(self, bench: dict | None) -> list[str]:
        if bench is None:
            return []
        rows = "; ".join(
            f"{ARCHITECTURES[r['architecture']]} {r['kernel_size']}x{r['kernel_size']}: "
            f"{r['harness_images_per_s']:.0f} vs {r['bare_images_per_s']:.0f} img/s, {r['ratio']:.2f}x"
            for r in bench["rows"]
        )
        low = min(r["ratio"] for r in bench["rows"])
        return [
            f"Measured by `python {self.script}` ({minutes(bench['seconds'])}) on {where(bench)}: training "
            "throughput of the experiment harness (seeded batches with flips and translations, `model.fit` "
            "with checkpoints and history) against a bare `train_on_batch` loop on prepared batches without "
            f"augmentation, same network, batch 128, median of {bench['reps']} interleaved repetitions: {rows}. "
            f"Target at least 0.9x: {'met' if low >= 0.9 else 'not met'} (lowest {low:.2f}x).",
        ]


class Formulations(experiment.Benchmark):
    name = "benchmark_formulations"
    title = "Formulations of spectral pooling"
    script = "benchmarks/formulations.py"

    def readme_section(self, bench: dict | None) -> list[str]:
        if bench is None:
            return []
        names = list(bench["rows"][0]["ratio_to_max_pool"])
        lines = [
            f"Measured by `python {self.script}` ({minutes(bench['seconds'])}) on {where(bench)}: "
            "forward plus backward of the pooling alone, time as a ratio to `tf.nn.max_pool2d` (3x3, stride 2) "
            f"in the same run, median of {bench['reps']} interleaved repetitions; every formulation computes the "
            "same operator (checked before timing).",
            "",
            "| maps | XLA | max pool (ms) | " + " | ".join(names) + " |",
            "|---" * (len(names) + 3) + "|",
        ]
        for row in bench["rows"]:
            ratios = " | ".join(f"{row['ratio_to_max_pool'][n]:.2f}" for n in names)
            lines.append(
                f"| {row['shape']} | {'on' if row['jit_compile'] else 'off'} | {row['max_pool_ms']:.1f} | {ratios} |"
            )
        return [*lines, "", fastest(bench["rows"])]


def fastest(rows: list[dict]) -> str:
    """Which formulation is fastest in how many of the timed shapes, without XLA and with it."""
    parts = []
    for jit in (False, True):
        timed = [row["ratio_to_max_pool"] for row in rows if row["jit_compile"] == jit]
        winners = [min(ratios, key=ratios.get) for ratios in timed]
        counts = ", ".join(f"{name} in {winners.count(name)}" for name in dict.fromkeys(winners))
        parts.append(f"{'with' if jit else 'without'} XLA {counts} of the {len(timed)} shapes")
    return f"Fastest by this table: {'; '.join(parts)}."


class Precision(experiment.Benchmark):
    name = "benchmark_precision"
    title = "float32 and bfloat16 training on a CPU"
    script = "benchmarks/precision.py"

    def readme_section(self, bench: dict | None) -> list[str]:
        """One table per CPU of ``benchmarks/precision.py``'s entries."""
        if bench is None:
            return []
        lines = []
        for entry in bench["machines"]:
            lines += self.on_machine(entry) + [""]
        return lines[:-1]

    def on_machine(self, bench: dict) -> list[str]:
        """The section of one CPU's entry."""
        flags = ", ".join(f"{k} {'yes' if v else 'no'}" for k, v in bench["cpu_flags"].items())
        ratios = [r["ratio"] for r in bench["rows"]]
        load = bench.get("load_average_before")  # recorded since the second CPU's entry
        load = (
            ""
            if load is None
            else (
                f" The 1-minute load average before it started was {load:.1f} (other work on the "
                "cores; near 0 on an idle machine)."
            )
        )
        lines = [
            f"`python {self.script}` on {where(bench)} ({flags}): `train_on_batch` throughput, batch "
            f"{bench['batch_size']}, {bench['steps']} timed steps each, both precisions in the same run; bf16 / fp32 "
            f"from {min(ratios):.2f} to {max(ratios):.2f}.{load}",
            "",
            "| network | float32 (img/s) | mixed_bfloat16 (img/s) | bf16 / fp32 |",
            "|---|---|---|---|",
        ]
        lines += [
            f"| {r['network']} | {r['float32_images_per_s']:.4g} | {r['mixed_bfloat16_images_per_s']:.4g} | "
            f"{r['ratio']:.2f} |"
            for r in bench["rows"]
        ]
        p = bench["paired"]
        curves = "; ".join(
            f"epoch {i + 1}: {100 * a:.1f} / {100 * b:.1f} % (2 s.e. {100 * s:.1f})"
            for i, (a, b, s) in enumerate(zip(p["float32"], p["mixed_bfloat16"], p["two_standard_errors"]))
        )
        lines += [
            "",
            f"Paired accuracy check ({p['network']}, {p['train_images']} training and {p['validation_images']} "
            f"validation images of CIFAR-10, same seed and batches), validation error float32 / mixed_bfloat16: "
            f"{curves}; within two binomial standard errors at every epoch: "
            f"{'yes' if p['within_two_standard_errors'] else 'no'}.",
        ]
        return lines


class Throughput(experiment.Benchmark):
    name = "benchmark_throughput"
    title = "Training throughput per device"
    script = "benchmarks/throughput.py"

    def readme_section(self, bench: dict | None) -> list[str]:
        """One table per device and backend of ``benchmarks/throughput.py``'s entries (rows measured before
        ``--steps-per-execution`` existed ran one step per call)."""
        if bench is None:
            return []
        lines = [
            f"`python {self.script}` (under `KERAS_BACKEND=jax` or another backend): training images per second "
            "of the harness's second epoch (`model.fit` on the package's batches, after a first epoch that "
            "compiles), the hours of one 150-epoch run of 45 000 images at that speed, and the fraction of the "
            "device's dense bfloat16 peak counting the convolutions' and dense layers' FLOPs only (a lower bound). "
            "Steps per call: how many training steps one call of the compiled step runs (`--steps-per-execution`; "
            "the same training, fewer dispatches from the host), each measured beside one step per call.",
        ]
        for entry in bench["devices"]:
            lines += [
                "",
                f"{entry['device']} under {entry['backend']}, host {where(entry)}, {entry['steps']} steps of batch "
                f"{entry['batch_size']} an epoch ({minutes(entry['seconds'])}):",
                "",
                "| network | precision | steps per call | img/s | h per run | GFLOP per image | of the bf16 peak |",
                "|---|---|---|---|---|---|---|",
            ]
            lines += [
                f"| {r['network']} | {r['precision']} | {r.get('steps_per_execution', 1)} | {r['images_per_s']:.0f} | "
                f"{r['hours_per_run']:.2f} | "
                f"{r['training_gflop_per_image']:.2f} | "
                + (f"{100 * r['fraction_of_bf16_peak']:.1f} % |" if r["fraction_of_bf16_peak"] else "- |")
                for r in entry["rows"]
            ]
        return lines
