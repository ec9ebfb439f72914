"""Real operators derived from the DFT: spectral pooling, band projection, filter basis.

Everything here is NumPy, float64 and free of Keras state. The layers turn these
matrices into constants; the figures use them directly. Conventions (the paper's
sections 2-3):

* unitary DFT, ``F[k, n] = exp(-2 pi i k n / M) / sqrt(M)``;
* pooling a length-``M`` axis to ``H`` keeps the band ``|k| <= H / 2`` of
  frequencies (``k`` taken modulo ``M``). For even ``H < M`` the two frequencies
  ``+H/2`` and ``-H/2`` both land on the single Nyquist bin of the output and are
  **summed** (aliased), exactly as sampling a band-limited signal does and as
  ``scipy.signal.resample`` does. The result is conjugate symmetric, hence real,
  for every parity combination, and pooling is separable over the two axes.
"""

from __future__ import annotations

import functools
import math

import numpy as np

NORMS = ("amplitude", "unitary")


def _check_positive_int(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"`{name}` must be an int, got {value!r} ({type(value).__name__}).")
    if value < 1:
        raise ValueError(f"`{name}` must be a positive int, got {name}={value}.")
    return int(value)


def check_norm(norm: str) -> str:
    if norm not in NORMS:
        raise ValueError(f"`norm` must be one of {NORMS}, got norm={norm!r}.")
    return norm


def _band(size_in: int, size_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer frequencies kept when pooling ``size_in -> size_out`` and their weights.

    ``k = -floor(H/2) .. floor(H/2)``; when ``H == M`` is even, ``+M/2`` and
    ``-M/2`` are one and the same bin, so each gets weight 1/2.
    """
    half = size_out // 2
    k = np.arange(-half, half + 1)
    weight = np.ones(k.shape)
    if size_out == size_in and size_out % 2 == 0:
        weight[[0, -1]] = 0.5
    return k, weight


def pool_matrix(size_in: int, size_out: int, norm: str = "amplitude") -> np.ndarray:
    """Real ``(size_out, size_in)`` matrix of 1-D spectral pooling.

    .. math::

        A[j, n] = s \\sum_{|k| \\le H/2} \\cos\\big(2\\pi k (j/H - n/M)\\big)

    which equals ``F_H^{-1} Fold F_M`` (crop to the band, sum ``+-H/2`` into the
    Nyquist bin for even ``H``). ``s = 1/M`` for ``norm="amplitude"`` (a constant
    map keeps its value) or ``1/sqrt(MH)`` for ``norm="unitary"`` (the paper's
    unitary DFTs; the mean is scaled by ``sqrt(M/H)``). Pooling an ``M x N`` map
    ``X`` to ``H x W`` is ``A_H X A_W^T``.
    """
    m = _check_positive_int("size_in", size_in)
    h = _check_positive_int("size_out", size_out)
    if h > m:
        raise ValueError(f"`size_out` must be <= size_in={m}, got size_out={h}.")
    scale = 1.0 / m if check_norm(norm) == "amplitude" else 1.0 / math.sqrt(m * h)
    k, weight = _band(m, h)
    phase = 2 * np.pi * k[:, None, None] * (np.arange(h)[None, :, None] / h - np.arange(m)[None, None, :] / m)
    return scale * np.einsum("k,kjn->jn", weight, np.cos(phase))


@functools.lru_cache(maxsize=1024)
def band_projection(size: int, cutoff: int) -> np.ndarray:
    """``(size, size)`` orthogonal projection onto maps of resolution ``cutoff``.

    ``D = A^+ A`` with ``A = pool_matrix(size, cutoff)``: spectral pooling to
    ``cutoff`` followed by zero-padding the spectrum back to ``size`` (the
    Nyquist bin of an even ``cutoff`` split evenly over ``+-cutoff/2``). It keeps
    the band ``|k| < cutoff/2`` and, for even ``cutoff``, the cosine at
    ``cutoff/2``; it is the l2-closest map of that resolution (Parseval).
    """
    a = pool_matrix(size, cutoff, norm="unitary")
    projection = np.linalg.pinv(a) @ a
    projection.setflags(write=False)  # cached: shared by every caller
    return projection


def cutoff_range(size: int, min_fraction: float) -> tuple[int, int]:
    """Range ``[max(1, floor(c * size)), size]`` of the frequency-dropout cut-off R."""
    c = float(min_fraction)
    if not 0.0 <= c <= 1.0:
        raise ValueError(f"`frequency_dropout` must be in [0, 1], got {min_fraction!r}.")
    return max(1, math.floor(c * size)), size


def dropout_pool_matrices(size_in: int, size_out: int, min_fraction: float, norm: str = "amplitude") -> np.ndarray:
    """Stack ``(n_cut, size_out, size_in)`` of pooling fused with each dropout cut.

    Entry ``i`` is ``band_projection(size_out, R) @ pool_matrix(size_in, size_out)``
    for ``R = cutoff_range(size_out, c)[0] + i``; the last entry (``R = size_out``)
    is plain pooling.
    """
    pool = pool_matrix(size_in, size_out, norm)
    low, high = cutoff_range(size_out, min_fraction)
    return np.stack([band_projection(size_out, r) @ pool for r in range(low, high + 1)])


def frequency_dropout_schedule(alpha: float, beta: float, num_layers: int) -> list[float]:
    """Lower cut-off fractions ``c_m = alpha + (m / M) (beta - alpha)``, m = 1..M (the paper's section 3)."""
    n = _check_positive_int("num_layers", num_layers)
    for name, value in (("alpha", alpha), ("beta", beta)):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"`{name}` must be in [0, 1], got {name}={value!r}.")
    return [alpha + (m / n) * (beta - alpha) for m in range(1, n + 1)]


# --- conjugate symmetry and the spectral filter basis -------------------------

REAL, FREE, DETERMINED = 0, 1, 2


def symmetry_pattern(height: int, width: int) -> np.ndarray:
    """Role of each entry of an ``height x width`` spectrum of a real map (Figure 1).

    ``REAL``: its own conjugate partner, so it must be real. ``FREE``: a complex
    entry of the half plane kept by ``rfft2`` (last axis ``0 .. width // 2``).
    ``DETERMINED``: the conjugate of a free entry,
    ``y[u, v] = conj(y[-u mod height, -v mod width])``.
    """
    h = _check_positive_int("height", height)
    w = _check_positive_int("width", width)
    pattern = np.full((h, w), DETERMINED, dtype=np.int8)
    for v in range(w):  # columns first: the free half is rfft2's
        for u in range(h):
            partner = ((-u) % h, (-v) % w)
            if partner == (u, v):
                pattern[u, v] = REAL
            elif pattern[partner] != FREE:
                pattern[u, v] = FREE
    return pattern


def filter_basis(kh: int, kw: int, orthonormal: bool = True) -> np.ndarray:
    """Real ``(kh * kw, kh * kw)`` matrix G with ``vec(w) = G theta``.

    ``theta`` holds the free half-plane DFT coefficients of a ``kh x kw`` filter
    as real numbers: one per ``REAL`` entry and (Re, Im) per ``FREE`` entry of
    :func:`symmetry_pattern`, in row-major order of the spectrum, so exactly
    ``kh * kw`` real degrees of freedom. Column ``i`` is the unitary inverse DFT
    of the conjugate-symmetric spectrum that has that one coefficient set.
    With ``orthonormal=True`` a paired coefficient is stored times sqrt(2), so G
    is orthogonal and ``||w|| = ||theta||`` (plain SGD then follows the same
    path in both parameterizations); with ``False`` theta holds the raw unitary
    DFT coefficients and paired entries weigh twice.
    """
    pattern = symmetry_pattern(kh, kw)
    columns = []
    for u, v in zip(*np.nonzero(pattern != DETERMINED)):
        values = [1.0] if pattern[u, v] == REAL else [1.0, 1.0j]
        for value in values:
            spectrum = np.zeros((kh, kw), complex)
            if pattern[u, v] == FREE:
                value = value / math.sqrt(2) if orthonormal else value
                spectrum[(-u) % kh, (-v) % kw] = np.conj(value)
            spectrum[u, v] = value
            columns.append(np.fft.ifft2(spectrum, norm="ortho").real.ravel())
    return np.stack(columns, axis=1)


def dft_basis(height: int, width: int) -> np.ndarray:
    """Unitary DFT basis maps ``(height, width, height, width)``: entry ``[u, v]`` is
    ``exp(2 pi i (u m / height + v n / width)) / sqrt(height * width)`` (Figure 1)."""
    h = _check_positive_int("height", height)
    w = _check_positive_int("width", width)
    phase_h = np.exp(2j * np.pi * np.outer(np.arange(h), np.arange(h)) / h)  # [u, m]
    phase_w = np.exp(2j * np.pi * np.outer(np.arange(w), np.arange(w)) / w)  # [v, n]
    return np.einsum("um,vn->uvmn", phase_h, phase_w) / np.sqrt(h * w)
