"""Figure 4(b)'s queue and Figure 5 train on the JAX and PyTorch backends where TensorFlow cannot be imported."""

import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

# A two-epoch run of each experiment's smoke plan on random CIFAR-like images, in a project root given as
# argv[1], every import of TensorFlow failing as where it is not installed: its record names the backend.
TRAIN = textwrap.dedent("""
    import sys
    sys.modules["tensorflow"] = None
    from pathlib import Path
    import numpy as np
    from spectral_lib.repro import fig5, profiles, run_settings, runs, table4b
    root = Path(sys.argv[1])
    profiles.project_root = lambda: root
    rng = np.random.default_rng(0)
    x, xv = (rng.integers(0, 256, (n, 32, 32, 3), dtype=np.uint8) for n in (32, 16))
    y, yv = rng.integers(0, 10, 32), rng.integers(0, 10, 16)
    runs.datasets = lambda run, data_dir=None: {"train": (x, y), "validation": (xv, yv), "test": (xv, yv)}
    queue = run_settings.settings(**{**table4b.plan("smoke")[0]["run"], "train_images": 32, "validation_images": 16,
                                     "test_images": 16, "batch_size": 16})
    figure5 = run_settings.settings(**{**fig5.plan("smoke")[0]["run"], "test_images": 16, "batch_size": 16})
    for run, name in ((queue, table4b.EXPERIMENT), (figure5, fig5.EXPERIMENT)):
        record = runs.train(run, 2, name, "smoke", report_progress=True)
        print(name, record["segments"][-1]["backend"], len(record["history"]["wall_seconds"]))
""")


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_the_experiments_train_without_tensorflow(tmp_path, backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed (pip install -e '.[{backend}]')")
    env = {**os.environ, "KERAS_BACKEND": backend, "SPECTRAL_CNN_RUNS": str(tmp_path / "checkpoints")}
    done = subprocess.run(
        [sys.executable, "-c", TRAIN, str(tmp_path)], env=env, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.splitlines() == [
        f"07_table4b {backend} 2",
        f"04_fig5 {backend} 2",
    ]
