"""The training helper resumes a killed run after its last finished epoch."""

import keras
import numpy as np
import pytest

from spectral_lib import SpectralConv2D, SpectralPooling2D, training


class Killed(Exception):
    pass


class KillAfter(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise Killed


class CountEpochs(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.trained = []

    def on_epoch_begin(self, epoch, logs=None):
        self.trained.append(epoch)


def _model():
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8, 8, 2))
    x = SpectralConv2D(4, 3, padding="same", activation="relu")(inputs)
    x = SpectralPooling2D(6, frequency_dropout=0.3, seed=1)(x)
    model = keras.Model(inputs, keras.layers.Dense(3)(keras.layers.Flatten()(x)))
    model.compile(keras.optimizers.Adam(1e-2), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


@pytest.fixture
def data():
    rng = np.random.default_rng(0)
    return rng.standard_normal((32, 8, 8, 2)).astype("float32"), rng.integers(0, 3, 32)


def test_killed_run_resumes_after_the_last_finished_epoch(tmp_path, data):
    x, y = data
    with pytest.raises(Killed):
        training.fit(_model(), x, y, epochs=4, batch_size=8, verbose=0, run_dir=tmp_path, callbacks=[KillAfter(1)])
    assert training.read_history(tmp_path)["epoch"] == [0, 1]
    counter = CountEpochs()
    model = _model()  # a fresh process would rebuild the model from scratch
    history = training.fit(model, x, y, epochs=4, batch_size=8, verbose=0, run_dir=tmp_path, callbacks=[counter])
    assert counter.trained == [2, 3]
    assert history["epoch"] == [0, 1, 2, 3]
    assert all(np.diff(history["wall_seconds"]) > 0) and all(s > 0 for s in history["epoch_seconds"])
    assert all(np.isfinite(history["loss"]))

    # A finished run trains no more and restores its final weights.
    again, counter = _model(), CountEpochs()
    training.fit(again, x, y, epochs=4, batch_size=8, verbose=0, run_dir=tmp_path, callbacks=[counter])
    assert counter.trained == []
    for a, b in zip(model.weights, again.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert training.read_history(tmp_path)["epoch"] == [0, 1, 2, 3]


def test_read_history_keeps_the_last_row_of_an_epoch(tmp_path):
    (tmp_path / "history.csv").write_text("epoch,loss,val_loss\n0,2.0,NA\n1,1.5,NA\n1,1.4,NA\n2,1.0,NA\n")
    assert training.read_history(tmp_path) == {"epoch": [0, 1, 2], "loss": [2.0, 1.4, 1.0]}
    assert training.read_history(tmp_path / "none") == {}
