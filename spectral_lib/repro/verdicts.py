"""One vocabulary for every claim we check, and the noise a verdict is measured against.

A verdict is one of :data:`VERDICTS` with the evidence it rests on:

- *reproduced*: the evidence supports the claim beyond the noise (every seed, or the mean over seeds
  against its noise);
- *not reproduced*: it contradicts the claim beyond the noise;
- *inconclusive*: one seed with no measured seed-to-seed noise, or a difference within the noise (the
  evidence says which);
- *not tested at this budget*: the runs could not reach the regime the claim is about (it says why).

The noise of a test error ``p`` measured on ``n`` images is its binomial
standard error ``sqrt(p (1 - p) / n)``; the difference of two errors measured on
independent images has ``sqrt(se_a^2 + se_b^2)`` (on the same images this
overstates it, so a difference called beyond the noise here is one). The spread
from seed to seed (:func:`seed_spread`) adds in quadrature, once per network.
"""

from __future__ import annotations

import dataclasses
import math

REPRODUCED = "reproduced"
NOT_REPRODUCED = "not reproduced"
INCONCLUSIVE = "inconclusive"
NOT_TESTED = "not tested at this budget"
VERDICTS = (REPRODUCED, NOT_REPRODUCED, INCONCLUSIVE, NOT_TESTED)
Z = 2.0  # a difference counts beyond the noise when larger than Z standard errors


@dataclasses.dataclass(frozen=True)
class Verdict:
    """A claim, its verdict and the evidence it rests on, printable as one line."""

    claim: str
    verdict: str
    evidence: str

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"`verdict` must be one of {VERDICTS}, got verdict={self.verdict!r}.")

    def __str__(self) -> str:
        return f"{self.claim}: {self.verdict} ({self.evidence})"


def standard_error(error: float, n: int) -> float:
    """Binomial standard error ``sqrt(p (1 - p) / n)`` of an error rate ``p`` measured on ``n`` images.

    >>> round(standard_error(0.1, 10000), 4)
    0.003
    """
    if n < 1:
        raise ValueError(f"`n` must be a positive number of images, got n={n!r}.")
    return math.sqrt(error * (1 - error) / n)


def difference_se(a: float, b: float, n: int) -> float:
    """Standard error of ``a - b`` for two error rates each measured on ``n`` images."""
    return math.hypot(standard_error(a, n), standard_error(b, n))


def seed_spread(groups: list[list[float]]) -> tuple[float, int] | None:
    """Pooled standard deviation over seeds of several networks' errors, ``sqrt(sum_g sum_i (e_gi - mean_g)^2
    / sum_g (k_g - 1))``, with its degrees of freedom; ``None`` when no network has two seeds.

    >>> spread, dof = seed_spread([[0.10, 0.12], [0.20, 0.20, 0.23]])
    >>> round(spread, 4), dof
    (0.0163, 3)
    """
    dof = sum(len(g) - 1 for g in groups if len(g) > 1)
    if not dof:
        return None
    squares = sum(sum((e - sum(g) / len(g)) ** 2 for e in g) for g in groups if len(g) > 1)
    return math.sqrt(squares / dof), dof


def _mean_and_noise(errors: list[float], n: int, spread: float | None) -> tuple[float, float]:
    """Mean over seeds and its standard error: ``sqrt(sum se_i^2 / k^2 + spread^2 / k)``."""
    k = len(errors)
    binomial = sum(standard_error(e, n) ** 2 for e in errors) / k**2
    return sum(errors) / k, math.sqrt(binomial + (spread or 0.0) ** 2 / k)


def spread_text(spread: tuple[float, int] | None) -> str:
    return (
        "no seed spread measured yet"
        if spread is None
        else f"seed spread {100 * spread[0]:.2f} points ({spread[1]} degree{'s' * (spread[1] > 1)} of freedom)"
    )


def lower_error(
    claim: str, ours: list[float], theirs: list[float], n: int, spread: tuple[float, int] | None
) -> Verdict:
    """Verdict on "``ours`` has a lower error than ``theirs``" from the means over seeds (errors on ``n``
    images each): the gap ``mean(theirs) - mean(ours)`` against its noise, both binomial errors and the seed
    spread (:func:`seed_spread`, of the same or cheaper networks) in quadrature. Reproduced beyond ``Z``
    standard errors one way, not reproduced beyond them the other, else inconclusive; inconclusive too when
    an arm has one seed and no seed spread is measured."""
    if not ours or not theirs:
        raise ValueError(f"`ours` and `theirs` must hold at least one seed each, got {len(ours)} and {len(theirs)}.")
    (mo, so), (mt, st) = (_mean_and_noise(e, n, spread and spread[0]) for e in (ours, theirs))
    gap, se = mt - mo, math.hypot(so, st)
    evidence = (
        f"{100 * mo:.2f} % ({seeds(len(ours))}) vs {100 * mt:.2f} % ({seeds(len(theirs))}): difference "
        f"{100 * gap:+.2f} +- {100 * se:.2f} points, binomial errors on {n} test images and {spread_text(spread)}"
    )
    if spread is None and min(len(ours), len(theirs)) == 1:
        return Verdict(claim, INCONCLUSIVE, f"one seed and {evidence}")
    if abs(gap) <= Z * se:
        return Verdict(claim, INCONCLUSIVE, f"within {Z:g} standard errors: {evidence}")
    return Verdict(claim, REPRODUCED if gap > 0 else NOT_REPRODUCED, evidence)


def seeds(k: int) -> str:
    """``k`` seeds, in words: "1 seed", "3 seeds"."""
    return f"{k} seed{'s' * (k > 1)}"


def at_most_target(claim: str, errors: list[float], target: float, n: int, spread: tuple[float, int] | None) -> Verdict:
    """Verdict on "the error is at most ``target``" (a published error, itself measured on ``n`` images):
    the mean over seeds minus ``target`` against the noise of both and the seed spread in quadrature;
    reproduced when it is at most ``Z`` standard errors, not reproduced when beyond; one seed without a
    measured spread is inconclusive."""
    if not errors:
        raise ValueError("`errors` must hold at least one seed's error.")
    mean, noise = _mean_and_noise(errors, n, spread and spread[0])
    gap, se = mean - target, math.hypot(noise, standard_error(target, n))
    evidence = (
        f"{100 * mean:.2f} % ({seeds(len(errors))}) against {100 * target:.2f} %: "
        f"{100 * gap:+.2f} +- {100 * se:.2f} points, binomial errors on {n} test images and "
        f"{spread_text(spread)}"
    )
    if spread is None and len(errors) == 1:
        return Verdict(claim, INCONCLUSIVE, f"one seed and {evidence}")
    return Verdict(claim, REPRODUCED if gap <= Z * se else NOT_REPRODUCED, evidence)


def positive_over_seeds(claim: str, values: list[float], evidence: str) -> Verdict:
    """Verdict on "the quantity measured once per seed in ``values`` is positive" when the seeds are its only
    noise: the mean against its standard error over them, ``sd / sqrt(k)``; reproduced beyond ``Z`` of them,
    not reproduced beyond them the other way, inconclusive within them or with one seed. ``evidence`` says what
    was measured; the mean and its noise (in points) follow it.

    >>> positive_over_seeds("c", [0.03, 0.04, 0.05], "gap").verdict
    'reproduced'
    """
    if not values:
        raise ValueError("`values` must hold at least one seed's value.")
    k, mean = len(values), sum(values) / len(values)
    if k == 1:
        return Verdict(claim, INCONCLUSIVE, f"{evidence}; one seed, no spread over seeds to measure it against")
    se = math.sqrt(sum((v - mean) ** 2 for v in values) / (k - 1) / k)
    evidence = f"{evidence}; mean {100 * mean:+.2f} +- {100 * se:.2f} points over {k} seeds"
    if abs(mean) <= Z * se:
        return Verdict(claim, INCONCLUSIVE, f"within {Z:g} standard errors: {evidence}")
    return Verdict(claim, REPRODUCED if mean > 0 else NOT_REPRODUCED, evidence)
