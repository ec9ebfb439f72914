"""The Keras layer contract: Keras's own layer check, .keras round trip, fit with and without XLA."""

import keras
import numpy as np
import pytest
from keras.src.testing import TestCase

from spectral_lib import SpectralConv2D, SpectralPooling2D

# Keras's own layer check (``run_layer_test``, the utility Keras tests its layers with): config and
# serialization round trip, output shape eagerly and symbolically, weights, seed generators and losses
# counted, a short fit and a mixed-precision call. Keras exports it only from ``keras.src``.
CASES = {
    "pooling to a size, unitary": (
        SpectralPooling2D,
        {"output_size": (5, 7), "norm": "unitary", "name": "pool"},
        (2, 16, 16, 8),
        (2, 5, 7, 8),
        {"expected_num_trainable_weights": 0, "expected_num_seed_generators": 0},
    ),
    "pooling by a factor, frequency dropout, channels first, odd sizes": (
        SpectralPooling2D,
        {"factor": 0.85, "frequency_dropout": 0.3, "seed": 4, "data_format": "channels_first"},
        (1, 8, 15, 22),
        (1, 8, 12, 18),
        {"expected_num_trainable_weights": 0, "expected_num_seed_generators": 1},
    ),
    "convolution, every argument": (
        SpectralConv2D,
        {
            "filters": 6,
            "kernel_size": (3, 5),
            "strides": 2,
            "padding": "same",
            "activation": "relu",
            "use_bias": False,
            "kernel_initializer": "he_normal",
            "kernel_regularizer": keras.regularizers.L2(1e-3),
            "orthonormal": False,
        },
        (1, 15, 22, 8),
        (1, 8, 11, 6),
        {"expected_num_trainable_weights": 1, "expected_num_losses": 1},
    ),
}


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_keras_layer_contract(case):
    layer_cls, kwargs, input_shape, output_shape, counts = case
    TestCase().run_layer_test(
        layer_cls,
        kwargs,
        input_shape=input_shape,
        expected_output_shape=output_shape,
        expected_num_non_trainable_weights=0,
        supports_masking=False,
        **counts,
    )


def _model():
    inputs = keras.Input((16, 16, 3))
    x = SpectralConv2D(8, 3, padding="same", activation="relu")(inputs)
    x = SpectralPooling2D(factor=0.85, frequency_dropout=0.25, seed=1)(x)
    x = SpectralConv2D(8, 3, padding="same", activation="relu")(x)
    x = SpectralPooling2D(6)(x)
    x = keras.layers.GlobalAveragePooling2D()(x)
    return keras.Model(inputs, keras.layers.Dense(4)(x))


def _data(n=32):
    rng = np.random.default_rng(0)
    return rng.standard_normal((n, 16, 16, 3)).astype("float32"), rng.integers(0, 4, n)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_fit(jit_compile):
    keras.utils.set_random_seed(0)
    model = _model()
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=jit_compile)
    x, y = _data()
    before = [keras.ops.convert_to_numpy(w).copy() for w in model.trainable_weights]
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert all(not np.allclose(b, w) for b, w in zip(before, model.trainable_weights))


def test_save_and_load_give_identical_predictions(tmp_path):
    keras.utils.set_random_seed(0)
    model = _model()
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x, y = _data()
    model.fit(x, y, epochs=1, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    for a, b in zip(model.layers, loaded.layers):
        assert a.get_config() == b.get_config()


def test_spectral_conv_accepts_unknown_height_and_width():
    # like Conv2D: fully convolutional models take any image size
    inputs = keras.Input((None, None, 3))
    layer = SpectralConv2D(4, 3, strides=2, padding="same")
    model = keras.Model(inputs, layer(inputs))
    assert model.output.shape == (None, None, None, 4)
    assert model(np.zeros((1, 9, 14, 3), "float32")).shape == (1, 5, 7, 4)
    with pytest.raises(ValueError, match="known height and width"):
        SpectralPooling2D(4)(inputs)
