"""Frequency dropout: cut-off distribution, one cut per step, identity at inference."""

import math

import numpy as np
import pytest
from autodiff import to_numpy

from spectral_lib import SpectralPooling2D, frequency_dropout_schedule

SIZE, C = 10, 0.3  # R uniform over floor(0.3 * 10) = 3 .. 10


def _impulses(channels=2):
    """Batch of all SIZE*SIZE unit impulses: the output batch is the step's operator."""
    eye = np.eye(SIZE * SIZE).reshape(SIZE * SIZE, SIZE, SIZE, 1)
    return np.repeat(eye, channels, axis=-1)


def _step_operator(layer, x):
    out = to_numpy(layer(x, training=True))
    # same cut for every channel ...
    np.testing.assert_allclose(out[..., 0], out[..., 1], atol=1e-12)
    op = out[..., 0].reshape(SIZE * SIZE, SIZE * SIZE)
    # ... and one operator for the whole batch: D_R (x) D_R, a projection of rank R^2
    np.testing.assert_allclose(op @ op, op, atol=1e-9)
    return op


def test_cutoff_is_uniform_over_the_documented_range():
    layer = SpectralPooling2D(SIZE, frequency_dropout=C, seed=7, dtype="float64")
    x = _impulses()
    draws = []
    for _ in range(800):
        rank = np.trace(_step_operator(layer, x))
        draws.append(round(math.sqrt(rank)))
        assert rank == pytest.approx(draws[-1] ** 2, abs=1e-8)  # square R x R cut
    values, counts = np.unique(draws, return_counts=True)
    assert list(values) == list(range(3, 11))
    expected = len(draws) / len(values)
    chi2 = np.sum((counts - expected) ** 2 / expected)
    assert chi2 < 24.32  # chi-square, 7 degrees of freedom, p = 0.001


def test_cut_keeps_the_central_block():
    # With R fixed by c = 1, nothing is cut; with c = 0 the smallest cut keeps the mean.
    x = np.random.default_rng(0).standard_normal((4, SIZE, SIZE, 2))
    full = SpectralPooling2D(SIZE, frequency_dropout=1.0)(x, training=True)
    np.testing.assert_allclose(full, x, atol=1e-5)
    layer = SpectralPooling2D(SIZE, frequency_dropout=0.0, seed=1, dtype="float64")
    for _ in range(50):
        out = to_numpy(layer(x, training=True))
        np.testing.assert_allclose(out.mean(axis=(1, 2)), x.mean(axis=(1, 2)), atol=1e-12)


def test_no_effect_at_inference():
    x = np.random.default_rng(1).standard_normal((3, 20, 20, 4)).astype("float32")
    plain = SpectralPooling2D((13, 13))(x)
    dropout = SpectralPooling2D((13, 13), frequency_dropout=0.2, seed=3)
    np.testing.assert_allclose(dropout(x), plain, atol=1e-6)
    np.testing.assert_allclose(dropout(x, training=False), plain, atol=1e-6)


def test_seeded_draws_are_reproducible():
    x = np.random.default_rng(2).standard_normal((2, 16, 16, 1)).astype("float32")

    def run(seed):
        layer = SpectralPooling2D((12, 12), frequency_dropout=0.1, seed=seed)
        return np.stack([to_numpy(layer(x, training=True)) for _ in range(6)])

    np.testing.assert_array_equal(run(5), run(5))
    assert not np.allclose(run(5), run(6))
    steps = run(5)
    assert any(not np.allclose(steps[0], s) for s in steps[1:])  # a new cut each step


def test_schedule():
    assert frequency_dropout_schedule(0.3, 0.15, 3) == pytest.approx([0.25, 0.2, 0.15])
    assert frequency_dropout_schedule(0.5, 0.5, 4) == pytest.approx([0.5] * 4)
    with pytest.raises(ValueError, match="beta"):
        frequency_dropout_schedule(0.3, 1.5, 3)
