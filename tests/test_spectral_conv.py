"""SpectralConv2D: same function as Conv2D, spectral parameters, same initial filters."""

import keras
import numpy as np
import pytest
import reference
from autodiff import to_numpy, weight_grads

from spectral_lib import SpectralConv2D, fourier


def _x(shape=(2, 12, 11, 3), seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(kernel_size=3, padding="same"),
        dict(kernel_size=5, padding="valid", strides=2),
        dict(kernel_size=(2, 3), padding="same", dilation_rate=2, use_bias=False),
        dict(kernel_size=4, padding="valid", activation="relu"),
    ],
)
def test_forward_equals_conv2d_with_derived_kernel(kwargs):
    x = _x()
    spectral = SpectralConv2D(5, bias_initializer="random_normal", dtype="float64", **kwargs)
    out = spectral(x)
    conv = keras.layers.Conv2D(5, dtype="float64", **kwargs)
    conv.build(x.shape)
    conv.set_weights([to_numpy(spectral.kernel)] + ([to_numpy(spectral.bias)] if spectral.use_bias else []))
    np.testing.assert_allclose(to_numpy(out), to_numpy(conv(x)), atol=1e-12)
    assert tuple(out.shape) == spectral.compute_output_shape(x.shape)


@pytest.mark.parametrize("kernel_size", [1, 2, 3, 4, 5, (3, 5), (4, 3)])
def test_parameter_count_equals_conv2d(kernel_size):
    spectral = SpectralConv2D(7, kernel_size)
    spectral.build((None, 16, 16, 4))
    conv = keras.layers.Conv2D(7, kernel_size)
    conv.build((None, 16, 16, 4))
    assert spectral.count_params() == conv.count_params()


@pytest.mark.parametrize("orthonormal", [True, False])
@pytest.mark.parametrize("kernel_size", [(3, 3), (5, 5), (4, 4), (2, 3)])
def test_coefficients_are_the_dft(kernel_size, orthonormal):
    # kernel -> coefficients (from the reference rfft2) -> inverse -> kernel
    w = np.random.default_rng(1).standard_normal(kernel_size)
    theta = reference.coefficients_from_kernel(w, orthonormal)
    basis = fourier.filter_basis(*kernel_size, orthonormal=orthonormal)
    np.testing.assert_allclose((basis @ theta).reshape(kernel_size), w, atol=1e-12)
    np.testing.assert_allclose(np.linalg.solve(basis, w.ravel()), theta, atol=1e-12)


def test_spectral_coefficients_and_kernel_views():
    layer = SpectralConv2D(4, 3, dtype="float64")
    layer.build((None, 8, 8, 2))
    kernel = to_numpy(layer.kernel)
    coefficients = layer.spectral_coefficients()
    assert coefficients.shape == (3, 2, 2, 4) and np.iscomplexobj(coefficients)
    theta = to_numpy(layer.spectral_kernel)
    np.testing.assert_allclose(theta[:, 1, 2], reference.coefficients_from_kernel(kernel[:, :, 1, 2]), atol=1e-12)


def test_initial_kernel_equals_conv2d():
    init = keras.initializers.GlorotUniform(seed=11)
    spectral = SpectralConv2D(16, 3, kernel_initializer=init)
    spectral.build((None, 32, 32, 3))
    conv = keras.layers.Conv2D(16, 3, kernel_initializer=keras.initializers.GlorotUniform(seed=11))
    conv.build((None, 32, 32, 3))
    np.testing.assert_allclose(to_numpy(spectral.kernel), to_numpy(conv.kernel), atol=1e-6)


def test_gradient_matches_finite_differences():
    layer = SpectralConv2D(2, 3, padding="same", dtype="float64")
    x = _x((1, 6, 5, 2))
    layer.build(x.shape)
    theta = layer.spectral_kernel
    loss = lambda: float(np.sum(to_numpy(layer(x)) ** 2))  # noqa: E731
    autodiff = weight_grads(layer, x, lambda out: keras.ops.sum(out**2))[0]
    start, eps = to_numpy(theta), 1e-6
    numerical = np.zeros_like(start)
    for index in np.ndindex(start.shape):
        for sign in (1, -1):
            shifted = start.copy()
            shifted[index] += sign * eps
            theta.assign(shifted)
            numerical[index] += sign * loss() / (2 * eps)
    np.testing.assert_allclose(autodiff, numerical, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("orthonormal, same_path", [(True, True), (False, False)])
def test_sgd_follows_the_spatial_path_only_when_orthonormal(orthonormal, same_path):
    # The paper's section 4: with plain SGD an orthonormal reparameterization trains identically.
    x, target = _x((4, 8, 8, 3), 1), keras.ops.convert_to_tensor(_x((4, 8, 8, 2), 2))
    spectral = SpectralConv2D(2, 3, padding="same", orthonormal=orthonormal, dtype="float64")
    spectral.build(x.shape)
    conv = keras.layers.Conv2D(2, 3, padding="same", dtype="float64")
    conv.build(x.shape)
    conv.set_weights([to_numpy(spectral.kernel), to_numpy(spectral.bias)])
    for layer in (spectral, conv):
        optimizer = keras.optimizers.SGD(0.05)
        for _ in range(3):
            grads = weight_grads(layer, x, lambda out: keras.ops.mean((out - target) ** 2))
            optimizer.apply([keras.ops.convert_to_tensor(g) for g in grads], layer.trainable_variables)
    assert np.allclose(to_numpy(spectral.kernel), to_numpy(conv.kernel), atol=1e-10) == same_path
