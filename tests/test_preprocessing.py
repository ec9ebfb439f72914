"""Standardization and GCN + ZCA whitening: the maps, fitted on training images, and their Keras layers."""

import keras
import numpy as np
import pytest

from spectral_lib import preprocessing


def _images(n, seed=0, shape=(4, 4, 3)):
    """uint8 images with correlated pixels (a random mixing of fewer sources), like natural images."""
    rng = np.random.default_rng(seed)
    size = int(np.prod(shape))
    mixed = rng.standard_normal((n, size // 2)) @ rng.standard_normal((size // 2, size))
    return np.clip(128 + 20 * mixed + rng.normal(0, 5, (n, size)), 0, 255).astype(np.uint8).reshape(n, *shape)


def test_channel_statistics_are_per_channel():
    rng = np.random.default_rng(0)
    x = np.empty((50, 8, 8, 3), np.uint8)
    x[..., 0] = rng.integers(0, 256, (50, 8, 8))
    x[..., 1], x[..., 2] = 100, 200
    mean, std = preprocessing.channel_stats(x)
    np.testing.assert_allclose(mean, [x[..., 0].mean(), 100, 200])
    np.testing.assert_allclose(std, [x[..., 0].std(), 0, 0], atol=1e-9)


def test_standardized_training_images_have_zero_mean_and_unit_variance_per_channel():
    x = _images(500)
    out = preprocessing.fit("standardize", x)(x)
    assert out.dtype == np.float32 and out.shape == x.shape
    np.testing.assert_allclose(out.reshape(-1, 3).mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(out.reshape(-1, 3).std(axis=0), 1, atol=1e-5)


def test_contrast_normalization_centres_each_image_and_scales_it_to_norm_55():
    x = _images(20)
    x[0] = 7  # a constant image stays zero instead of dividing by zero
    out = preprocessing.contrast_normalize(x)
    np.testing.assert_allclose(out.mean(axis=1), 0, atol=1e-9)
    np.testing.assert_allclose(np.linalg.norm(out[1:], axis=1), preprocessing.GCN_SCALE)
    np.testing.assert_array_equal(out[0], 0)


def test_whitened_training_images_have_the_covariance_of_zca_with_its_bias():
    # With C the covariance of the contrast-normalized images, ZCA with bias b maps it to C (C + b I)^-1:
    # the identity along directions of variance >> b, and a symmetric (zero-phase) map, not a rotation.
    x = _images(3000)
    whiten = preprocessing.fit("whiten", x)
    out = whiten(x).reshape(len(x), -1).astype(np.float64)
    gcn = preprocessing.contrast_normalize(x)
    c = np.cov(gcn, rowvar=False, bias=True)
    expected = c @ np.linalg.inv(c + preprocessing.ZCA_BIAS * np.eye(len(c)))
    np.testing.assert_allclose(out.mean(axis=0), 0, atol=1e-4)
    np.testing.assert_allclose(np.cov(out, rowvar=False, bias=True), expected, atol=2e-4)
    np.testing.assert_allclose(whiten.matrix, whiten.matrix.T)


@pytest.mark.parametrize("kind", preprocessing.PREPROCESSINGS)
def test_the_layer_is_the_same_map_as_the_arrays_on_held_out_images(kind, monkeypatch):
    monkeypatch.setattr(preprocessing, "_CHUNK", 7)  # several chunks, the last one short
    prepare = preprocessing.fit(kind, _images(400))
    held_out = _images(30, seed=1)
    arrays = prepare(held_out)
    np.testing.assert_allclose(arrays, np.concatenate([prepare(held_out[i : i + 1]) for i in range(30)]), atol=1e-6)
    layer = prepare.layer()
    got = keras.ops.convert_to_numpy(layer(keras.ops.convert_to_tensor(held_out.astype("float32"))))
    np.testing.assert_allclose(got, arrays, rtol=1e-4, atol=1e-4)


def test_an_unknown_preprocessing_is_refused_by_name():
    with pytest.raises(ValueError, match="`kind` must be one of"):
        preprocessing.fit("zca", _images(10))
