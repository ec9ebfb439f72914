"""A model with both layers, saved on one Keras backend, loads and predicts the same on each other one."""

import importlib.util
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from spectral_lib import SpectralConv2D, SpectralPooling2D

BACKENDS = ("tensorflow", "jax", "torch")  # each also the name of the module it needs
LOAD_AND_PREDICT = (
    "import sys, numpy as np, keras, spectral_lib\n"
    "model = keras.saving.load_model(sys.argv[1])\n"
    "np.save(sys.argv[3], keras.ops.convert_to_numpy(model.predict(np.load(sys.argv[2]), verbose=0)))\n"
)


@pytest.mark.parametrize("other", BACKENDS)
def test_a_model_saved_on_this_backend_predicts_the_same_on_another(tmp_path, other):
    if other == keras.backend.backend():
        pytest.skip("the same backend")
    if importlib.util.find_spec(other) is None:
        pytest.skip(f"{other} is not installed (pip install -e '.[{other}]')")
    keras.utils.set_random_seed(0)
    inputs = keras.Input((12, 12, 3))
    x = SpectralConv2D(4, 3, padding="same", activation="relu")(inputs)
    x = SpectralPooling2D(factor=0.75, frequency_dropout=0.3, seed=1)(x)
    model = keras.Model(inputs, keras.layers.Dense(5)(keras.layers.GlobalAveragePooling2D()(x)))
    model.compile(keras.optimizers.Adam(0.01), "mse")
    images = np.random.default_rng(0).random((4, 12, 12, 3)).astype("float32")
    model.fit(images, np.ones((4, 5)), epochs=2, verbose=0)  # weights away from their initial values
    model.save(tmp_path / "model.keras")
    np.save(tmp_path / "x.npy", images)
    subprocess.run(
        [
            sys.executable,
            "-c",
            LOAD_AND_PREDICT,
            str(tmp_path / "model.keras"),
            str(tmp_path / "x.npy"),
            str(tmp_path / "y.npy"),
        ],
        env={**os.environ, "KERAS_BACKEND": other},
        check=True,
        capture_output=True,
        timeout=300,
    )
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), model.predict(images, verbose=0), rtol=1e-5, atol=1e-6)
