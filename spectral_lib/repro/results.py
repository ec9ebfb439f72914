"""Results files: JSON written atomically, so a killed run never leaves half a file."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from spectral_lib.repro.profiles import output_root
from spectral_lib.utils import machine, versions


def write_json(path: str | os.PathLike, payload: dict) -> Path:
    """Write ``payload`` as indented JSON to ``path`` via a temporary file and rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(payload, f, indent=2, sort_keys=False)
            f.write("\n")
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def read_json(path: str | os.PathLike) -> dict:
    with open(path) as f:
        return json.load(f)


def save(name: str, profile: str, payload: dict) -> Path:
    """``results/<name>.json`` under the profile's output root, with profile, machine and versions."""
    record = {"profile": profile, "machine": machine(), "versions": versions(), **payload}
    return write_json(output_root(profile) / "results" / f"{name}.json", record)
