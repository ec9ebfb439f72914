"""Figure 3's measure of sparsity: how few entries hold most of the total."""

from __future__ import annotations

import numpy as np


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
        raise ValueError(f"`weights` must be non-empty and non-negative and `share` in (0, 1], got {w.size} "
                         f"entries (min {w.min() if w.size else None}) and share={share!r}.")
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
