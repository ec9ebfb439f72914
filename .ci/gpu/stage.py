"""Stage what a leased GPU machine needs carried beside the tree: ``python .ci/gpu/stage.py [DATASET ...]``.

Such a machine (Python 3.12 with JAX, no Keras, no network) receives the tracked tree plus the paths a call
carries, 64 MiB in all; the tree takes about 35 MB of it. This writes, in the ignored folder ``.carry/``:
``whl/``, the wheels it lacks at the versions of requirements.lock (Keras, namex, optree for CPython 3.12),
and ``part1`` ... ``partN``, one CIFAR mosaic each (about 17 MB) with the manifest, materialize.py and the
small files, so that each call carries one part (``.ci/gpu/device.sh part`` files them in). DATASET:
``cifar-10-batches-py`` (the default), ``cifar-100-python``.

A lease, call by call, issued back to back (the machine keeps /tmp and data/ for 30 s after a call), from
a clean tree at the commit ``C`` the records will name:

1. ``bash .ci/gpu/device.sh part && SPECTRAL_CNN_COMMIT=C bash .ci/gpu/device.sh bench`` carrying
   ``.carry/whl`` and ``.carry/part1`` (the benchmark needs no CIFAR; ``--only`` narrows it);
2. ``bash .ci/gpu/device.sh part`` carrying ``.carry/part2``, and so on to the last part;
3. ``SPECTRAL_CNN_COMMIT=C bash .ci/gpu/device.sh train table4b 8 --profile cpu --run NAME`` carrying
   ``.carry/whl`` (and ``.carry/runs.tgz.*`` from an earlier lease to resume), with a timeout of 10 min.

What comes back: ``results.tgz`` (unpack it in the checkout and commit the records and progress it holds)
and ``runs.tgz.*`` (the run folders with their checkpoints: keep them outside the tree for the next lease,
copied into ``.carry/`` then).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "cifar"
CARRY = ROOT / ".carry"
WHEELS = ("keras", "namex", "optree")
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")


def locked(name: str) -> str:
    """``name==version`` as requirements.lock pins it."""
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.startswith(f"{name}=="):
            return line.split(";")[0].strip()
    raise SystemExit(f"stage: {name} is not pinned in requirements.lock")


def wheels(dest: Path) -> None:
    platforms = [arg for p in PLATFORMS for arg in ("--platform", p)]
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--python-version",
         "3.12", "--implementation", "cp", *platforms, "-d", str(dest), *map(locked, WHEELS)],
        check=True,
    )  # fmt: skip


def parts(datasets: list[str]) -> list[Path]:
    """One folder per mosaic of ``datasets``, each with everything but the other mosaics."""
    manifest = json.loads((SHARED / "manifest.json").read_text())
    entries = [e for e in manifest["files"] if e["path"].split("/")[0] in datasets]
    small = [e.get("stored") or e["skeleton"] for e in entries]
    mosaics = [m for e in entries for m in e.get("mosaics", [])]
    folders = []
    for i, mosaic in enumerate(mosaics, 1):
        folder = CARRY / f"part{i}"
        for name in ["manifest.json", "materialize.py", *small, mosaic]:
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SHARED / name, folder / name)
        folders.append(folder)
    return folders


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("datasets", nargs="*", default=["cifar-10-batches-py"])
    args = parser.parse_args()
    if not SHARED.is_dir():
        parser.error(f"no CIFAR copy at {SHARED}")
    known = {e["path"].split("/")[0] for e in json.loads((SHARED / "manifest.json").read_text())["files"]}
    if set(args.datasets) - known:
        parser.error(f"datasets must be among {sorted(known)}, got {args.datasets}")
    shutil.rmtree(CARRY, ignore_errors=True)
    wheels(CARRY / "whl")
    for folder in parts(args.datasets):
        size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
        print(f"{folder.relative_to(ROOT)}: {size / 2**20:.1f} MiB")
    print(f"{CARRY.relative_to(ROOT)}/whl: {', '.join(p.name for p in sorted((CARRY / 'whl').iterdir()))}")


if __name__ == "__main__":
    main()
