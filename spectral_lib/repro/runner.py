"""One runner for every experiment's plan of training runs: train or reuse them, say what is missing.

An experiment's :meth:`~spectral_lib.repro.experiment.Experiment.plan` is a list of entries, each
``{"run": settings, "epochs": int}`` with optionally ``snapshot_epochs``, ``export`` (a ``.keras``
path), ``progress`` (write its progress file every epoch) and ``label`` (printed).
``python -m spectral_lib.repro.<module> --profile cpu`` trains an experiment's whole plan in order
through :func:`main`, so long training can run in the background before the notebook is executed.
"""

from __future__ import annotations

import argparse

from spectral_lib.repro import profiles, run_settings, runs, store
from spectral_lib.repro.quiet import quiet


def _complete(entry: dict, name: str, profile: str) -> bool:
    record = store.load(entry["run"], entry["epochs"], name, profile)
    snapshotted = all(
        store.snapshot_path(entry["run"], e, name, profile).exists() for e in entry.get("snapshot_epochs", ())
    )
    export = entry.get("export")
    return record is not None and snapshotted and (export is None or export.exists())


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


def train_plan(experiment, profile: str, entries: list[dict], data_dir=None, verbose=0) -> list[dict]:
    """Train (or reuse) every entry of a plan of ``experiment`` in order; returns the entries with their
    ``record``, printing one line per run and what it reached."""
    out = []
    for i, entry in enumerate(entries, 1):
        label = f" ({entry['label']})" if entry.get("label") else ""
        print(f"[{i}/{len(entries)}] {run_settings.name(entry['run'])}{label}, {entry['epochs']} epochs", flush=True)
        record = runs.train(
            entry["run"],
            entry["epochs"],
            experiment.name,
            profile,
            data_dir=data_dir,
            snapshot_epochs=entry.get("snapshot_epochs", ()),
            export=entry.get("export"),
            report_progress=entry.get("progress", False),
            verbose=verbose,
        )
        h = record["history"]
        evaluated = "validation_error" if "validation_error" in h else "test_error"
        final = f", final test error {record['final_test']['error']:.4f}" if "final_test" in record else ""
        print(
            f"    best {evaluated.replace('_', ' ')} {min(h[evaluated]):.4f}{final}, "
            f"{h['wall_seconds'][-1] / 60:.1f} min",
            flush=True,
        )
        out.append({**entry, "record": record})
    return out


def main(experiment, argv=None, description: str | None = None) -> list[dict]:
    """Command line of an experiment's module: train its plan under ``--profile``; ``--parts`` keeps
    the entries whose ``part`` is one of them (for plans whose entries have one, as the table's)."""
    quiet()
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default=profiles.REFERENCE, choices=profiles.NAMES)
    parser.add_argument("--parts", nargs="+", help="train only the entries of these parts of the plan")
    parser.add_argument("--data-dir", default=None, help="CIFAR folder (default: $SPECTRAL_CNN_DATA, else data/)")
    args = parser.parse_args(argv)
    entries = experiment.plan(args.profile)
    if args.parts:
        known = list(dict.fromkeys(e.get("part") for e in entries))
        if None in known or set(args.parts) - set(known):
            parser.error(f"--parts must be among the plan's parts {[k for k in known if k]}, got {args.parts}")
        entries = [e for e in entries if e["part"] in args.parts]
    return train_plan(experiment, args.profile, entries, args.data_dir, verbose=2)
