"""One runner for every experiment's plan of training runs: train or reuse them, say what is missing.

An experiment's :meth:`~spectral_lib.repro.experiment.Experiment.plan` is a list of entries, each
``{"run": settings, "epochs": int}`` with optionally ``snapshot_epochs``, ``export`` (a ``.keras``
path), ``progress`` (write its progress file every epoch) and ``label`` (printed).
``python -m spectral_lib.repro.<module> --profile cpu`` trains an experiment's whole plan in order
through :func:`main`, so long training can run in the background before the notebook is executed.
"""

from __future__ import annotations

import argparse
import time

from spectral_lib import training
from spectral_lib.repro import profiles, run_settings, runs, store
from spectral_lib.repro.quiet import quiet
from spectral_lib.utils import FAST_BF16_FLAGS, accelerator, cpu_flags


def _complete(entry: dict, name: str, profile: str) -> bool:
    record = store.load(entry["run"], entry["epochs"], name, profile)
    snapshotted = all(
        store.snapshot_path(entry["run"], e, name, profile).exists() for e in entry.get("snapshot_epochs", ())
    )
    export = entry.get("export")
    return record is not None and snapshotted and (export is None or export.exists())


def emulated_bfloat16(entries: list[dict]) -> str | None:
    """A warning when ``entries`` train in mixed_bfloat16 on a CPU that emulates it (none of
    :data:`~spectral_lib.utils.FAST_BF16_FLAGS`, no GPU), else ``None``."""
    bf16 = [e for e in entries if run_settings.settings(**e["run"])["precision"] == "mixed_bfloat16"]
    if not bf16 or any(cpu_flags()[f] for f in FAST_BF16_FLAGS) or accelerator() is not None:
        return None
    return (
        f"warning: this CPU has none of {FAST_BF16_FLAGS}, so {len(bf16)} of these {len(entries)} runs train in "
        "mixed_bfloat16 emulated, many times slower than in float32 (benchmarks/precision.py measures it); "
        "to train in float32 instead, set `precision` in the experiment's profile (docs/GUIDE.md): other runs, "
        "named without -bf16."
    )


def missing(experiment, profile: str, module: str) -> str | None:
    """Which runs of ``experiment``'s plan are not recorded under ``profile``, and the command that
    trains them (``module``, e.g. ``"spectral_lib.repro.fig5"``); ``None`` when all are."""
    entries = experiment.plan(profile)
    absent = [e for e in entries if not _complete(e, experiment.name, profile)]
    if not absent:
        return None
    return (
        f"{len(absent)} of {len(entries)} runs of {experiment.name} are not recorded in profile {profile!r}: "
        f"`python -m {module} --profile {profile}` trains them (resumably)"
    )


def train_plan(
    experiment, profile: str, entries: list[dict], data_dir=None, verbose=0, deadline=None, steps_per_execution=1
) -> list[dict]:
    """Train (or reuse) every entry of a plan of ``experiment`` in order; returns the entries with their
    ``record``, printing one line per run (trained, resumed or only read from its record) and what it
    reached. ``deadline`` (a :func:`time.monotonic` value) stops at the end of the last epoch that fits
    (:func:`runs.train`) and starts no run after it; the entries not finished then are left out.
    ``steps_per_execution``: :func:`runs.train`'s."""
    out = []
    for i, entry in enumerate(entries, 1):
        if deadline is not None and time.monotonic() >= deadline:
            print(f"time limit reached: {len(entries) - i + 1} runs not started", flush=True)
            break
        label = f" ({entry['label']})" if entry.get("label") else ""
        recorded = _complete(entry, experiment.name, profile)
        done = 0 if recorded else training.finished_epochs(store.run_dir(entry["run"], experiment.name, profile))
        state = "recorded" if recorded else f"resuming after epoch {done}" if done else "training"
        name = run_settings.name(entry["run"])
        print(f"[{i}/{len(entries)}] {name}{label}, {entry['epochs']} epochs: {state}", flush=True)
        record = runs.train(
            entry["run"],
            entry["epochs"],
            experiment.name,
            profile,
            data_dir=data_dir,
            snapshot_epochs=entry.get("snapshot_epochs", ()),
            export=entry.get("export"),
            report_progress=entry.get("progress", False),
            deadline=deadline,
            steps_per_execution=steps_per_execution,
            verbose=verbose,
        )
        if record is None:
            reached = training.finished_epochs(store.run_dir(entry["run"], experiment.name, profile))
            print(f"    time limit reached at epoch {reached} of {entry['epochs']}: the next call resumes", flush=True)
            break
        h = record["history"]
        evaluated = "validation_error" if "validation_error" in h else "test_error"
        final = f", final test error {record['final_test']['error']:.4f}" if "final_test" in record else ""
        took = f"trained in {h['wall_seconds'][-1] / 60:.1f} min" + (" (read from its record)" if recorded else "")
        print(f"    best {evaluated.replace('_', ' ')} {min(h[evaluated]):.4f}{final}, {took}", flush=True)
        out.append({**entry, "record": record})
    return out


def main(experiment, argv=None, description: str | None = None) -> list[dict]:
    """Command line of an experiment's module: train its plan under ``--profile``; ``--parts`` keeps
    the entries whose ``part`` is one of them (for plans whose entries have one, as the table's);
    ``--run`` or ``--index`` picks one entry (one task of a cluster's job array each); ``--time-limit``
    stops at the end of the last epoch that fits in that many minutes; ``--steps-per-execution`` runs that
    many steps per call of the compiled step (on a GPU: fewer dispatches, the same training)."""
    quiet()
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default=profiles.REFERENCE, choices=profiles.NAMES)
    parser.add_argument("--parts", nargs="+", help="train only the entries of these parts of the plan")
    parser.add_argument("--data-dir", default=None, help="CIFAR folder (default: $SPECTRAL_CNN_DATA, else data/)")
    pick = parser.add_mutually_exclusive_group()
    pick.add_argument("--run", help="train only the entry of this run name")
    pick.add_argument("--index", type=int, help="train only the entry at this index of the plan (from 0)")
    parser.add_argument(
        "--time-limit", type=float, metavar="MINUTES", help="stop at the end of the last epoch that fits in this time"
    )
    parser.add_argument(
        "--steps-per-execution",
        type=int,
        default=1,
        metavar="K",
        help="training steps per call of the compiled step; must divide the steps of an epoch (same training)",
    )
    args = parser.parse_args(argv)
    if args.steps_per_execution < 1:
        parser.error(f"--steps-per-execution must be a positive int, got {args.steps_per_execution}")
    if args.time_limit is not None and not args.time_limit > 0:
        parser.error(f"--time-limit must be a positive number of minutes, got {args.time_limit}")
    deadline = time.monotonic() + 60 * args.time_limit if args.time_limit is not None else None
    entries = experiment.plan(args.profile)
    names = [run_settings.name(e["run"]) for e in entries]
    if args.run is not None:
        if args.run not in names:
            parser.error(f"--run must be one of the plan's runs {names}, got {args.run!r}")
        entries = [entries[names.index(args.run)]]
    if args.index is not None:
        if not 0 <= args.index < len(entries):
            parser.error(f"--index must be in 0..{len(entries) - 1} (the plan's {len(entries)} runs), got {args.index}")
        entries = [entries[args.index]]
    if args.parts:
        known = list(dict.fromkeys(e.get("part") for e in entries))
        if None in known or set(args.parts) - set(known):
            parser.error(f"--parts must be among the plan's parts {[k for k in known if k]}, got {args.parts}")
        entries = [e for e in entries if e["part"] in args.parts]
    if warning := emulated_bfloat16(entries):
        print(warning, flush=True)
    return train_plan(
        experiment,
        args.profile,
        entries,
        args.data_dir,
        verbose=2,
        deadline=deadline,
        steps_per_execution=args.steps_per_execution,
    )
