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
    "astronaut", "brick", "camera", "chelsea", "coffee", "coins", "grass", "gravel",
    "hubble_deep_field", "immunohistochemistry", "moon", "retina", "rocket", "stereo_motorcycle",
)

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


def output_root(profile: str) -> Path:
    """``<root>`` for the reference profile, ``<root>/runs/<profile>`` for any other."""
    if profile not in NAMES:
        raise ValueError(f"`profile` must be one of {NAMES}, got profile={profile!r}.")
    root = project_root()
    return root if profile == REFERENCE else root / "runs" / profile
