"""Where every kind of a run's files lives, reading a record back, and the code version it records.

Not committed (``$SPECTRAL_CNN_RUNS`` moves ``runs/`` elsewhere):

- ``runs/<profile>/<experiment>/<name>/``: the checkpoint of :func:`training.fit` (:func:`run_dir`)
  and ``segments.json``, the stretches it was trained in (:func:`segments_path`).

Under ``<records root>/results/runs/<experiment>/`` (committed for every profile but smoke,
:func:`profiles.records_root`):

- ``<name>.json``: the record of a finished run (:func:`record_path`);
- ``<name>.progress.json``: how far an unfinished one has got (:func:`progress_path`);
- ``<name>.epoch<E>.npz``: a snapshot of its convolutions and Adam moments (:func:`snapshot_path`);
- ``kernel_gap/<name>-<S>steps.json``: the kernel gaps of Figure 5's controls (:func:`kernel_gap_path`).
"""

from __future__ import annotations

import functools
import os
import subprocess
from pathlib import Path

from spectral_lib.files import read_json
from spectral_lib.repro import profiles
from spectral_lib.repro.run_settings import name, settings


def record_path(run: dict, experiment: str, profile: str) -> Path:
    return profiles.records_root(profile) / "results" / "runs" / experiment / f"{name(run)}.json"


def progress_path(run: dict, experiment: str, profile: str) -> Path:
    return record_path(run, experiment, profile).with_suffix(".progress.json")


def snapshot_path(run: dict, epoch: int, experiment: str, profile: str) -> Path:
    return record_path(run, experiment, profile).with_suffix(f".epoch{epoch}.npz")


def kernel_gap_path(run: dict, steps: int, experiment: str, profile: str) -> Path:
    return record_path(run, experiment, profile).parent / "kernel_gap" / f"{name(run)}-{steps}steps.json"


def run_dir(run: dict, experiment: str, profile: str) -> Path:
    """The run's checkpoint folder: ``<runs root>/<profile>/<experiment>/<name>`` (:func:`profiles.runs_root`)."""
    return profiles.runs_root() / profile / experiment / name(run)


def segments_path(run_dir: Path) -> Path:
    return Path(run_dir) / "segments.json"


def load(run: dict, epochs: int, experiment: str, profile: str) -> dict | None:
    """The record of ``run`` cut to its first ``epochs`` epochs, or ``None`` if it has fewer."""
    path = record_path(run, experiment, profile)
    if not path.exists():
        return None
    record = read_json(path)
    if settings(**record["settings"]) != run:
        raise ValueError(f"{path} holds other settings than its name says: {record['settings']} != {run}")
    if record["epochs"] < epochs:
        return None
    if epochs < record["epochs"]:
        record["history"] = {k: v[:epochs] for k, v in record["history"].items()}
        record.pop("final_test", None)  # measured after the last recorded epoch, not after `epochs`
    record["epochs"] = epochs
    return record


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=profiles.project_root(), capture_output=True, text=True, check=True)
    return done.stdout.strip()


# What the notebooks and the benchmarks write (README.md: its generated sections): regenerating them leaves
# the code unchanged.
OUTPUTS = ("results", "figures", "README.md")


@functools.cache
def code_version() -> str:
    """The git commit of the checkout (``+changes`` when tracked files other than the :data:`OUTPUTS`
    differ from it); in a copy without git (a cluster's node, a GPU machine), ``$SPECTRAL_CNN_COMMIT``, which
    the copy's sender sets to the commit it copied; else the version. Read once, by the first run this
    process records (nothing runs git at import)."""
    try:
        commit = _git("rev-parse", "--short", "HEAD")
        changes = _git("status", "--porcelain", "--untracked-files=no", "--", ".", *(f":!{o}" for o in OUTPUTS))
    except (OSError, subprocess.CalledProcessError):
        from spectral_lib import __version__

        return os.environ.get("SPECTRAL_CNN_COMMIT") or __version__
    return commit + ("+changes" if changes else "")
