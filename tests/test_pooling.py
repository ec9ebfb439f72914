"""SpectralPooling2D against the NumPy Algorithms 1 and 2 (tests/reference.py)."""

import keras
import numpy as np
import pytest
import reference
from autodiff import input_grad, to_numpy

from spectral_lib import SpectralPooling2D, fourier
from spectral_lib.ops import spectral_pool

# (M, N) -> (H, W): every parity combination, non-square, 1 x 1, identity.
SHAPES = [
    ((32, 32), (16, 16)),  # even -> even
    ((32, 32), (27, 27)),  # even -> odd, the off-by-one trap of a naive (M-H)//2 crop
    ((27, 27), (22, 22)),  # odd -> even
    ((27, 27), (13, 13)),  # odd -> odd
    ((32, 24), (15, 10)),  # non-square, mixed parities
    ((9, 8), (4, 7)),
    ((8, 9), (1, 1)),
    ((6, 5), (1, 2)),
    ((12, 12), (12, 12)),
]


def _random(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("norm", ["amplitude", "unitary"])
@pytest.mark.parametrize("size_in, size_out", SHAPES)
def test_matches_algorithm_1(size_in, size_out, norm):
    x = _random((2,) + size_in + (3,))
    out = to_numpy(SpectralPooling2D(size_out, norm=norm, dtype="float64")(x))
    assert out.shape == (2,) + size_out + (3,)
    for b in range(2):
        for c in range(3):
            expected = reference.pool(x[b, :, :, c], size_out, norm)
            np.testing.assert_allclose(out[b, :, :, c], expected.real, atol=1e-12)


@pytest.mark.parametrize("size_in, size_out", SHAPES)
def test_convention_gives_real_output(size_in, size_out):
    # The fold of +-H/2 makes the cropped spectrum conjugate symmetric: the
    # reference's inverse DFT has no imaginary part, for every parity.
    expected = reference.pool(_random(size_in), size_out)
    assert np.abs(expected.imag).max() < 1e-12 * np.abs(expected.real).max()


def test_corner_only_treatment_is_not_real():
    # Why the fold matters: making only the four corners real, the trap that
    # a reading of the paper's Algorithm 1 invites, leaves an imaginary Nyquist row.
    x = _random((32, 32))
    y = np.fft.fftshift(np.fft.fft2(x, norm="ortho"))
    z = y[8:24, 8:24].copy()
    for corner in [(0, 0), (0, 8), (8, 0), (8, 8)]:
        z[corner] = z[corner].real
    assert np.abs(np.fft.ifft2(np.fft.ifftshift(z)).imag).max() > 1e-3


def test_channels_first_equals_channels_last():
    x = _random((2, 20, 18, 4)).astype("float32")
    last = to_numpy(SpectralPooling2D((9, 12))(x))
    first = SpectralPooling2D((9, 12), data_format="channels_first")(x.transpose(0, 3, 1, 2))
    np.testing.assert_allclose(to_numpy(first).transpose(0, 2, 3, 1), last, atol=1e-6)


def test_same_size_is_identity():
    x = _random((2, 14, 11, 3)).astype("float32")
    for norm in fourier.NORMS:
        np.testing.assert_allclose(SpectralPooling2D((14, 11), norm=norm)(x), x, atol=1e-6)
    np.testing.assert_allclose(SpectralPooling2D(factor=1.0)(x), x, atol=1e-6)


def test_kept_band_is_centred():
    # 32 -> 27 keeps frequencies -13 .. 13: a cosine at 13 passes unchanged,
    # one at 14 vanishes (a crop off by one row would keep -14 or lose 13).
    n = np.arange(32)
    for k, kept in [(13, True), (14, False)]:
        x = np.cos(2 * np.pi * k * n / 32)[:, None] * np.ones((1, 32))
        out = to_numpy(spectral_pool(x[None, :, :, None], (27, 27)))[0, :, :, 0]
        energy = np.sum(out**2) / np.sum(x**2) * (32 * 32) / (27 * 27)
        assert energy == pytest.approx(1.0 if kept else 0.0, abs=1e-9)


def test_amplitude_conventions():
    x = np.full((1, 32, 32, 1), 2.0)
    assert np.allclose(to_numpy(spectral_pool(x, (12, 12))), 2.0)
    assert np.allclose(to_numpy(spectral_pool(x, (12, 12), norm="unitary")), 2.0 * 32 / 12)


def test_linear():
    x, y = _random((1, 20, 20, 2), 1), _random((1, 20, 20, 2), 2)
    layer = SpectralPooling2D((11, 8), dtype="float64")
    np.testing.assert_allclose(layer(3 * x - 2 * y), 3 * layer(x) - 2 * layer(y), atol=1e-12)


def test_composition():
    # Pooling 32 -> 27 -> 18 equals pooling 32 -> 18 directly.
    x = _random((1, 32, 32, 1))
    twice = spectral_pool(spectral_pool(x, (27, 27)), (18, 18))
    np.testing.assert_allclose(to_numpy(twice), to_numpy(spectral_pool(x, (18, 18))), atol=1e-12)


@pytest.mark.parametrize("norm", ["amplitude", "unitary"])
@pytest.mark.parametrize("size_in, size_out", SHAPES)
def test_adjoint_is_algorithm_2(size_in, size_out, norm):
    x, g = _random(size_in, 3), _random(size_out, 4)
    pooled = SpectralPooling2D(size_out, norm=norm, dtype="float64")(x[None, :, :, None])
    backward = reference.pool_adjoint(g, size_in, norm)
    assert np.abs(backward.imag).max() < 1e-12
    # <pool(x), g> == <x, Algorithm2(g)>
    assert np.sum(to_numpy(pooled)[0, :, :, 0] * g) == pytest.approx(np.sum(x * backward.real), rel=1e-10)
    # and autodiff's backward pass is Algorithm 2
    weights = keras.ops.convert_to_tensor(g[None, :, :, None])  # a tensor: torch's autograd cannot multiply NumPy
    autodiff = input_grad(lambda t: spectral_pool(t, size_out, norm) * weights, x[None, :, :, None])
    np.testing.assert_allclose(autodiff[0, :, :, 0], backward.real, atol=1e-12)


def test_gradient_matches_finite_differences():
    layer = SpectralPooling2D((5, 4), dtype="float64")
    x, eps = _random((1, 9, 8, 2)), 1e-6
    autodiff = input_grad(lambda t: layer(t) ** 2, x)
    numerical = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        for sign in (1, -1):
            shifted = x.copy()
            shifted[index] += sign * eps
            numerical[index] += sign * float(np.sum(to_numpy(layer(shifted)) ** 2)) / (2 * eps)
    np.testing.assert_allclose(autodiff, numerical, atol=1e-6)


def test_pool_then_zero_pad_is_the_l2_projection():
    # band_projection = pinv(A) A is the orthogonal projector onto resolution R.
    for size, cutoff in [(16, 8), (16, 7), (15, 6)]:
        d = fourier.band_projection(size, cutoff)
        np.testing.assert_allclose(d @ d, d, atol=1e-12)
        np.testing.assert_allclose(d, d.T, atol=1e-12)
        assert np.trace(d) == pytest.approx(cutoff)
