"""Figure 2: images pooled by max pooling and by spectral pooling at several reduction factors."""

from __future__ import annotations

from typing import TypedDict

import numpy as np

from spectral_lib import approximation
from spectral_lib.repro import experiment, images, paper, verdicts
from spectral_lib.repro.profiles import NAMES

REDUCTIONS = tuple(4**i for i in range(1, 7))  # fractions of the values kept: 1/4 ... 1/4096
PHOTOGRAPHS = {"camera (grayscale)": "camera", "astronaut (RGB)": "astronaut"}  # label: scikit-image sample
GRADUAL = "camera (grayscale)"  # the photograph shown at sizes max pooling cannot reach


def photographs(size: int) -> dict[str, np.ndarray]:
    """The :data:`PHOTOGRAPHS` at ``size x size`` (:func:`images.photograph`), by label."""
    return {label: images.photograph(sample, size) for label, sample in PHOTOGRAPHS.items()}


def any_sizes(size: int) -> list[int]:
    """Output sizes that are not ``size / k`` for a block ``k``: 3/4, 1/3, 1/5, 1/9 and 1/17 of it, and 7."""
    return [size * 3 // 4, size // 3, size // 5, size // 9, size // 17, 7]


class Errors(TypedDict):
    """One photograph's relative l2 error at every reduction, by pooling."""

    max: list[float]
    spectral: list[float]


def summary(photos: dict[str, np.ndarray], reductions: list[int]) -> dict:
    """The results summary: for each of ``photos`` (``S x S x C``), the relative l2 error
    ``||x - x_rec|| / ||x||`` of max pooling by ``k x k`` blocks and of spectral pooling to
    ``S/k x S/k``, each reconstructed at full size, at every reduction ``r = k^2`` of ``reductions``
    (4 decimals)."""
    sizes = {photo.shape[0] for photo in photos.values()}
    if len(sizes) != 1:
        raise ValueError(f"`photos` must share one size, got sizes {sorted(sizes)}.")
    size = sizes.pop()
    errors = {}
    for name, photo in photos.items():
        x, ks = photo[None], [int(np.sqrt(r)) for r in reductions]
        errors[name] = {
            "max": [round(float(approximation.relative_error(x, approximation.block(x, k, "max"))[0]), 4) for k in ks],
            "spectral": [
                round(float(approximation.relative_error(x, approximation.spectral(x, (size // k,) * 2))[0]), 4)
                for k in ks
            ],
        }
    return {"image_size": size, "reductions": list(reductions), "relative_l2_error": errors}


def judge(summary) -> list[verdicts.Verdict]:
    """The paper's qualitative claim, measured: the relative l2 error of every image at every
    reduction, spectral against max pooling (one image each, exact: no noise to compare with)."""
    errors, reductions = summary["relative_l2_error"], summary["reductions"]
    lower = all(s < m for e in errors.values() for s, m in zip(e["spectral"], e["max"]))
    i = reductions.index(256) if 256 in reductions else -1
    evidence = "; ".join(
        f"{name} at 1/{reductions[i]} of the values: {e['spectral'][i]:.3f} spectral vs {e['max'][i]:.3f} max"
        for name, e in errors.items()
    )
    return [
        verdicts.Verdict(
            paper.CLAIMS["fig2"],
            verdicts.REPRODUCED if lower else verdicts.NOT_REPRODUCED,
            f"relative l2 error lower at every reduction "
            f"{'for every image' if lower else 'not for every image'}; {evidence}",
        )
    ]


class Figure2(experiment.Experiment):
    name = "02_fig2"
    notebook = "02_fig2_pooling_approximations"
    title = "Figure 2: max pooling against spectral pooling"
    paper_item = "Figure 2"
    fields = {"image_size": int, "reductions": list[int], "relative_l2_error": dict[str, Errors]}  # by photograph
    profiles = {name: {"image_size": 256} for name in NAMES}

    def describe(self, profile: str) -> str:
        size = self.config(profile)["image_size"]
        return f"two photographs at {size} x {size}, values kept 1/{REDUCTIONS[0]} to 1/{REDUCTIONS[-1]}"

    def verdicts(self, summary) -> list[verdicts.Verdict]:
        return judge(summary)


EXPERIMENT = Figure2.name
