"""Figure 1: the DFT basis, an image's spectrum, and which entries of a real map's spectrum are free."""

from __future__ import annotations

from typing import TypedDict

import numpy as np

from spectral_lib import fourier
from spectral_lib.repro import experiment, paper, verdicts
from spectral_lib.repro.profiles import NAMES

SIZES = ((7, 7), (8, 8), (7, 8))  # (c): odd, even and mixed sizes, every case of the real-only rule


class Symmetry(TypedDict):
    """How one size's spectrum splits (:func:`symmetry`)."""

    real: int
    free: int
    determined: int
    real_entries: list[list[int]]
    degrees_of_freedom: int


def symmetry(height: int, width: int) -> Symmetry:
    """How the spectrum of a real ``height x width`` map splits: the counts of real-only, free
    (complex) and determined (conjugate) entries, the real-only entries ``(u, v)``, and the degrees
    of freedom ``real + 2 free``, which equal ``height * width``.

    >>> symmetry(2, 3)["real_entries"], symmetry(2, 3)["degrees_of_freedom"]
    ([(0, 0), (1, 0)], 6)
    """
    pattern = fourier.symmetry_pattern(height, width)
    roles = {"real": fourier.REAL, "free": fourier.FREE, "determined": fourier.DETERMINED}
    counts = {name: int(np.sum(pattern == role)) for name, role in roles.items()}
    real_entries = [tuple(int(i) for i in e) for e in zip(*np.nonzero(pattern == fourier.REAL))]
    return {**counts, "real_entries": real_entries, "degrees_of_freedom": counts["real"] + 2 * counts["free"]}


def energy_share(image: np.ndarray, cycles: int) -> float:
    """Share of the energy of ``image``'s unitary DFT at frequencies ``|u|, |v| <= cycles`` (per image)."""
    energy = np.abs(np.fft.fft2(image, norm="ortho")) ** 2
    k_u, k_v = (np.abs(np.fft.fftfreq(n, 1 / n)) for n in image.shape)
    return float(energy[(k_u[:, None] <= cycles) & (k_v[None, :] <= cycles)].sum() / energy.sum())


def summary(basis: np.ndarray, camera: np.ndarray, sizes: list[tuple[int, int]]) -> dict:
    """The results summary: is ``basis`` (``[u, v, m, n]``) orthonormal, the share of the cameraman's
    energy within 16 cycles (4 decimals), and :func:`symmetry` of each of ``sizes``."""
    flat = basis.reshape(basis.shape[0] * basis.shape[1], -1)
    return {
        "basis_orthonormal": bool(np.allclose(flat.conj() @ flat.T, np.eye(len(flat)))),
        "camera_energy_share_within_16_cycles": round(energy_share(camera, 16), 4),
        "symmetry": {f"{m}x{n}": symmetry(m, n) for m, n in sizes},
    }


def judge(summary) -> list[verdicts.Verdict]:
    """Exact, so no noise: reproduced when every size's real-only entries are the paper's."""
    sym = summary["symmetry"]
    found = {size: sorted(map(tuple, v["real_entries"])) for size, v in sym.items()}
    agree = all(entries == paper.real_only_entries(size) for size, entries in found.items())
    evidence = "; ".join(f"{size}: {entries}" for size, entries in found.items())
    return [
        verdicts.Verdict(
            f"real-only spectrum entries: {paper.REAL_ONLY_RULE}",
            verdicts.REPRODUCED if agree else verdicts.NOT_REPRODUCED,
            f"found {evidence}; cameraman's energy within 16 cycles "
            f"{100 * summary['camera_energy_share_within_16_cycles']:.2f} %",
        )
    ]


class Figure1(experiment.Experiment):
    name = "01_fig1"
    notebook = "01_fig1_dft_basis_and_symmetry"
    title = "Figure 1: the DFT basis and conjugate symmetry"
    paper_item = "Figure 1"
    fields = {
        "basis_orthonormal": bool,
        "camera_energy_share_within_16_cycles": float,
        "symmetry": dict[str, Symmetry],  # by size, "MxN"
    }
    profiles = {name: {} for name in NAMES}

    def describe(self, profile: str) -> str:
        return "exact computations, the same in every profile"

    def verdicts(self, summary) -> list[verdicts.Verdict]:
        return judge(summary)


EXPERIMENT = Figure1.name
