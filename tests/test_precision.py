"""The layers and the runs under ``mixed_bfloat16``: the same functions as in float32 within bfloat16's
rounding, float32 weights, and a float32 loss."""

import keras
import numpy as np
import pytest

from spectral_lib import SpectralConv2D, SpectralPooling2D
from spectral_lib.repro import build, run_settings

# bfloat16 keeps 8 significant bits: a relative rounding of 2^-8 per operand. A product of two rounded
# operands summed over K terms then errs by about 2^-8 sqrt(K) of its scale; these bounds are that with
# a margin, and far below the error of a wrong operator (a swapped axis or a lost scale is O(1)).
REL = 0.03


def _relative_error(a, b):
    a, b = (np.asarray(keras.ops.convert_to_numpy(v), np.float64) for v in (a, b))
    return np.linalg.norm(a - b) / np.linalg.norm(b)


def _x(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype("float32")


@pytest.mark.parametrize(
    "kwargs",
    [dict(output_size=(13, 12)), dict(factor=0.85, norm="unitary"), dict(output_size=8, frequency_dropout=0.3, seed=3)],
)
def test_spectral_pooling_in_bfloat16_is_the_float32_operator(kwargs):
    x = _x((4, 27, 26, 5))
    exact = SpectralPooling2D(**kwargs)(x, training=False)
    layer = SpectralPooling2D(dtype="mixed_bfloat16", **kwargs)
    out = layer(x, training=False)
    assert keras.backend.standardize_dtype(out.dtype) == "bfloat16"
    assert _relative_error(out, exact) < REL


def test_frequency_dropout_in_bfloat16_cuts_as_in_float32():
    # The same seed draws the same cut-offs in both precisions, so each training step's output agrees.
    x = _x((3, 20, 20, 2))
    exact, half = (SpectralPooling2D(16, frequency_dropout=0.3, seed=5, dtype=d) for d in ("float32", "mixed_bfloat16"))
    for _ in range(5):
        assert _relative_error(half(x, training=True), exact(x, training=True)) < REL


def test_spectral_conv_in_bfloat16_keeps_float32_coefficients():
    x = _x((2, 12, 12, 8))
    exact = SpectralConv2D(6, 3, padding="same")
    exact.build(x.shape)
    half = SpectralConv2D(6, 3, padding="same", dtype="mixed_bfloat16")
    half.build(x.shape)
    half.set_weights(exact.get_weights())
    assert keras.backend.standardize_dtype(half.spectral_kernel.dtype) == "float32"
    assert _relative_error(half(x), exact(x)) < REL


def test_a_bfloat16_run_has_its_own_name_float32_logits_and_a_float32_loss():
    base = run_settings.settings(architecture="spectral_pooling", num_layers=2, optimizer="sgd", momentum=0.9)
    half = {**base, "precision": "mixed_bfloat16"}
    assert "-bf16-" in run_settings.name(half) and "bf16" not in run_settings.name(base)
    model = build.build_model(half)
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert {layer.compute_dtype for layer in convs} == {"bfloat16"}
    assert {layer.kernel.dtype for layer in convs} == {"float32"}
    assert keras.backend.standardize_dtype(model.output.dtype) == "float32"
    x, y = _x((8, 32, 32, 3)), np.arange(8) % 10
    loss = model.compute_loss(x, y, model(x))
    assert keras.backend.standardize_dtype(loss.dtype) == "float32"
    exact = build.build_model(base)
    assert abs(float(loss) - float(exact.compute_loss(x, y, exact(x)))) < 0.05 * float(loss)
