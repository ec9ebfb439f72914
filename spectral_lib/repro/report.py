"""The README's generated parts: the results section, from the reference results files only, and the
table of profiles and the choices the paper leaves open, from the settings.

``python -m spectral_lib.repro.report`` rewrites the parts of README.md between each pair of
markers below (:data:`BLOCKS`) from every registered experiment (:mod:`spectral_lib.repro.experiment`):
its rows of the table of claims, its section and the benchmarks'; what it runs in each profile; its
choices. The pipeline does it after every reference run and a test fails when README.md and the
results files or settings disagree.
"""

from __future__ import annotations

import sys
from pathlib import Path

from spectral_lib.repro import experiment, profiles, results
from spectral_lib.repro.fig5 import ARCHITECTURES
from spectral_lib.repro.profiles import REFERENCE, project_root

START = "<!-- results:start: written by `python -m spectral_lib.repro.report` from results/; do not edit by hand -->"
END = "<!-- results:end -->"
CHOICES_START = (
    "<!-- choices:start: written by `python -m spectral_lib.repro.report` from the settings; do not edit by hand -->"
)
CHOICES_END = "<!-- choices:end -->"
PROFILES_START = (
    "<!-- profiles:start: written by `python -m spectral_lib.repro.report` from the settings; do not edit by hand -->"
)
PROFILES_END = "<!-- profiles:end -->"


def _load(name: str) -> dict | None:
    """A benchmark's results file (``results/<name>.json``), ``None`` if not run."""
    path = project_root() / "results" / f"{name}.json"
    return results.read_json(path) if path.exists() else None


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 60 else f"{seconds:.0f} s"


def _claims(recorded: dict) -> list[str]:
    """README's table of claims: every experiment's verdicts with their evidence, then the times."""
    lines = ["| paper item | notebook | claim | verdict | evidence |", "|---|---|---|---|---|"]
    for exp, summary in recorded.items():
        if summary is None:
            lines.append(f"| {exp.paper_item} | `{exp.notebook}` | - | not yet recorded | see its section below |")
        else:
            lines += exp.readme_items(summary)
    timings = _load(f"pipeline_{REFERENCE}")
    if timings:
        times = ", ".join(f"`{name}` {_minutes(s)}" for name, s in timings["notebooks"].items())
        lines += [
            "",
            f"Profile `{timings['profile']}`; time to execute each notebook from its recorded runs on "
            f"{timings['machine']}: {times}. The machines that trained the runs are named in each section.",
        ]
    return lines


def _span(values) -> str:
    low, high = min(values), max(values)
    return f"{low:.2f}x" if f"{low:.2f}" == f"{high:.2f}" else f"{low:.2f}-{high:.2f}x"


def _benchmark(bench: dict) -> list[str]:
    lines = [
        f"Measured by `python benchmarks/pooling.py` ({_minutes(bench['seconds'])}) on {bench['machine']} "
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
    train = [r["variants"][n]["train_ratio"] for r in bench["runs"] for n in r["variants"] if n.startswith("spectral")]
    overhead = [r["spectral_conv_step_overhead"] for r in bench["runs"]]
    lines += [
        "",
        f"Targets: spectral-pooling training throughput at least 0.9x max pooling's: "
        f"{'met' if min(train) >= 0.9 else 'not met'} (lowest {min(train):.2f}x); `SpectralConv2D` step overhead "
        f"at most 3 %: {'met' if max(overhead) <= 0.03 else 'not met'} (highest {100 * max(overhead):+.1f} %).",
    ]
    return lines + [""] + pooling_table(bench["runs"])


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


def _formulations(form: dict) -> list[str]:
    names = list(form["rows"][0]["ratio_to_max_pool"])
    lines = [
        f"Measured by `python benchmarks/formulations.py` ({_minutes(form['seconds'])}) on {form['machine']}: "
        "forward plus backward of the pooling alone, time as a ratio to `tf.nn.max_pool2d` (3x3, stride 2) "
        f"in the same run, median of {form['reps']} interleaved repetitions; every formulation computes the "
        "same operator (checked before timing).",
        "",
        "| maps | XLA | max pool (ms) | " + " | ".join(names) + " |",
        "|---" * (len(names) + 3) + "|",
    ]
    for row in form["rows"]:
        ratios = " | ".join(f"{row['ratio_to_max_pool'][n]:.2f}" for n in names)
        lines.append(
            f"| {row['shape']} | {'on' if row['jit_compile'] else 'off'} | {row['max_pool_ms']:.1f} | {ratios} |"
        )
    return lines


def _harness(bench: dict) -> list[str]:
    rows = "; ".join(
        f"{ARCHITECTURES[r['architecture']]} {r['kernel_size']}x{r['kernel_size']}: {r['harness_images_per_s']:.0f} vs "
        f"{r['bare_images_per_s']:.0f} img/s, {r['ratio']:.2f}x"
        for r in bench["rows"]
    )
    low = min(r["ratio"] for r in bench["rows"])
    return [
        f"Measured by `python benchmarks/harness.py` ({_minutes(bench['seconds'])}) on {bench['machine']}: training "
        "throughput of the experiment harness (seeded `tf.data` batches with flips and translations, `model.fit` "
        "with checkpoints and history) against a bare `train_on_batch` loop on prepared batches without "
        f"augmentation, same network, batch 128, median of {bench['reps']} interleaved repetitions: {rows}. "
        f"Target at least 0.9x: {'met' if low >= 0.9 else 'not met'} (lowest {low:.2f}x).",
    ]


def _precision(bench: dict) -> list[str]:
    """One table per CPU of ``benchmarks/precision.py``'s entries."""
    lines = []
    for entry in bench["machines"]:
        lines += _precision_on(entry) + [""]
    return lines[:-1]


def _precision_on(bench: dict) -> list[str]:
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
        f"`python benchmarks/precision.py` on {bench['machine']} ({flags}): `train_on_batch` throughput, batch "
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
    table = profiles.get("07_table4b", REFERENCE)
    images = table["epochs"] * table["train_images"]
    cost = "; ".join(
        f"{r['network']}: {images / r['float32_images_per_s'] / 3600:.0f} h in float32, "
        f"{images / r['mixed_bfloat16_images_per_s'] / 3600:.0f} h in mixed_bfloat16"
        for r in bench["rows"]
        if "Figure 4(b)" in r["network"] or "twin" in r["network"]
    )
    lines += [
        "",
        f"At these speeds one {table['epochs']}-epoch run of the reference profile's Figure 4(b) "
        f"headline ({table['train_images']} images an epoch, training only) takes: {cost}.",
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


def _figures() -> list[str]:
    pngs = sorted((project_root() / "figures").glob("[0-9][0-9]_*.png"))
    return [f"![{png.stem}](figures/{png.name})" for png in pngs]


def block() -> str:
    """The results section as markdown, from the reference results files."""
    recorded = {exp: results.load(exp.name, REFERENCE) for exp in experiment.registered()}
    lines = [START, ""] + _claims(recorded) + [""] + _figures() + [""]
    for exp, summary in recorded.items():
        section = exp.readme_section(summary)
        if section:
            lines += [f"### {exp.title}", ""] + section + [""]
    benchmarks = (
        ("benchmark_pooling", "Speed of the layers", _benchmark),
        ("benchmark_harness", "Speed of the experiment harness", _harness),
        ("benchmark_formulations", "Formulations of spectral pooling", _formulations),
        ("benchmark_precision", "float32 and bfloat16 training on a CPU", _precision),
    )
    for name, title, section in benchmarks:
        bench = _load(name)
        if bench:
            lines += [f"### {title}", ""] + section(bench) + [""]
    lines.append(END)
    return "\n".join(lines)


def choices_block() -> str:
    """README's bullets on the choices the paper leaves open that repeat settings, from the settings."""
    lines = [CHOICES_START]
    for exp in experiment.registered():
        lines += exp.readme_choices()
    return "\n".join(lines + [CHOICES_END])


def profiles_block() -> str:
    """README's table of what every experiment computes or trains in each profile, from the settings."""
    lines = [
        PROFILES_START,
        "| notebook | " + " | ".join(f"`{name}`" for name in profiles.NAMES) + " |",
        "|---" * (len(profiles.NAMES) + 1) + "|",
    ]
    for exp in experiment.registered():
        lines.append(f"| `{exp.notebook}` | " + " | ".join(exp.describe(name) for name in profiles.NAMES) + " |")
    return "\n".join(lines + [PROFILES_END])


BLOCKS = (
    (START, END, block),
    (CHOICES_START, CHOICES_END, choices_block),
    (PROFILES_START, PROFILES_END, profiles_block),
)


def readme_block(text: str, start: str = START, end: str = END) -> str:
    """The generated section between ``start`` and ``end`` currently in README text (empty if missing)."""
    if start not in text or end not in text:
        return ""
    return text[text.index(start) : text.index(end) + len(end)]


def update_readme(path: Path | None = None) -> None:
    path = path or project_root() / "README.md"
    text = path.read_text()
    for start, end, build in BLOCKS:
        current = readme_block(text, start, end)
        if not current:
            raise SystemExit(f"{path} has no markers {start!r} ... {end!r}")
        text = text.replace(current, build())
    path.write_text(text)


if __name__ == "__main__":
    sys.exit(update_readme())
