"""Stage what a leased GPU machine needs carried beside the tree: ``python .ci/gpu/stage.py [DATASET ...]``.

Such a machine (Python 3.12 with JAX, no Keras, no network) receives the tree (tracked files and untracked
ones git does not ignore) plus the paths a call carries, 64 MiB in all. This writes, in the ignored folder
``.carry/``: ``whl/``, the wheels it lacks at the versions of requirements.lock (Keras, namex, optree for
CPython 3.12), and ``part1`` ... ``partN``: the CIFAR files of DATASET (``cifar-10-batches-py``, the
default, and/or ``cifar-100-python``) with the manifest and materialize.py, as one tar cut into pieces that
fit beside the tree and the wheels, one per call (``.ci/gpu/device.sh part`` puts them together).

A lease, call by call, issued back to back (the machine keeps /tmp and data/ for 30 s after a call), from
a clean tree at the commit ``C`` the records will name:

1. ``bash .ci/gpu/device.sh part && SPECTRAL_CNN_COMMIT=C bash .ci/gpu/device.sh bench`` carrying
   ``.carry/whl`` and ``.carry/part1`` (the benchmark needs no CIFAR; ``--only`` narrows it);
2. ``bash .ci/gpu/device.sh part`` carrying ``.carry/part2``, and so on to the last part;
3. ``SPECTRAL_CNN_COMMIT=C bash .ci/gpu/device.sh train table4b 8 --profile cpu --run NAME [--run NAME2]``
   carrying ``.carry/whl`` (and ``.carry/runs.tgz.*`` from an earlier lease to resume), with a timeout of
   10 min; each ``--run`` trains in its own process, side by side on the GPU (alone at batch 128, the
   M = 6 net used 9 % of an H200's bfloat16 peak; what two side by side gain is not measured yet: their
   records' wall clock against the 4.3 min of a lone 150-epoch run tells). A fresh run can start in the
   last part's call instead (``part && ... train ...``): a checkpoint to resume from leaves no room for a
   part.

What comes back: ``results.tgz`` (unpack it in the checkout and commit the records and progress it holds)
and ``runs.tgz.*`` (the run folders with their checkpoints: keep them outside the tree for the next lease,
copied into ``.carry/`` then).
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data" / "cifar"
CARRY = ROOT / ".carry"
WHEELS = ("keras", "namex", "optree")
PLATFORMS = ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64")
LIMIT = 64 * 2**20  # what one call carries, the tree included
MARGIN = 2**20


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


def size(paths) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


def tree_bytes() -> int:
    """What travels with every call: the tracked files and the untracked ones git does not ignore."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True,
        check=True,
    ).stdout  # fmt: skip
    return size(ROOT / name for name in listed.decode().split("\0") if name)


def parts(datasets: list[str], chunk: int) -> list[Path]:
    """The files of ``datasets``, the manifest and materialize.py as one tar, cut into pieces of ``chunk``
    bytes named ``cifar.tar.K-of-N``, one per folder."""
    manifest = json.loads((SHARED / "manifest.json").read_text())
    entries = [e for e in manifest["files"] if e["path"].split("/")[0] in datasets]
    names = ["manifest.json", "materialize.py"]
    names += [n for e in entries for n in ([e["stored"]] if "stored" in e else [e["skeleton"], *e["mosaics"]])]
    whole = io.BytesIO()
    with tarfile.open(fileobj=whole, mode="w") as tar:
        for name in names:
            tar.add(SHARED / name, arcname=name)
    data = whole.getvalue()
    count = -(-len(data) // chunk)
    folders = []
    for i in range(count):
        folder = CARRY / f"part{i + 1}"
        folder.mkdir(parents=True)
        (folder / f"cifar.tar.{i + 1:02d}-of-{count:02d}").write_bytes(data[i * chunk : (i + 1) * chunk])
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
    tree, wheel = tree_bytes(), size((CARRY / "whl").iterdir())
    chunk = LIMIT - tree - wheel - MARGIN
    print(f"tree {tree / 2**20:.1f} MiB, wheels {wheel / 2**20:.1f} MiB: CIFAR in pieces of {chunk / 2**20:.1f} MiB")
    for folder in parts(args.datasets, chunk):
        print(f"{folder.relative_to(ROOT)}: {size(folder.iterdir()) / 2**20:.1f} MiB")
    print(f"{CARRY.relative_to(ROOT)}/whl: {', '.join(p.name for p in sorted((CARRY / 'whl').iterdir()))}")


if __name__ == "__main__":
    main()
