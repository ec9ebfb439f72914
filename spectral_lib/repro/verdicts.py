"""One vocabulary for every claim we check, and the noise a verdict is measured against.

A verdict is one of :data:`VERDICTS` with the evidence it rests on:

- *reproduced*: every seed (or an interval over seeds) supports the claim, beyond the noise;
- *not reproduced*: every seed contradicts it, beyond the noise;
- *inconclusive*: one seed, or a difference within the noise (the evidence says which);
- *not tested at this budget*: the runs could not reach the regime the claim is about (it says why).

The noise of a test error ``p`` measured on ``n`` images is its binomial
standard error ``sqrt(p (1 - p) / n)``; the difference of two errors measured on
independent images has ``sqrt(se_a^2 + se_b^2)`` (on the same images this
overstates it, so a difference called beyond the noise here is one).
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


def lower_is_better(claim: str, ours: list[float], theirs: list[float], n: int) -> Verdict:
    """Verdict on "``ours`` has a lower error than ``theirs``", paired seed by seed (errors on ``n`` images).

    Reproduced when every seed's ``theirs - ours`` exceeds ``Z`` standard errors,
    not reproduced when every seed's ``ours - theirs`` does; with one seed or
    otherwise, inconclusive.
    """
    if not ours or len(ours) != len(theirs):
        raise ValueError(f"`ours` and `theirs` must be paired seed by seed, got {len(ours)} and {len(theirs)}.")
    gaps = [(t - o, difference_se(o, t, n)) for o, t in zip(ours, theirs)]
    evidence = "; ".join(f"seed {i}: {100 * o:.2f} % vs {100 * t:.2f} %, difference {100 * g:+.2f} +- {100 * se:.2f} "
                         f"points" for i, (o, t, (g, se)) in enumerate(zip(ours, theirs, gaps)))
    evidence += f" (one binomial standard error on {n} test images)"
    beyond = [abs(g) > Z * se for g, se in gaps]
    if len(gaps) == 1:
        return Verdict(claim, INCONCLUSIVE, f"one seed: {evidence}")
    if all(beyond) and all(g > 0 for g, _ in gaps):
        return Verdict(claim, REPRODUCED, evidence)
    if all(beyond) and all(g < 0 for g, _ in gaps):
        return Verdict(claim, NOT_REPRODUCED, evidence)
    return Verdict(claim, INCONCLUSIVE, f"not every seed beyond {Z:g} standard errors in one direction: {evidence}")


def at_most(claim: str, errors: list[float], target: float, n: int) -> Verdict:
    """Verdict on "the error is at most ``target``": reproduced when every seed is below ``target`` or
    within ``Z`` standard errors of it, not reproduced when every seed is above it by more; one seed is
    inconclusive (the evidence gives its gap)."""
    if not errors:
        raise ValueError("`errors` must hold at least one seed's error.")
    ses = [standard_error(e, n) for e in errors]
    evidence = "; ".join(f"seed {i}: {100 * e:.2f} +- {100 * se:.2f} % ({100 * (e - target):+.2f} points)"
                         for i, (e, se) in enumerate(zip(errors, ses)))
    evidence += f" against {100 * target:.2f} %, on {n} test images"
    within = [e - target <= Z * se for e, se in zip(errors, ses)]
    if len(errors) == 1:
        return Verdict(claim, INCONCLUSIVE, f"one seed: {evidence}")
    if all(within):
        return Verdict(claim, REPRODUCED, evidence)
    if not any(within):
        return Verdict(claim, NOT_REPRODUCED, evidence)
    return Verdict(claim, INCONCLUSIVE, f"the seeds disagree: {evidence}")
