"""Figure 1: the DFT basis, an image's spectrum, and which entries of a real map's spectrum are free."""

from __future__ import annotations

from spectral_lib.repro import experiment, paper, verdicts


class Figure1(experiment.Experiment):
    name = "01_fig1"
    notebook = "01_fig1_dft_basis_and_symmetry"
    title = "Figure 1: the DFT basis and conjugate symmetry"
    paper_item = "Figure 1"
    fields = {"basis_orthonormal": bool, "camera_energy_share_within_16_cycles": float, "symmetry": dict}

    def verdicts(self, summary) -> list[verdicts.Verdict]:
        """Exact, so no noise: reproduced when every size's real-only entries are the paper's."""
        sym = summary["symmetry"]
        found = {size: sorted(map(tuple, v["real_entries"])) for size, v in sym.items()}
        agree = all(entries == paper.real_only_entries(size) for size, entries in found.items())
        evidence = "; ".join(f"{size}: {entries}" for size, entries in found.items())
        return [verdicts.Verdict(f"real-only spectrum entries: {paper.REAL_ONLY_RULE}",
                                 verdicts.REPRODUCED if agree else verdicts.NOT_REPRODUCED,
                                 f"found {evidence}; cameraman's energy within 16 cycles "
                                 f"{100 * summary['camera_energy_share_within_16_cycles']:.2f} %")]


EXPERIMENT = experiment.register(Figure1()).name
