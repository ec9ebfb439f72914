"""NumPy oracles written from the paper's formulas (Algorithm 1, sections 2-4), independent of spectral_lib.

Algorithm 1 (forward) is the paper's: shift, crop the centred block, treat the
corner cases, inverse DFT. Algorithm 2 (backward) pads the gradient's spectrum
back to full size. Both use the unitary FFT, so they share no code with the
layer's matrix formulation.
"""

import numpy as np


def _crop_axis(y, axis, size_out):
    """Centred crop of a shifted spectrum: frequencies -floor(H/2) .. ceil(H/2)-1,
    then for even H < M the +H/2 frequency is added onto the -H/2 one (fold)."""
    m = y.shape[axis]
    start = m // 2 - size_out // 2  # index of frequency -floor(H/2) after fftshift
    kept = np.take(y, np.arange(start, start + size_out), axis=axis)
    if size_out % 2 == 0 and size_out < m:
        plus = np.take(y, [m // 2 + size_out // 2], axis=axis)  # frequency +H/2
        first = [slice(None)] * y.ndim
        first[axis] = slice(0, 1)
        kept[tuple(first)] += plus
    return kept


def pool(x, size_out, norm="amplitude"):
    """Spectral pooling of a 2-D map ``x`` (M, N) to ``size_out`` (H, W); complex result."""
    m, n = x.shape
    h, w = size_out
    y = np.fft.fftshift(np.fft.fft2(x, norm="ortho"))
    z = _crop_axis(_crop_axis(y, 0, h), 1, w)
    out = np.fft.ifft2(np.fft.ifftshift(z), norm="ortho")
    return out * np.sqrt(h * w / (m * n)) if norm == "amplitude" else out


def pool_adjoint(g, size_in, norm="amplitude"):
    """Algorithm 2: DFT of the gradient, zero-pad its spectrum to (M, N), copying
    each output frequency to every input frequency folded into it, inverse DFT."""
    h, w = g.shape
    m, n = size_in
    z = np.fft.fft2(g, norm="ortho")
    y = np.zeros((m, n), complex)
    for k in _band(m, h):
        for j in _band(n, w):
            y[k % m, j % n] = z[k % h, j % w]
    out = np.fft.ifft2(y, norm="ortho")
    return out * np.sqrt(h * w / (m * n)) if norm == "amplitude" else out


def _band(m, h):
    """Signed input frequencies kept when pooling M -> H: |k| <= H/2, distinct mod M."""
    return list({k % m: k for k in range(-(h // 2), h // 2 + 1)}.values())


def coefficients_from_kernel(kernel, orthonormal=True):
    """Parameter vector theta of a (kh, kw) filter read off its unitary rfft2:
    real-only entries once, free complex ones as (Re, Im), sqrt(2) scaled when
    orthonormal; free = the rfft2 half plane minus the conjugates of its own
    first column (and of its Nyquist column for even kw)."""
    kh, kw = kernel.shape
    spec = np.fft.rfft2(kernel, norm="ortho")
    theta = []
    for u in range(kh):
        for v in range(kw // 2 + 1):
            self_conj_column = v == 0 or 2 * v == kw
            if self_conj_column and 2 * u > kh:
                continue  # conjugate of (kh - u, v), already counted
            if self_conj_column and (u == 0 or 2 * u == kh):
                theta.append(spec[u, v].real)
            else:
                scale = np.sqrt(2) if orthonormal else 1.0
                theta += [scale * spec[u, v].real, scale * spec[u, v].imag]
    return np.array(theta)
