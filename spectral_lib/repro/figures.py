"""Saving figures: PNG and PDF, atomically, without time stamps (reruns give identical files)."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt

from spectral_lib.files import replaced
from spectral_lib.repro.profiles import output_root

_METADATA = {".png": {"Software": None}, ".pdf": {"CreationDate": None, "Producer": None}}


def save(fig: plt.Figure, name: str, profile: str) -> list[Path]:
    """Write ``fig`` as ``figures/<name>.png`` and ``.pdf`` under the profile's output root."""
    paths = [output_root(profile) / "figures" / f"{name}{suffix}" for suffix in _METADATA]
    for path in paths:
        with replaced(path) as tmp:
            fig.savefig(tmp, dpi=150, bbox_inches="tight", metadata=_METADATA[path.suffix])
    return paths
