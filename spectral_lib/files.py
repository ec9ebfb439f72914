"""Writing files so that no reader ever sees half of one, and JSON in and out.

Every file the package writes (results, run records and progress, snapshots, figures, models,
downloads, README) goes through :func:`replaced`: it is written under a temporary name in its own
folder and renamed over the old one (``os.replace``, atomic on one filesystem), so a run killed
while writing leaves the previous file whole.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def replaced(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; when the block ends without an error it replaces
    ``path``, readable by all (0644), else it is removed and ``path`` is left as it was. It ends in
    ``suffix`` (by default ``path``'s), which savers such as ``np.savez`` or ``keras.Model.save`` read;
    ``keras.Model.save_weights`` wants ``".weights.h5"``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=path.suffix if suffix is None else suffix, dir=path.parent
    )
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` through :func:`replaced`."""
    with replaced(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: str | os.PathLike, payload: dict) -> Path:
    """Write ``payload`` as indented JSON to ``path`` through :func:`replaced` (serialized first, so a
    payload that cannot be serialized leaves no file behind)."""
    return write_text(path, json.dumps(payload, indent=2) + "\n")


def read_json(path: str | os.PathLike) -> dict:
    with open(path) as f:
        return json.load(f)
