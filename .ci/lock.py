"""Write requirements.lock: every distribution `make install` puts in .venv, at an exact version.

pip resolves pyproject.toml's ranges with the extras of `make install` afresh (a dry run that installs
nothing, ignoring what is installed) on this Python and platform, through pip's own configuration first;
only where that gives PyTorch's CUDA build (a version without a local tag such as +cpu) does it ask the
CPU index again (an unreachable index costs minutes of retries). Run it through `make lock`, then
`make install` installs exactly the lock. tests/test_environment.py checks the lock against the ranges
and the environment against the lock.
"""

import argparse
import json
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

EXTRAS = "test,tensorflow,jax,torch"
LOCK = Path(__file__).resolve().parent.parent / "requirements.lock"


def resolve(extra_index_url: str | None = None) -> dict[str, str]:
    """Name -> version of everything pip would install for the package with :data:`EXTRAS`, not itself."""
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        indexes = ["--extra-index-url", extra_index_url] if extra_index_url else []
        command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet"]
        subprocess.run([*command, *indexes, "--report", str(report), f".[{EXTRAS}]"], check=True, cwd=LOCK.parent)
        installed = json.loads(report.read_text())["install"]
    return {
        entry["metadata"]["name"].lower().replace("_", "-"): entry["metadata"]["version"]
        for entry in installed
        if entry["metadata"]["name"] != "spectral-cnn"
    }


def render(pins: dict[str, str]) -> str:
    python = ".".join(platform.python_version_tuple()[:2])
    header = (
        f"# The environment of `make install`, resolved by `make lock` (.ci/lock.py) from pyproject.toml's ranges\n"
        f"# with the extras {EXTRAS} on CPython {python}, {platform.system()} {platform.machine()}.\n"
    )
    return header + "".join(f"{name}=={pins[name]}\n" for name in sorted(pins))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--torch-index", required=True, help="PyTorch's CPU index, asked only where needed")
    args = parser.parse_args()
    pins = resolve()
    if "+" not in pins["torch"]:
        pins = resolve(args.torch_index)
    if "+" not in pins["torch"]:
        parser.error(f"--torch-index {args.torch_index} offers no CPU build of torch {pins['torch']}")
    text = render(pins)
    partial = LOCK.with_suffix(".lock.partial")
    partial.write_text(text)
    partial.replace(LOCK)
    print(f"wrote {LOCK.name}: {text.count(chr(10)) - 2} distributions")


if __name__ == "__main__":
    main()
