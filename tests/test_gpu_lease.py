"""The lease script of a borrowed GPU (.ci/gpu/device.sh) trains runs side by side and sends back what they wrote.

It runs on a machine a session holds for minutes and cannot rerun at will, so it is checked here, on the CPU
under JAX, in a copy of the package as the GPU machine gets it: no git, the package imported from the copy.
"""

import importlib.util
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

from spectral_lib.repro import run_settings, table4b

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def _members(archive: bytes) -> list[str]:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        return tar.getnames()


def test_train_runs_each_run_in_its_own_process_and_sends_back_only_the_folders_it_wrote(tmp_path):
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed (pip install -e '.[jax]')")
    if not (DATA / "cifar-10-batches-py").is_dir():
        pytest.skip("CIFAR-10 is not in data/")
    tree = tmp_path / "tree"
    shutil.copytree(ROOT / "spectral_lib", tree / "spectral_lib", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / ".ci" / "gpu", tree / ".ci" / "gpu")
    shutil.copy(ROOT / "pyproject.toml", tree)
    (tree / "results").mkdir()
    checkpoints, out = tmp_path / "runs", tmp_path / "out"
    carried = checkpoints / "smoke" / table4b.EXPERIMENT / "a-run-of-an-earlier-lease"
    carried.mkdir(parents=True)
    (carried / "history.csv").write_text("epoch\n")
    out.mkdir()
    names = [run_settings.name(e["run"]) for e in table4b.plan("smoke")[:2]]
    env = {
        **os.environ,
        "OUT": str(out),
        "PYTHON": sys.executable,
        "SITE": str(tmp_path),  # exists: Keras is taken from this environment, no wheel installed
        "SPECTRAL_CNN_RUNS": str(checkpoints),
        "SPECTRAL_CNN_DATA": str(DATA),
        "SPECTRAL_CNN_COMMIT": "abc1234",
    }
    # a time limit no loaded machine reaches: both runs finish their 2 epochs, of 2 steps each in one call
    command = ["bash", str(tree / ".ci/gpu/device.sh"), "train", "table4b", "60", "--profile", "smoke"]
    command += ["--steps-per-execution", "2"]
    done = subprocess.run(
        [*command, *(a for name in names for a in ("--run", name))],
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    log = (out / "train.log").read_text()
    for name in names:
        assert f"== {name}\n[1/1] {name}" in log and log.count(f"[1/1] {name}") == 1
    results = _members((out / "results.tgz").read_bytes())
    for name in names:
        path = f"runs/smoke/results/runs/{table4b.EXPERIMENT}/{name}.json"
        assert path in results
        segment = json.loads((tree / path).read_text())["segments"][-1]
        assert (segment["commit"], segment["backend"]) == ("abc1234", "jax")
    sent = _members(b"".join(p.read_bytes() for p in sorted(out.glob("runs.tgz.*"))))
    assert {m.split("/")[2] for m in sent if m.count("/") >= 2} == set(names)
