"""Natural photographs for the figures: scikit-image's samples, square and float."""

from __future__ import annotations

import numpy as np


def photograph(name: str, size: int = 256) -> np.ndarray:
    """scikit-image sample ``name``, centre-cropped to a square and resized
    (anti-aliased) to ``size x size``: float64 in [0, 1], shape ``(size, size, C)``
    with C = 1 (grayscale) or 3 (RGB)."""
    import skimage.data
    import skimage.transform

    if not hasattr(skimage.data, name):
        raise ValueError(f"`name` must be a scikit-image sample image, got name={name!r}.")
    image = getattr(skimage.data, name)()
    image = image[0] if isinstance(image, tuple) else image  # stereo pairs: left image
    image = skimage.util.img_as_float64(image)
    image = image[..., None] if image.ndim == 2 else image[..., :3]
    h, w = image.shape[:2]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    square = image[top : top + side, left : left + side]
    return np.clip(skimage.transform.resize(square, (size, size), anti_aliasing=True), 0.0, 1.0)
