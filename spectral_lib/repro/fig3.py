"""Figure 3: how few entries of the learned filters and of Adam's moments hold most of the total.

The runs are Figure 5's Generic 3x3 Adam pairs of the profile's seeds (:mod:`fig5`), whose convolutions
and Adam moments it saves after its ``snapshot_epochs``; this experiment reads them and trains nothing.
"""

from __future__ import annotations

from typing import TypedDict

import numpy as np

from spectral_lib.repro import experiment, fig5, paper, profiles, run_settings, store, verdicts

SHARE = 0.9  # the concentration's share of the total


def concentration(weights, share: float = 0.9) -> float:
    """Smallest fraction of the entries of ``weights`` (non-negative) whose sum is at least
    ``share`` of the total: ``min k/n`` with ``sum of the k largest >= share * sum``.

    Applied to squared parameters it is the fraction of coefficients holding ``share`` of the
    energy (equal in both parameterizations for the same filter when the spectral one is
    orthonormal, by Parseval); the lower, the sparser. A uniform vector gives ``share``
    (rounded up to whole entries), a one-hot vector ``1/n``.

    >>> concentration([1, 1, 1, 1]), concentration([0, 0, 5, 0])
    (1.0, 0.25)
    """
    w = np.sort(np.asarray(weights, dtype=np.float64).ravel())[::-1]
    if w.size == 0 or (w < 0).any() or not 0 < share <= 1:
        raise ValueError(
            f"`weights` must be non-empty and non-negative and `share` in (0, 1], got {w.size} "
            f"entries (min {w.min() if w.size else None}) and share={share!r}."
        )
    cumulative = np.cumsum(w)
    k = int(np.searchsorted(cumulative, share * cumulative[-1] * (1 - 1e-12))) + 1
    return k / w.size


def share_curve(weights, points: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """The curve behind :func:`concentration`: for fractions ``f`` of the entries (largest
    first), the share of the total they hold."""
    w = np.sort(np.asarray(weights, dtype=np.float64).ravel())[::-1]
    cumulative = np.concatenate([[0.0], np.cumsum(w)]) / w.sum()
    f = np.linspace(0, 1, points)
    return f, np.interp(f * w.size, np.arange(w.size + 1), cumulative)


def layers(state: dict) -> list[str]:
    """The convolutions of a saved state (``"conv0/kernel"``, ``"conv0/m"``, ...): ``["conv0", ...]``."""
    return sorted({key.split("/")[0] for key in state})


class Concentrations(TypedDict):
    """One convolution's :func:`concentration` of each measure."""

    initial_energy: float
    trained_energy: float
    first_moment: float
    second_moment: float


def concentrations(trained: dict, initial: dict) -> dict[str, dict[str, Concentrations]]:
    """Per arm and convolution, the :func:`concentration` (:data:`SHARE`) of the parameters' energy at
    initialization and after training, of Adam's ``|m|`` and of its ``v``; ``trained`` and ``initial``:
    each arm's saved state (:func:`store.snapshot_path`, :func:`snapshots.conv_state`)."""

    def measures(t, start, layer):
        return {
            "initial_energy": concentration(start[f"{layer}/params"] ** 2, SHARE),
            "trained_energy": concentration(t[f"{layer}/params"] ** 2, SHARE),
            "first_moment": concentration(np.abs(t[f"{layer}/m"]), SHARE),
            "second_moment": concentration(t[f"{layer}/v"], SHARE),
        }

    return {arm: {layer: measures(t, initial[arm], layer) for layer in layers(t)} for arm, t in trained.items()}


def summary(config: dict, pairs: dict[int, dict], trained: dict[int, dict], initial: dict[int, dict]) -> dict:
    """The results summary: the experiment's ``config``, :data:`SHARE`, and by seed (a string key) the names of
    the runs of its pair (:func:`pair`) and their :func:`concentrations`; ``pairs``, ``trained`` and
    ``initial`` are keyed by seed."""
    return {
        "config": config,
        "runs": {
            str(seed): {arm: run_settings.name(e["run"]) for arm, e in pair.items()} for seed, pair in pairs.items()
        },
        "share": SHARE,
        "concentration": {str(seed): concentrations(trained[seed], initial[seed]) for seed in pairs},
    }


def pair(profile: str, seed: int = 0) -> dict[str, dict]:
    """Figure 5's plan entries of ``seed`` whose state Figure 3 reads after its ``epoch``, by parameterization."""
    return fig5.snapshotted(profile, Figure3.config(profile)["epoch"], seed)


def _gap(by_arm: dict, layer: str, measure: str) -> float:
    """Spatial minus spectral concentration of ``measure`` in ``layer``: positive when the spectral is sparser."""
    return by_arm["spatial"][layer][measure] - by_arm["spectral"][layer][measure]


def judge(summary) -> list[verdicts.Verdict]:
    """Per convolution: did training make the spectral filters sparser beyond the gap the two arms start with
    (the gap's change, measured on each seed), and does Adam's ``|m|`` sit on fewer spectral parameters (the
    gap after training). Over several seeds the mean of each against its spread over them
    (:func:`verdicts.positive_over_seeds`); one seed is inconclusive whatever the gap. A snapshot after fewer
    Adam steps than the paper's (:func:`adam_steps` of the ``paper`` profile) has not tested either claim.
    Each row gives every seed's numbers and which way their mean points."""
    by_seed, epoch, steps = summary["concentration"], summary["config"]["epoch"], adam_steps(summary["profile"])
    seeds = sorted(by_seed, key=int)
    paper_steps = adam_steps("paper")
    short = steps < paper_steps
    regime = f"{'one seed' if len(seeds) == 1 else f'{len(seeds)} seeds'}, snapshot after epoch {epoch} ({steps} "
    regime += f"Adam steps; the paper's is after about {paper_steps})" if short else "Adam steps)"
    share = f"{100 * summary['share']:.0f} %"

    def verdict(claim, values, details, caveat=""):
        evidence = f"{regime}: {'; '.join(details)}{caveat}"
        if short:
            way = f"{'it' if len(values) == 1 else 'their mean'} points {'toward' if sum(values) > 0 else 'against'}"
            return verdicts.Verdict(claim, verdicts.NOT_TESTED, f"{evidence}; {way} the claim")
        return verdicts.positive_over_seeds(claim, values, evidence)

    out = []
    for layer in by_seed[seeds[0]]["spectral"]:
        before = [_gap(by_seed[s], layer, "initial_energy") for s in seeds]
        after = [_gap(by_seed[s], layer, "trained_energy") for s in seeds]
        grown = [a - b for a, b in zip(after, before)]
        energy = [
            f"seed {s}: {share} of the energy in {100 * by_seed[s]['spectral'][layer]['trained_energy']:.1f} % of the "
            f"spectral vs {100 * by_seed[s]['spatial'][layer]['trained_energy']:.1f} % of the spatial entries, a gap "
            f"of {100 * a:+.1f} points against {100 * b:+.1f} at initialization ({100 * g:+.1f})"
            for s, a, b, g in zip(seeds, after, before, grown)
        ]
        out.append(verdict(f"{layer}: {paper.CLAIMS['fig3_sparser']}, beyond the gap at initialization", grown, energy))
        fewer = [_gap(by_seed[s], layer, "first_moment") for s in seeds]
        moments = [
            f"seed {s}: {share} of Adam's |m| on {100 * by_seed[s]['spectral'][layer]['first_moment']:.1f} % of the "
            f"spectral vs {100 * by_seed[s]['spatial'][layer]['first_moment']:.1f} % of the spatial parameters"
            for s in seeds
        ]
        caveat = "; no initial state to compare with"
        out.append(verdict(f"{layer}: {paper.CLAIMS['fig3_moments']}", fewer, moments, caveat))
    return out


class Figure3(experiment.Experiment):
    name = "05_fig3"
    notebook = "05_fig3_sparsity_adam_moments"
    title = "Figure 3: sparsity of the learned filters and of Adam's moments"
    paper_item = "Figure 3"
    schema = 3  # 2: the profile's entry is `config` (was `settings`); 3: runs and concentration by seed
    fields = {  # runs: by seed, the run's name by arm; concentration: by seed, arm (spatial, spectral), convolution
        "config": dict,
        "runs": dict[str, dict[str, str]],
        "share": float,
        "concentration": dict[str, dict[str, dict[str, Concentrations]]],
    }
    # The convolutions and Adam moments of Figure 5's Generic 3x3 Adam pairs of the first `seeds` seeds after
    # `epoch` epochs, which Figure 5's plan saves because this experiment asks for them (:meth:`snapshots`).
    # The paper's snapshot: 10 epochs of 50 000 images at batch 128, about 3 900 Adam steps.
    profiles = {
        "smoke": {"epoch": 2, "seeds": 1},
        "cpu": {"epoch": 10, "seeds": 1},
        "paper": {"epoch": 10, "seeds": 3},
    }
    requires = (fig5.EXPERIMENT,)

    def snapshots(self, profile: str) -> dict[int, tuple[int, ...]]:
        config = self.config(profile)
        return {seed: (config["epoch"],) for seed in range(config["seeds"])}

    def describe(self, profile: str) -> str:
        config = self.config(profile)
        pairs = "pair of seed 0" if config["seeds"] == 1 else f"pairs of seeds 0-{config['seeds'] - 1}"
        return f"trains nothing: Figure 5's Generic 3x3 Adam {pairs} after epoch {config['epoch']}"

    def missing(self, profile: str) -> str | None:
        config = self.config(profile)
        absent = [
            f"{arm} (seed {seed})"
            for seed in range(config["seeds"])
            for arm, e in pair(profile, seed).items()
            if not store.snapshot_path(e["run"], config["epoch"], fig5.EXPERIMENT, profile).exists()
        ]
        if not absent:
            return None
        return (
            f"the {', '.join(absent)} state after epoch {config['epoch']} of Figure 5 is not saved in profile "
            f"{profile!r}: `python -m spectral_lib.repro.fig5 --profile {profile}` trains it"
        )

    def readme_choices(self) -> list[str]:
        share = f"{100 * SHARE:.0f} %"
        return [
            f"- **Figure 3's sparsity measure.** The fraction of coefficients that hold {share} of the energy "
            "(`repro.fig3.concentration`), equal for the same filter in both orthonormal parameterizations by "
            "Parseval. It already differs at initialization: the orthonormal DFT of Glorot-uniform filters is close "
            f"to Gaussian, whose heavier tails put {share} of the energy on fewer entries than uniform values do. "
            "So the claim is read as the gap between the arms growing beyond that initial gap, measured on each "
            "seed, and its mean over the seeds against their spread (`verdicts.positive_over_seeds`; the paper "
            f"profile has {self.config('paper')['seeds']}); with one seed (the reference profile's, epoch "
            f"{self.config(profiles.REFERENCE)['epoch']} of Figure 5's seed 0) there is no spread to measure a change "
            "against, and the verdict is inconclusive whatever the gap; a snapshot after fewer Adam steps than the "
            f"paper's ({adam_steps(profiles.REFERENCE)} in the reference "
            f"profile against about {adam_steps('paper')}) has not tested the claim at all.",
        ]

    def verdicts(self, summary) -> list[verdicts.Verdict]:
        return judge(summary)


def adam_steps(profile: str) -> int:
    """Adam steps before Figure 3's snapshot under ``profile``: its epoch times the steps per epoch of
    Figure 5's Generic cell, whose state it reads."""
    run = pair(profile)["spectral"]["run"]
    return Figure3.config(profile)["epoch"] * (run["train_images"] // run["batch_size"])


EXPERIMENT = Figure3.name
