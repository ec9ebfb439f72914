"""One training helper for every experiment that trains: ``model.fit`` that survives being killed.

A run lives in ``run_dir``: ``backup/`` holds Keras's ``BackupAndRestore``
state (weights, optimizer state, seed-generator state and the epoch, saved
atomically after every epoch: :class:`_Backup`) and ``history.csv`` one row
per finished epoch with its metrics, its wall-clock seconds and the
cumulative wall-clock time. Calling :func:`fit` again with the same
``run_dir`` resumes after the last finished epoch; once all epochs are done
it restores the final weights and trains no more. Wall-clock time is kept
because the speed-up of Figure 5 is also read in time as well as in epochs.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import h5py
import keras

from spectral_lib import files


class _EpochClock(keras.callbacks.Callback):
    """Adds ``epoch_seconds`` and cumulative ``wall_seconds`` to each epoch's logs."""

    def __init__(self, wall_seconds: float):
        super().__init__()
        self.wall_seconds = wall_seconds

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.perf_counter() - self._start
        self.wall_seconds += seconds
        logs.update(epoch_seconds=seconds, wall_seconds=self.wall_seconds)


def read_history(run_dir: str | Path) -> dict[str, list[float]]:
    """The finished epochs of a run, one list per column, one entry per epoch.

    An epoch logged twice (a kill between the log and the backup) keeps its last
    row; the ``val_*`` columns that ``CSVLogger`` fills with ``NA`` when there is
    no validation data are left out.
    """
    path = Path(run_dir) / "history.csv"
    if not path.exists():
        return {}
    with open(path, newline="") as f:
        rows = {int(row["epoch"]): row for row in csv.DictReader(f)}
    epochs = sorted(rows)
    columns = [c for c in (rows[epochs[0]] if epochs else []) if any(rows[e][c] != "NA" for e in epochs)]
    return {c: [int(rows[e][c]) if c == "epoch" else float(rows[e][c]) for e in epochs] for c in columns}


_EPOCH = "spectral_cnn_epoch"  # the attribute of a checkpoint's weights file that says which epoch they end


def _weights_epoch(path: Path) -> int | None:
    """The epoch a checkpoint's weights end (None where there are none, or they were saved before
    :class:`_Backup` marked them)."""
    if not path.exists():
        return None
    with h5py.File(path, "r") as f:
        return int(f.attrs[_EPOCH]) if _EPOCH in f.attrs else None


class _Backup(keras.callbacks.BackupAndRestore):
    """``BackupAndRestore`` whose checkpoint a kill cannot tear.

    Keras writes ``latest.weights.h5`` in place: a kill during that write (about a second per epoch of
    a large net) leaves a file that cannot be read, and the run with nothing to resume from. Here the
    weights are written under a temporary name and renamed over the last ones, marked with the epoch
    they end; ``training_metadata.json`` follows, and where a kill falls between the two the weights'
    own epoch wins, so a resumed run never trains an epoch twice on top of itself.

    It saves after every epoch only, and keeps Keras' own empty batch hook: a callback with one makes
    ``fit`` pull every step's loss to the host before it dispatches the next step, so that a GPU idles
    while Python prepares each batch (JAX and PyTorch; TensorFlow's ``fit`` waits for each step anyway).
    """

    on_train_batch_end = keras.callbacks.Callback.on_train_batch_end

    def _save_model(self):
        with files.replaced(self._weights_path, suffix=".weights.h5") as tmp:
            self.model.save_weights(tmp)
            with h5py.File(tmp, "a") as f:
                f.attrs[_EPOCH] = self._current_epoch
        files.write_json(self._training_metadata_path, {"epoch": self._current_epoch, "batch": self._last_batch_seen})

    def _load_model(self):
        super()._load_model()
        epoch = _weights_epoch(Path(self._weights_path))
        if epoch is not None:
            self.model._initial_epoch = epoch


def finished_epochs(run_dir: str | Path) -> int:
    """Epochs a resumed :func:`fit` in ``run_dir`` starts after (:class:`_Backup`'s count)."""
    backup = Path(run_dir) / "backup"
    epoch = _weights_epoch(backup / "latest.weights.h5")
    if epoch is not None:
        return epoch
    path = backup / "training_metadata.json"
    return json.loads(path.read_text())["epoch"] if path.exists() else 0


class Deadline(keras.callbacks.Callback):
    """Stops training at the end of the last epoch that fits before ``deadline`` (a :func:`time.monotonic`
    value): after an epoch, when another as long as it, with a quarter to spare, would end past it. Pass it
    to :func:`fit`, whose clock puts the epoch's ``epoch_seconds`` in the logs it reads."""

    def __init__(self, deadline: float):
        super().__init__()
        self.deadline = deadline

    def on_epoch_end(self, epoch, logs=None):
        if time.monotonic() + 1.25 * logs["epoch_seconds"] > self.deadline:
            self.model.stop_training = True


def fit(model: keras.Model, x, y=None, *, epochs: int, run_dir: str | Path, callbacks=(), **kwargs) -> dict:
    """``model.fit(x, y, epochs=epochs, **kwargs)`` with checkpoints and a history file in ``run_dir``.

    ``model`` must be compiled. ``callbacks`` run after the checkpoint of each
    epoch. Returns :func:`read_history` of the whole run, resumes included.

    >>> history = fit(model, x, y, epochs=10, batch_size=128, run_dir="runs/cpu/fig5/spectral_3x3")  # doctest: +SKIP
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    before = read_history(run_dir)
    own = [
        _EpochClock(before["wall_seconds"][-1] if before else 0.0),
        keras.callbacks.CSVLogger(str(run_dir / "history.csv"), append=True),
        _Backup(str(run_dir / "backup"), delete_checkpoint=False),
    ]
    if finished_epochs(run_dir) >= epochs:  # nothing left to train (an empty stream, which fit refuses)
        model.load_weights(run_dir / "backup" / "latest.weights.h5")
    else:
        model.fit(x, y, epochs=epochs, callbacks=own + list(callbacks), **kwargs)
    return read_history(run_dir)
