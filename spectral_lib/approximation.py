"""Pool, then bring back to full size: the reconstructions of Figures 2 and 4(a).

Images are batches ``(B, M, N, C)`` of float64. Spectral pooling to ``H x W``
is brought back by zero-padding the spectrum, which together is the
orthogonal projection ``D_H X D_W^T`` (:func:`fourier.band_projection`); max
and average pooling over non-overlapping ``k x k`` blocks are brought back by
nearest-neighbour upsampling (for Figure 4(a): the paper does not say how it brings max pooling back).
"""

from __future__ import annotations

import numpy as np

from spectral_lib import fourier


def spectral(images: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Spectral pooling to ``size`` followed by zero-padding the spectrum back."""
    d_h = fourier.band_projection(images.shape[1], size[0])
    d_w = fourier.band_projection(images.shape[2], size[1])
    return np.einsum("im,bmnc,jn->bijc", d_h, images, d_w, optimize=True)


def block_pool(images: np.ndarray, k: int, reduce: str = "max") -> np.ndarray:
    """Non-overlapping ``k x k`` max or average pooling (sizes must divide by k)."""
    b, m, n, c = images.shape
    if m % k or n % k:
        raise ValueError(f"`k` must divide the map size {m}x{n}, got k={k}.")
    blocks = images.reshape(b, m // k, k, n // k, k, c)
    if reduce == "max":
        return blocks.max(axis=(2, 4))
    if reduce == "avg":
        return blocks.mean(axis=(2, 4))
    raise ValueError(f"`reduce` must be 'max' or 'avg', got reduce={reduce!r}.")


def block(images: np.ndarray, k: int, reduce: str = "max") -> np.ndarray:
    """``k x k`` block pooling followed by nearest-neighbour upsampling back."""
    return block_pool(images, k, reduce).repeat(k, axis=1).repeat(k, axis=2)


def relative_error(images: np.ndarray, reconstructions: np.ndarray) -> np.ndarray:
    """Per image ``||x - x_rec||_2 / ||x||_2`` over all pixels and channels."""
    axes = tuple(range(1, images.ndim))
    return np.sqrt(np.sum((images - reconstructions) ** 2, axis=axes) / np.sum(images**2, axis=axes))
