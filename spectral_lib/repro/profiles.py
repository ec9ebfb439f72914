"""The run profiles and where each writes its outputs (each experiment holds its config under them).

``smoke`` takes seconds per notebook (tests, nbval); ``cpu`` is the reference
profile whose outputs are committed (the largest faithful run that fits a few
hours on a 2-core CPU); ``paper`` is the paper's where they differ.
Only the reference profile writes to ``figures/`` and ``results/``; any other
writes under ``runs/<profile>/``, so a quick run never overwrites the
committed outputs. Run records are the exception (:func:`records_root`).
"""

from __future__ import annotations

import os
from pathlib import Path

REFERENCE = "cpu"
NAMES = ("smoke", "cpu", "paper")


def project_root() -> Path:
    """The checkout this package runs from, else ``$SPECTRAL_CNN_OUTPUT`` or the working directory."""
    repo = Path(__file__).resolve().parents[2]
    if (repo / "pyproject.toml").is_file():
        return repo
    return Path(os.environ.get("SPECTRAL_CNN_OUTPUT", ".")).resolve()


def runs_root() -> Path:
    """Where checkpoints and studies live (never committed): ``$SPECTRAL_CNN_RUNS``, else ``<root>/runs``."""
    return Path(os.environ.get("SPECTRAL_CNN_RUNS") or project_root() / "runs").resolve()


def relative(path: str | os.PathLike) -> str:
    """``path`` relative to :func:`project_root` when inside it, for printing (no machine's absolute path)."""
    path = Path(path).resolve()
    try:
        return str(path.relative_to(project_root()))
    except ValueError:
        return str(path)


def output_root(profile: str) -> Path:
    """``<root>`` for the reference profile, ``<root>/runs/<profile>`` for any other."""
    if profile not in NAMES:
        raise ValueError(f"`profile` must be one of {NAMES}, got profile={profile!r}.")
    root = project_root()
    return root if profile == REFERENCE else root / "runs" / profile


def records_root(profile: str) -> Path:
    """``<root>`` for every profile but smoke, whose runs (seconds, for tests) keep theirs under its output root.

    A record's name is unique for its settings (:func:`run_settings.name`), so no profile overwrites another's
    run: the profiles that share a run share its record (Figure 4(b)'s cpu and paper), and the runs only the
    paper profile trains (Figure 5 on the full training set) are committed as they finish."""
    return output_root(profile) if profile == "smoke" else output_root(REFERENCE)
