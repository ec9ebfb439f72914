"""Training runs addressed by their settings: a finished run is reused, an interrupted one resumes.

A run is a dict of settings (:data:`run_settings.DEFAULTS` lists every key and its
default) plus a number of epochs. Its name is readable and ends in a digest of
the settings that differ from the defaults, so adding a setting later does not
rename old runs; the number of epochs is not part of it, so a longer run
continues a shorter one with the same settings. Two places per run:

- ``runs/<profile>/<experiment>/<name>/`` (:mod:`store`; not committed; ``$SPECTRAL_CNN_RUNS`` moves ``runs/``
  elsewhere, e.g. off a work tree that is laid anew): the checkpoint of
  :func:`training.fit` (weights, optimizer state, epoch) and its history; a
  killed run started again resumes after its last finished epoch;
- ``<output root>/results/runs/<experiment>/<name>.json`` (committed for the
  reference profile): the record of a finished run, written atomically: its
  settings, per-epoch metrics, wall-clock time, machine, versions and code
  version. Figures and tables are computed from records only, and a run whose
  record holds at least the epochs asked for is never trained again.

Both arms of a comparison differ only in ``parameterization``: the model is
built right after seeding with ``seed`` (same initial spatial filters, the
spectral ones being their DFT) and the batches are a pure function of ``seed``
(:mod:`spectral_lib.inputs`).

>>> record = train(settings(architecture="generic", parameterization="spectral"), epochs=20,
...                experiment="04_fig5", profile="cpu")  # doctest: +SKIP
>>> record["history"]["test_error"]  # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from spectral_lib import data, inputs, preprocessing, training
from spectral_lib.files import write_json
from spectral_lib.repro import progress
from spectral_lib.repro.build import build_model
from spectral_lib.repro.export import as_float32, model_error, save_model, with_preprocessing
from spectral_lib.repro.run_settings import name, settings
from spectral_lib.repro.snapshots import Snapshot
from spectral_lib.repro.store import code_version, load, progress_path, record_path, run_dir, snapshot_path
from spectral_lib.utils import device, machine, versions

__all__ = ["datasets", "train"]


def datasets(run: dict, data_dir=None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{"train": (x, y), "validation": ..., "test": ...}`` of ``run``: the first ``train_images`` of
    the training set, its last ``validation_images`` and the first ``test_images`` of the test set
    (each only when > 0); uint8 NHWC images and integer labels."""
    cifar = data.load_cifar100(data_dir) if run["dataset"] == "cifar100" else data.load_cifar10(data_dir)
    n, v = run["train_images"], run["validation_images"]
    out = {"train": (cifar.train.x[:n], cifar.train.y[:n])}
    if v:
        out["validation"] = (cifar.train.x[-v:], cifar.train.y[-v:])
    if run["test_images"]:
        out["test"] = (cifar.test.x[: run["test_images"]], cifar.test.y[: run["test_images"]])
    return out


def train(
    run: dict,
    epochs: int,
    experiment: str,
    profile: str,
    *,
    data_dir=None,
    snapshot_epochs=(),
    export=None,
    callbacks=(),
    report_progress=False,
    deadline=None,
    steps_per_execution=1,
    verbose=0,
) -> dict | None:
    """Train ``run`` for ``epochs`` epochs (reusing or resuming), record it, return its record; ``None`` when
    ``deadline`` (a :func:`time.monotonic` value) stopped it first (:class:`training.Deadline`: at the end of the
    last epoch that fits, its checkpoint and progress written, so that the next call resumes there).

    The record's ``history`` holds per epoch ``train_loss`` and ``train_error``
    (running means over the epoch's batches), ``test_loss`` and ``test_error``
    (after the epoch, on the test images) or, with a validation split,
    ``validation_loss`` and ``validation_error`` instead and the test set once
    at the end in ``final_test``; ``epoch_seconds`` and cumulative
    ``wall_seconds`` (training plus the per-epoch evaluation).
    ``snapshot_epochs``: epochs after which :class:`Snapshot` saves the
    convolutions beside the record. ``export``: a ``.keras`` path where the
    trained model is saved :func:`with_preprocessing`, computing in float32 (:func:`as_float32`), its test error
    recorded beside the run's own as ``final_test["exported_error"]``. ``callbacks``: more Keras
    callbacks, after the checkpoint of each epoch (the search's pruning). Each
    stretch of training is one of the record's ``segments`` (:mod:`progress`);
    ``report_progress`` also writes the run's progress file after every epoch. ``steps_per_execution``
    (:func:`build.build_model`) must divide the steps of an epoch: it changes how the steps are dispatched,
    not which.
    """
    run = settings(**run)
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"`epochs` must be a positive int, got epochs={epochs!r}.")
    missing = [e for e in snapshot_epochs if not snapshot_path(run, e, experiment, profile).exists()]
    unexported = export is not None and not Path(export).exists()
    record = load(run, epochs, experiment, profile)
    if record is not None and not missing and not unexported:
        return record
    folder = run_dir(run, experiment, profile)
    first = training.finished_epochs(folder)
    if missing and first >= min(missing):  # training on from the checkpoint does not pass those epochs again
        raise RuntimeError(
            f"run {name(run)} lacks its snapshots after epochs {missing} and its checkpoint in {folder} is past "
            f"them (epoch {first}): delete {folder} and {record_path(run, experiment, profile)} to train it again."
        )
    if record is not None and unexported and first < record["epochs"]:
        raise RuntimeError(
            f"run {name(run)} is recorded but its exported model {export} is missing and its checkpoint in "
            f"{folder} does not hold its final weights: delete {record_path(run, experiment, profile)} to train "
            "it again."
        )
    splits = datasets(run, data_dir)
    (x, y), evaluated = splits["train"], "validation" if "validation" in splits else "test"
    steps = len(x) // run["batch_size"]
    if isinstance(steps_per_execution, bool) or not isinstance(steps_per_execution, int) or steps_per_execution < 1:
        raise ValueError(
            f"`steps_per_execution` must be a positive int, got steps_per_execution={steps_per_execution!r}."
        )
    if steps % steps_per_execution:
        raise ValueError(
            f"`steps_per_execution` must divide the {steps} steps of an epoch of {name(run)}, got "
            f"steps_per_execution={steps_per_execution} (an execution would run into the next epoch's batches)."
        )
    prepare = preprocessing.fit(run["preprocessing"], x)
    batches = inputs.training_batches(
        prepare(x),
        y,
        batch_size=run["batch_size"],
        seed=run["seed"],
        epochs=epochs,
        first_epoch=min(first, epochs),
        augmentation=run["augmentation"],
    )
    model = build_model(run, steps_per_execution)
    stem = record_path(run, experiment, profile).with_suffix("")
    segments = progress.begin(run, folder, min(first, epochs), experiment, profile)
    training.fit(
        model,
        iter(batches),
        epochs=epochs,
        run_dir=folder,
        steps_per_epoch=steps,
        validation_data=(prepare(splits[evaluated][0]), splits[evaluated][1]),
        validation_batch_size=1000,
        callbacks=[
            progress.Progress(run, folder, segments, epochs, experiment, profile, evaluated, report=report_progress),
            Snapshot(stem, snapshot_epochs),
            *callbacks,
            *([training.Deadline(deadline)] if deadline is not None else []),
        ],
        shuffle=False,
        verbose=verbose,
    )
    history = progress.history(folder, evaluated)
    if len(history.get("epoch_seconds", [])) < epochs:
        return None
    exported = with_preprocessing(as_float32(model), prepare) if export is not None else None
    if exported is not None:
        save_model(exported, Path(export))
    record = {
        "name": name(run),
        "experiment": experiment,
        "profile": profile,
        "settings": run,
        "epochs": len(history["epoch_seconds"]),
        "history": history,
        "segments": [s for s in segments if s["last_epoch"] > s["first_epoch"] or s.get("lost")],
        "machine": machine(),
        "backend": keras.backend.backend(),
        "device": device(),
        "versions": versions(),
        "code_version": code_version(),
    }
    if evaluated == "validation" and "test" in splits:  # the test set once, at the end
        loss, accuracy = model.evaluate(prepare(splits["test"][0]), splits["test"][1], batch_size=1000, verbose=0)
        record["final_test"] = {"loss": loss, "error": 1 - accuracy}
        if exported is not None:  # the saved model, in float32, of raw images
            record["final_test"]["exported_error"] = model_error(exported, *splits["test"])
    write_json(record_path(run, experiment, profile), record)
    progress_path(run, experiment, profile).unlink(missing_ok=True)
    return load(run, epochs, experiment, profile)
