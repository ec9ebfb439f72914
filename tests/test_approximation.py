"""What Figures 1, 2 and 4(a) compute: DFT basis, photographs, pool-and-reconstruct."""

import keras
import numpy as np
import pytest

from spectral_lib import approximation, fourier
from spectral_lib.ops import spectral_pool
from spectral_lib.repro import images


def _batch(shape=(3, 16, 16, 2), seed=0):
    return np.random.default_rng(seed).random(shape)


def test_dft_basis_gives_the_unitary_dft():
    x = _batch((7, 8), 1)
    basis = fourier.dft_basis(7, 8)
    coefficients = np.einsum("uvmn,mn->uv", basis.conj(), x)
    np.testing.assert_allclose(coefficients, np.fft.fft2(x, norm="ortho"), atol=1e-12)


@pytest.mark.parametrize("reduce, layer", [("max", keras.layers.MaxPooling2D), ("avg", keras.layers.AveragePooling2D)])
def test_block_pool_equals_keras_pooling(reduce, layer):
    x = _batch()
    np.testing.assert_allclose(approximation.block_pool(x, 4, reduce), layer(4, dtype="float64")(x), atol=1e-12)


def test_block_reconstruction_is_nearest_neighbour():
    x = _batch()
    rec = approximation.block(x, 2, "max")
    assert rec.shape == x.shape
    np.testing.assert_array_equal(rec[:, 0, 0], rec[:, 1, 1])
    np.testing.assert_array_equal(rec[:, 0, 0], x[:, :2, :2].max(axis=(1, 2)))
    avg = approximation.block(x, 4, "avg")
    np.testing.assert_allclose(approximation.block(avg, 4, "avg"), avg, atol=1e-12)  # a projection
    with pytest.raises(ValueError, match="k.*divide.*k=5"):
        approximation.block(x, 5)


def test_spectral_reconstruction_is_pooling_then_zero_padding():
    x = _batch((2, 16, 12, 3))
    rec = approximation.spectral(x, (7, 6))
    pooled = spectral_pool(x, (7, 6), norm="unitary").numpy()  # unitary: zero-padding is the pseudo-inverse
    up_h = np.linalg.pinv(fourier.pool_matrix(16, 7, "unitary"))
    up_w = np.linalg.pinv(fourier.pool_matrix(12, 6, "unitary"))
    np.testing.assert_allclose(rec, np.einsum("im,bmnc,jn->bijc", up_h, pooled, up_w), atol=1e-12)
    # the l2-closest map of that resolution: the residual is orthogonal to the reconstruction
    assert abs(np.sum((x - rec) * rec)) < 1e-10
    np.testing.assert_allclose(approximation.spectral(x, (16, 12)), x, atol=1e-12)


def test_relative_error():
    x = _batch()
    assert np.all(approximation.relative_error(x, x) == 0)
    np.testing.assert_allclose(approximation.relative_error(x, 0 * x), 1.0)
    np.testing.assert_allclose(approximation.relative_error(x, 1.5 * x), 0.5)


def test_photographs_are_square_floats_in_range():
    gray, rgb = images.photograph("camera", 64), images.photograph("coffee", 64)
    assert gray.shape == (64, 64, 1) and rgb.shape == (64, 64, 3)
    assert gray.dtype == np.float64 and 0 <= rgb.min() and rgb.max() <= 1
    with pytest.raises(ValueError, match="name.*'imagenet'"):
        images.photograph("imagenet")
