"""How far an unfinished run has got, written after every epoch, and the segments a run was trained in.

A long run (Figure 4(b)'s 150 epochs take hours to days on a CPU) is trained in stretches, possibly
on several machines and commits. Two files say how far it is:

- ``<runs root>/.../<name>/segments.json`` (beside the checkpoint): one entry per stretch of training,
  ``{"commit", "machine", "backend", "device", "precision", "first_epoch", "last_epoch", "start"}`` (stretches
  recorded before backend and device were named lack those two: TensorFlow on the machine's CPU); a stretch starts at
  the epoch the checkpoint resumes from (``start``: ``"resumed"`` or ``"fresh"``); a run whose
  checkpoint is gone starts again at epoch 0 (``"restarted"``), and the stretches it lost are kept,
  marked ``"lost": true``, from the committed progress file;
- ``<records root>/results/runs/<experiment>/<name>.progress.json`` (:func:`store.progress_path`,
  committed): the run's settings, its epochs so far of ``epochs_planned``, its curve so far, the segments,
  images per second and training time; written atomically after every epoch, removed once the run's
  record is written (the record carries the segments from then on).
"""

from __future__ import annotations

from pathlib import Path
from typing import TypedDict

import keras

from spectral_lib import training
from spectral_lib.files import read_json, write_json
from spectral_lib.repro.store import code_version, progress_path, segments_path
from spectral_lib.utils import device, machine


class _Stretch(TypedDict):
    commit: str
    machine: str
    precision: str
    first_epoch: int
    last_epoch: int
    start: str


class Segment(_Stretch, total=False):
    """One stretch of a run's training (module docstring); ``lost`` only on a stretch whose checkpoint is gone."""

    backend: str
    device: str
    lost: bool


def where(segment: Segment) -> str:
    """The machine a stretch trained on in words: the host alone on its CPU, the GPU and backend when it had one."""
    if segment.get("device") and segment["device"] not in segment["machine"]:
        return f"{segment['device']} under {segment['backend']} (host: {segment['machine']})"
    backend = segment.get("backend", "tensorflow")
    return segment["machine"] + (f" under {backend}" if backend != "tensorflow" else "")


def device_of(segment: Segment) -> str:
    """The device a stretch computed on and its backend, e.g. ``"NVIDIA H200 (jax)"`` (stretches recorded
    before devices were named: the CPU of their machine, under TensorFlow)."""
    device = segment.get("device") or segment["machine"].split(" (")[0]
    return f"{device} ({segment.get('backend', 'tensorflow')})"


def devices(segments: list[Segment]) -> list[str]:
    """The devices (:func:`device_of`) of the stretches whose training a run kept (not those it lost)."""
    return sorted({device_of(s) for s in segments if not s.get("lost")})


# The batch stream was fixed in 10773f9 (README: known defect). The commits before it that stretches of the
# committed records and progress files trained at; every later commit trains on the fixed stream. A test checks
# the set against the git history.
STREAM_FIX = "10773f9"
OLD_STREAM_COMMITS = frozenset(
    "0e9ce7b 2d40126 4ff7522 5c32ce4 770d0e1 7fc0799 8a9f698 984420a b685fb9 bb71f36 be420d5 c2b0075 dcb83cc fb2ad68 "
    "fe1bfda".split()
)


def batch_stream(segments: list[Segment]) -> str:
    """The batch stream the stretches a run kept trained on: ``"old"`` (before :data:`STREAM_FIX`), ``"fixed"``,
    ``"old and fixed"`` for a run resumed across the fix, ``""`` before its first stretch."""
    kept = [s["commit"].split("+")[0] for s in segments if not s.get("lost")]
    streams = {"old" if commit in OLD_STREAM_COMMITS else "fixed" for commit in kept}
    return " and ".join(sorted(streams, reverse=True))


def history(run_dir: Path, evaluated: str) -> dict[str, list[float]]:
    """The per-epoch curve of ``run_dir`` in a record's keys (``train_error``, ``<evaluated>_error``, ...)."""
    h = training.read_history(run_dir)
    if not h:
        return {}
    return {
        "train_loss": h["loss"],
        "train_error": [1 - a for a in h["accuracy"]],
        f"{evaluated}_loss": h["val_loss"],
        f"{evaluated}_error": [1 - a for a in h["val_accuracy"]],
        "epoch_seconds": h["epoch_seconds"],
        "wall_seconds": h["wall_seconds"],
    }


def begin(run: dict, run_dir: Path, first_epoch: int, experiment: str, profile: str) -> list[Segment]:
    """The run's segments with a new one starting after ``first_epoch`` (the checkpoint's epoch), saved.

    Without a checkpoint (``first_epoch`` 0) but with a committed progress file of a run that got further,
    the earlier segments are kept, marked lost, and the new one is ``"restarted"``.
    """
    path = segments_path(run_dir)
    segments = read_json(path)["segments"] if path.exists() and first_epoch else []
    committed = progress_path(run, experiment, profile)
    start = "resumed" if first_epoch else "fresh"
    if not first_epoch and committed.exists():
        earlier = read_json(committed)
        if earlier["epochs"]:
            segments = [{**s, "lost": True} for s in earlier["segments"]]
            start = "restarted"
    segments = [s for s in segments if s["last_epoch"] > s["first_epoch"] or s.get("lost")]  # drop empty ones
    segments.append(
        {
            "commit": code_version(),
            "machine": machine(),
            "backend": keras.backend.backend(),
            "device": device(),
            "precision": run["precision"],
            "first_epoch": first_epoch,
            "last_epoch": first_epoch,
            "start": start,
        }
    )
    Path(run_dir).mkdir(parents=True, exist_ok=True)
    write_json(path, {"segments": segments})
    return segments


def summary(h: dict, run: dict) -> dict:
    """Images per second of training (the wall clock of an epoch includes its evaluation) and the total
    training time of the curve ``h``."""
    seconds = h["epoch_seconds"]
    return {
        "images_per_second": run["train_images"] * len(seconds) / sum(seconds) if seconds else None,
        "training_seconds": h["wall_seconds"][-1] if seconds else 0.0,
    }


class Progress(keras.callbacks.Callback):
    """After every epoch: the current segment's last epoch in ``segments.json`` and, with ``report``, the
    run's progress file (:func:`store.progress_path`), both written atomically."""

    def __init__(
        self,
        run: dict,
        run_dir: Path,
        segments: list[dict],
        epochs: int,
        experiment: str,
        profile: str,
        evaluated: str,
        report: bool,
    ):
        super().__init__()
        self.run, self.run_dir, self.segments, self.epochs = run, Path(run_dir), segments, epochs
        self.experiment, self.profile, self.evaluated, self.report = experiment, profile, evaluated, report

    def on_epoch_end(self, epoch, logs=None):
        self.segments[-1]["last_epoch"] = epoch + 1
        write_json(segments_path(self.run_dir), {"segments": self.segments})
        if not self.report:
            return
        h = history(self.run_dir, self.evaluated)
        write_json(
            progress_path(self.run, self.experiment, self.profile),
            {
                "name": self.run_dir.name,
                "experiment": self.experiment,
                "profile": self.profile,
                "settings": self.run,
                "epochs_planned": self.epochs,
                "epochs": len(h["epoch_seconds"]),
                "history": h,
                "segments": self.segments,
                **summary(h, self.run),
            },
        )


def load(run: dict, experiment: str, profile: str) -> dict | None:
    """The progress file of ``run`` (``None`` when there is none: not started, or finished)."""
    path = progress_path(run, experiment, profile)
    return read_json(path) if path.exists() else None
