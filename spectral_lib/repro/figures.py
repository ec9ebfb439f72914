"""Saving figures: PNG and PDF, atomically, without time stamps (reruns give identical files)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt

from spectral_lib.repro.profiles import output_root

_METADATA = {".png": {"Software": None}, ".pdf": {"CreationDate": None, "Producer": None}}


def save(fig: plt.Figure, name: str, profile: str) -> list[Path]:
    """Write ``fig`` as ``figures/<name>.png`` and ``.pdf`` under the profile's output root."""
    folder = output_root(profile) / "figures"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for suffix, metadata in _METADATA.items():
        path = folder / f"{name}{suffix}"
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix, dir=folder)
        os.close(fd)
        try:
            fig.savefig(tmp, dpi=150, bbox_inches="tight", metadata=metadata)
            os.chmod(tmp, 0o644)  # mkstemp creates 0600
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        paths.append(path)
    return paths
