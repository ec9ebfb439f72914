"""One training helper for every experiment that trains: ``model.fit`` that survives being killed.

A run lives in ``run_dir``: ``backup/`` holds Keras's ``BackupAndRestore``
state (weights, optimizer state, seed-generator state and the epoch, saved
after every epoch) and ``history.csv`` one row per finished epoch with its
metrics, its wall-clock seconds and the cumulative wall-clock time. Calling
:func:`fit` again with the same ``run_dir`` resumes after the last finished
epoch; once all epochs are done it restores the final weights and trains no
more. Wall-clock time is kept because the speed-up of Figure 5 is also read
in time as well as in epochs.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import keras


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


def finished_epochs(run_dir: str | Path) -> int:
    """Epochs a resumed :func:`fit` in ``run_dir`` starts after (``BackupAndRestore``'s own count)."""
    path = Path(run_dir) / "backup" / "training_metadata.json"
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
        keras.callbacks.BackupAndRestore(str(run_dir / "backup"), delete_checkpoint=False),
    ]
    if finished_epochs(run_dir) >= epochs:  # nothing left to train (an empty stream, which fit refuses)
        model.load_weights(run_dir / "backup" / "latest.weights.h5")
    else:
        model.fit(x, y, epochs=epochs, callbacks=own + list(callbacks), **kwargs)
    return read_history(run_dir)
