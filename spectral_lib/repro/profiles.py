"""Run profiles of every notebook and where each profile writes its outputs.

``smoke`` takes seconds per notebook (tests, nbval); ``cpu`` is the reference
profile whose outputs are committed (the largest faithful run that fits a few
hours on a 2-core CPU); ``paper`` is the paper's settings where they differ.
Only the reference profile writes to ``figures/`` and ``results/``; any other
writes under ``runs/<profile>/``, so a quick run never overwrites the
committed outputs.
"""

from __future__ import annotations

import os
from pathlib import Path

REFERENCE = "cpu"
NAMES = ("smoke", "cpu", "paper")

# Sample photographs of scikit-image (real photographs only, no synthetic images).
PHOTOGRAPHS = (
    "astronaut",
    "brick",
    "camera",
    "chelsea",
    "coffee",
    "coins",
    "grass",
    "gravel",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "retina",
    "rocket",
    "stereo_motorcycle",
)

_SEARCHABLE = ("gamma", "num_layers", "alpha", "beta", "weight_decay", "one_minus_momentum", "learning_rate")


_TABLE_4B = {
    "train_images": 45000,
    "validation_images": 5000,
    "test_images": 10000,
    "batch_size": 128,
    "precision": "mixed_bfloat16",
    "epochs": 150,
    "runs": 10,
    "notebook_trains": False,
}


def _fig5(generic: dict, other: dict, controls: dict, snapshot_epochs: list[int]) -> dict:
    return {
        "cells": {"generic": generic, "deep": other, "spectral_pooling": other},
        "kernel_sizes": [3, 5],
        "adam_learning_rate": 1e-3,
        "controls": controls,
        "snapshot_epochs": snapshot_epochs,
    }


PROFILES: dict[str, dict[str, dict]] = {
    "01_fig1": {name: {} for name in NAMES},
    "02_fig2": {name: {"image_size": 256} for name in NAMES},
    "03_fig4a": {
        "smoke": {"cifar_images": 100, "photographs": PHOTOGRAPHS[:3], "photo_size": 128},
        # The paper averaged over the ImageNet validation set, which is not available
        # here: the whole CIFAR-10 test set and all sample photographs stand in for it.
        "cpu": {"cifar_images": 10000, "photographs": PHOTOGRAPHS, "photo_size": 256},
        "paper": {"cifar_images": 10000, "photographs": PHOTOGRAPHS, "photo_size": 256},
    },
    # Figure 5: every cell trained in both parameterizations with Adam. Per architecture: the first
    # `train_images` of the training set, the first `test_images` of the test set (evaluated after
    # every epoch), `epochs`, `seeds` (0 .. seeds - 1) and the batch size. `controls`: the Generic 3x3
    # pair with plain SGD and SGD with momentum (same data as Generic), and SpectralConv2D(orthonormal=False);
    # `gap_steps`: steps over which the two arms' kernels are compared step by step (fig5.kernel_gap).
    # `snapshot_epochs`: after these epochs the Generic 3x3 Adam pair of seed 0 saves its convolutions and
    # Adam moments, which Figure 3 (05) reads.
    "04_fig5": {
        "smoke": _fig5(
            {"train_images": 32, "test_images": 32, "epochs": 3, "seeds": 1, "batch_size": 16},
            {"train_images": 32, "test_images": 32, "epochs": 2, "seeds": 1, "batch_size": 16},
            {"epochs": 2, "learning_rate": 0.01, "momentum": 0.9, "gap_steps": 3},
            [2],
        ),
        # Sized to the 2 h budget on a 2-core machine (AMD EPYC, where an epoch with its evaluation takes
        # 3.4 s for Generic 3x3 and 11.7 s for Deep 5x5): the 25 runs took 114 min. Every spatial arm's
        # best comes before its last epoch: Generic's at epochs 26-32 of 40; Deep and the spectral-pooling
        # network, which learn more slowly on 1000 images, at 57-69 of 72 (at 24 most were still
        # improving). Batch 64 (the paper does not state its batch size): twice the Adam updates per
        # epoch of batch 128 within the same budget.
        "cpu": _fig5(
            {"train_images": 2000, "test_images": 1000, "epochs": 40, "seeds": 3, "batch_size": 64},
            {"train_images": 1000, "test_images": 500, "epochs": 72, "seeds": 1, "batch_size": 64},
            {"epochs": 5, "learning_rate": 0.01, "momentum": 0.9, "gap_steps": 20},
            [10],
        ),
        # Full CIFAR-10; the paper does not state its number of epochs or seeds.
        "paper": _fig5(
            {"train_images": 50000, "test_images": 10000, "epochs": 100, "seeds": 3, "batch_size": 128},
            {"train_images": 50000, "test_images": 10000, "epochs": 100, "seeds": 3, "batch_size": 128},
            {"epochs": 20, "learning_rate": 0.01, "momentum": 0.9, "gap_steps": 20},
            [10],
        ),
    },
    # Figure 3: the Generic 3x3 Adam pair of seed 0 from 04 (reused), its convolutions and Adam moments
    # saved after `epoch` epochs (one of 04's `snapshot_epochs`).
    "05_fig3": {"smoke": {"epoch": 2}, "cpu": {"epoch": 10}, "paper": {"epoch": 10}},
    # Figure 4(b)'s hyperparameter search (search.py): `trials` finished trials (complete or pruned), the
    # first `startup_trials` random; each trains the spectral-pooling net on the first `train_images` of
    # the training set for up to `epochs` (pruned from `min_epochs` on) in `precision`, scored on the
    # last `validation_images` of it. `searched`: the parameters searched, M in 1..`max_layers`; the
    # others are fixed at the paper's optimum.
    "06_search": {
        "smoke": {
            "dataset": "cifar10",
            "searched": ["num_layers", "weight_decay", "learning_rate"],
            "trials": 3,
            "startup_trials": 2,
            "max_layers": 2,
            "train_images": 64,
            "validation_images": 32,
            "epochs": 3,
            "min_epochs": 1,
            "batch_size": 32,
            "seed": 0,
            "precision": "float32",
        },
        # What the paper does not state (M, weight decay) and the learning rate (its 0.0088 was tuned for
        # its own implementation), at its stated gamma, alpha, beta and momentum; trials of up to 10
        # epochs on 10 000 images. Sized for the 2 h budget on a 2-core CPU with AMX-BF16, where the
        # M = 6 net trains at about 400 images/s in bfloat16 (a full trial about 5 min, most pruned after
        # 1 or 3 epochs).
        "cpu": {
            "dataset": "cifar10",
            "searched": ["num_layers", "weight_decay", "learning_rate"],
            "trials": 40,
            "startup_trials": 10,
            "max_layers": 12,
            "train_images": 10000,
            "validation_images": 5000,
            "epochs": 10,
            "min_epochs": 1,
            "batch_size": 128,
            "seed": 0,
            "precision": "mixed_bfloat16",
        },
        # The paper's whole space; it does not state its number of trials or the epochs of a trial.
        "paper": {
            "dataset": "cifar10",
            "searched": list(_SEARCHABLE),
            "trials": 50,
            "startup_trials": 10,
            "max_layers": 15,
            "train_images": 45000,
            "validation_images": 5000,
            "epochs": 150,
            "min_epochs": 10,
            "batch_size": 128,
            "seed": 0,
            "precision": "mixed_bfloat16",
        },
    },
    # Figure 4(b)'s table (table4b.py): the first `runs` of its queue (table4b.QUEUE), each trained for
    # `epochs` on the first `train_images` with the last `validation_images` of the training set held
    # out and evaluated every epoch, tested once at the end on the first `test_images`, in `precision`,
    # the learning rate divided by 10 at 2/3 and 14/15 of the epochs (100 and 140 of 150).
    # `notebook_trains`: notebook 07 trains the queue itself (seconds); otherwise it reads the records and
    # progress files that `python -m spectral_lib.repro.table4b` (or `make figures TRAIN=1 ONLY=07`) writes.
    "07_table4b": {
        "smoke": {
            "train_images": 64,
            "validation_images": 32,
            "test_images": 64,
            "batch_size": 32,
            "precision": "float32",
            "epochs": 2,
            "runs": 5,
            "notebook_trains": True,
        },
        # The paper's schedule on its 45 000 / 5 000 split, which the paper profile shares. On a 2-core CPU
        # with AMX-BF16 the twin and the equal-size control trained at about 900-1250 images/s in bfloat16
        # (2 h each) and the M = 6 net benchmarks at about 400 (about 5 h): the five CIFAR-10 runs about 13 h.
        "cpu": _TABLE_4B,
        "paper": _TABLE_4B,
    },
}


def get(notebook: str, profile: str) -> dict:
    """Settings of ``notebook`` (e.g. ``"03_fig4a"``) under ``profile``."""
    if notebook not in PROFILES:
        raise ValueError(f"`notebook` must be one of {sorted(PROFILES)}, got notebook={notebook!r}.")
    if profile not in PROFILES[notebook]:
        raise ValueError(f"`profile` must be one of {NAMES}, got profile={profile!r}.")
    return dict(PROFILES[notebook][profile])


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
