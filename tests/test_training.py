"""The training helper resumes a killed run after its last finished epoch, also one killed while saving it."""

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from spectral_lib import SpectralConv2D, SpectralPooling2D, files, training


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


def test_no_callback_of_fit_makes_keras_wait_for_every_step(tmp_path, data, monkeypatch):
    # Keras dispatches steps ahead of their results (async on JAX and PyTorch) only while every callback keeps
    # its default batch-end hooks; one override and fit pulls each step's loss to the host before the next.
    seen, fit = [], keras.Model.fit

    def spy(self, *args, callbacks=(), **kwargs):
        seen.extend(callbacks)
        return fit(self, *args, callbacks=callbacks, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    x, y = data
    training.fit(_model(), x, y, epochs=1, batch_size=8, verbose=0, run_dir=tmp_path, callbacks=[CountEpochs()])
    hooked = [
        type(c).__name__
        for c in seen
        if not all(getattr(getattr(c, hook), "_is_default", False) for hook in ("on_batch_end", "on_train_batch_end"))
    ]
    assert len(seen) == 4 and hooked == []


def _kill_on_call(n, write):
    """A stand-in for a writer that does its first ``n - 1`` calls and, on call ``n``, ``write``s half a file
    (or nothing) and dies."""
    calls = []

    def writer(target, *args, **kwargs):
        calls.append(1)
        if len(calls) == n:
            write(target, *args, **kwargs)
            raise Killed
        return writer.real(target, *args, **kwargs)

    return writer


def test_a_kill_while_the_checkpoint_is_written_leaves_the_last_one_whole(tmp_path, data, monkeypatch):
    # Killed half-way through writing the weights of epoch 3: Keras' own BackupAndRestore writes in place,
    # leaving a file h5py cannot open, and the run could not resume at all.
    x, y = data
    torn = _kill_on_call(3, lambda model, filepath, **_: Path(filepath).write_bytes(b"\x89HDF\r\n\x1a\n half a file"))
    torn.real = keras.Model.save_weights
    monkeypatch.setattr(keras.Model, "save_weights", torn)
    with pytest.raises(Killed):
        training.fit(_model(), x, y, epochs=4, batch_size=8, verbose=0, run_dir=tmp_path)
    monkeypatch.undo()
    assert training.finished_epochs(tmp_path) == 2
    assert sorted(p.name for p in (tmp_path / "backup").iterdir()) == ["latest.weights.h5", "training_metadata.json"]
    counter = CountEpochs()
    history = training.fit(_model(), x, y, epochs=4, batch_size=8, verbose=0, run_dir=tmp_path, callbacks=[counter])
    assert counter.trained == [2, 3] and history["epoch"] == [0, 1, 2, 3]


def test_a_kill_between_the_weights_and_their_metadata_trains_no_epoch_twice(tmp_path, data, monkeypatch):
    # The weights of epoch 3 are in place, training_metadata.json still says 2: the weights' own mark wins.
    x, y = data
    lost = _kill_on_call(3, lambda path, payload: None)
    lost.real = files.write_json
    monkeypatch.setattr(files, "write_json", lost)
    with pytest.raises(Killed):
        training.fit(_model(), x, y, epochs=4, batch_size=8, verbose=0, run_dir=tmp_path)
    monkeypatch.undo()
    assert json.loads((tmp_path / "backup" / "training_metadata.json").read_text())["epoch"] == 2
    assert training.finished_epochs(tmp_path) == 3
    counter = CountEpochs()
    training.fit(_model(), x, y, epochs=4, batch_size=8, verbose=0, run_dir=tmp_path, callbacks=[counter])
    assert counter.trained == [3]


def test_read_history_keeps_the_last_row_of_an_epoch(tmp_path):
    (tmp_path / "history.csv").write_text("epoch,loss,val_loss\n0,2.0,NA\n1,1.5,NA\n1,1.4,NA\n2,1.0,NA\n")
    assert training.read_history(tmp_path) == {"epoch": [0, 1, 2], "loss": [2.0, 1.4, 1.0]}
    assert training.read_history(tmp_path / "none") == {}
