"""Training runs addressed by their settings: a finished run is reused, an interrupted one resumes.

A run is a dict of settings (:data:`DEFAULTS` lists every key and its
default) plus a number of epochs. Its name is readable and ends in a digest of
the settings that differ from the defaults, so adding a setting later does not
rename old runs; the number of epochs is not part of it, so a longer run
continues a shorter one with the same settings. Two places per run:

- ``runs/<profile>/<experiment>/<name>/`` (not committed; ``$SPECTRAL_CNN_RUNS`` moves ``runs/``
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

import functools
import hashlib
import json
import subprocess
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

from spectral_lib import data, inputs, models, training
from spectral_lib.repro.profiles import output_root, project_root, runs_root
from spectral_lib.repro.results import read_json, write_json
from spectral_lib.utils import machine, set_seed, versions

DEFAULTS = {
    "dataset": "cifar10",  # cifar10 | cifar100 (fine labels)
    "architecture": "generic",  # generic | deep | spectral_pooling
    "kernel_size": 3,
    # spectral_pooling only: M, gamma, and frequency dropout alpha, beta (None: no frequency dropout)
    "num_layers": 3,
    "gamma": 0.85,
    "alpha": 0.3,
    "beta": 0.15,
    # spectral_pooling only: spectral (to floor(gamma H)) | max (the matched baseline, alpha = beta = None) |
    # spectral_half (spectral pooling to the baseline's sizes ceil(H / 2)); and the DFT convention of its pooling
    "pooling": "spectral",
    "pooling_norm": "amplitude",  # amplitude | unitary (SpectralPooling2D(norm=...))
    "parameterization": "spatial",  # spatial (Conv2D) | spectral (SpectralConv2D)
    "orthonormal": True,  # SpectralConv2D(orthonormal=...)
    "optimizer": "adam",  # adam | sgd
    "learning_rate": 1e-3,
    "momentum": 0.0,  # sgd only
    "learning_rate_drops": (),  # epochs after which the learning rate is divided by 10
    "weight_decay": 0.0,  # L2 penalty weight_decay * ||w||^2 on every convolution kernel
    "batch_size": 128,
    "augmentation": True,  # random translations (up to 4 pixels) and horizontal flips
    "train_images": 50000,  # the first images of the official training set
    "validation_images": 0,  # held out from the end of the training set; if > 0, evaluated after every epoch
    "test_images": 10000,  # the first images of the official test set; evaluated after every epoch when there
    "seed": 0,  # is no validation split, else once at the end (0: never, e.g. a hyperparameter search)
    "precision": "float32",  # float32 | mixed_bfloat16 (Keras dtype policy: bf16 compute, float32 weights and loss)
}
# One process builds many models; TensorFlow's warning that each new model's train function is
# traced again is expected here, not a sign of a slow loop.
tf.get_logger().setLevel("ERROR")

CHOICES = {
    "dataset": ("cifar10", "cifar100"),
    "architecture": ("generic", "deep", "spectral_pooling"),
    "parameterization": ("spatial", "spectral"),
    "optimizer": ("adam", "sgd"),
    "pooling": models.SPECTRAL_NET_POOLS,
    "pooling_norm": ("amplitude", "unitary"),
    "precision": ("float32", "mixed_bfloat16"),
}


def settings(**overrides) -> dict:
    """:data:`DEFAULTS` updated with ``overrides``, each checked."""
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise ValueError(f"unknown run setting(s) {unknown}; the settings are {sorted(DEFAULTS)}.")
    merged = {**DEFAULTS, **overrides}
    merged["learning_rate_drops"] = tuple(merged["learning_rate_drops"])  # JSON gives lists
    for key, allowed in CHOICES.items():
        if merged[key] not in allowed:
            raise ValueError(f"`{key}` must be one of {allowed}, got {key}={merged[key]!r}.")
    for key in ("kernel_size", "batch_size", "train_images"):
        if isinstance(merged[key], bool) or not isinstance(merged[key], int) or merged[key] < 1:
            raise ValueError(f"`{key}` must be a positive int, got {key}={merged[key]!r}.")
    if not merged["learning_rate"] > 0:
        raise ValueError(f"`learning_rate` must be positive, got learning_rate={merged['learning_rate']!r}.")
    if merged["validation_images"] < 0 or merged["train_images"] + merged["validation_images"] > 50000:
        raise ValueError(f"`train_images` + `validation_images` must be at most the 50000 training images, got "
                         f"train_images={merged['train_images']}, validation_images={merged['validation_images']}.")
    if isinstance(merged["test_images"], bool) or merged["test_images"] not in range(10001):
        raise ValueError(f"`test_images` must be an int in 0..10000, got test_images={merged['test_images']!r}.")
    if not merged["test_images"] and not merged["validation_images"]:
        raise ValueError("`test_images=0` needs a validation split to evaluate: set `validation_images` > 0.")
    if any(isinstance(e, bool) or not isinstance(e, int) or e < 1 for e in merged["learning_rate_drops"]):
        raise ValueError(f"`learning_rate_drops` must be positive epochs, got {merged['learning_rate_drops']!r}.")
    return merged


def name(run: dict) -> str:
    """``generic3x3-spectral-adam-seed0-<digest>``: readable, and unique for the settings (CIFAR-100 runs
    start with ``cifar100-``; the spectral-pooling net says ``-maxpool`` for its max-pooling baseline,
    ``-half`` for spectral pooling to its sizes, ``-nofd`` without frequency dropout and ``-unitary``
    with unitary DFTs; ``-bf16`` ends the readable part of a ``mixed_bfloat16`` run)."""
    changed = {k: v for k, v in sorted(run.items()) if v != DEFAULTS[k]}
    digest = hashlib.sha1(json.dumps(changed, sort_keys=True).encode()).hexdigest()[:8]
    k = run["kernel_size"]
    arm = run["parameterization"] + ("" if run["orthonormal"] or run["parameterization"] == "spatial" else "-raw")
    optimizer = run["optimizer"] + (f"-momentum{run['momentum']:g}" if run["momentum"] else "")
    dataset = "cifar100-" if run["dataset"] == "cifar100" else ""
    pooling = {"spectral": "", "max": "-maxpool", "spectral_half": "-half"}[run["pooling"]]
    if run["architecture"] == "spectral_pooling" and run["pooling"] != "max" and run["alpha"] is None:
        pooling += "-nofd"  # no frequency dropout
    pooling += "-unitary" if run["pooling_norm"] == "unitary" else ""
    precision = "-bf16" if run["precision"] == "mixed_bfloat16" else ""
    return f"{dataset}{run['architecture']}{k}x{k}{pooling}-{arm}-{optimizer}-seed{run['seed']}{precision}-{digest}"


def _network(run: dict) -> keras.Model:
    """The run's uncompiled network, its weights drawn right after :func:`set_seed` of ``run["seed"]``."""
    set_seed(run["seed"])
    common = {"kernel_size": run["kernel_size"], "conv": run["parameterization"], "orthonormal": run["orthonormal"],
              "num_classes": 100 if run["dataset"] == "cifar100" else 10, "weight_decay": run["weight_decay"]}
    if run["architecture"] == "generic":
        return models.generic(**common)
    if run["architecture"] == "deep":
        return models.deep(**common)
    return models.spectral_pooling_net(num_layers=run["num_layers"], gamma=run["gamma"], alpha=run["alpha"],
                                       beta=run["beta"], pool=run["pooling"], norm=run["pooling_norm"],
                                       seed=run["seed"], **common)


def build_model(run: dict) -> keras.Model:
    """The run's compiled model, its weights drawn right after :func:`set_seed` of ``run["seed"]``.

    Under ``precision="mixed_bfloat16"`` the layers compute in bfloat16 and keep
    float32 weights, and a float32 ``logits`` layer ends the model, so the
    softmax and the loss are float32 (Keras' mixed-precision recipe; bfloat16
    needs no loss scaling).
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(run["precision"])
    try:
        model = _network(run)
    finally:
        keras.config.set_dtype_policy(previous)
    if run["precision"] != "float32":
        logits = keras.layers.Activation("linear", dtype="float32", name="logits")(model.output)
        model = keras.Model(model.input, logits, name=model.name)
    learning_rate = run["learning_rate"]
    if run["learning_rate_drops"]:
        steps = run["train_images"] // run["batch_size"]
        learning_rate = keras.optimizers.schedules.PiecewiseConstantDecay(  # step > boundary: the next value
            [e * steps - 1 for e in run["learning_rate_drops"]],
            [learning_rate / 10**i for i in range(len(run["learning_rate_drops"]) + 1)],
        )
    if run["optimizer"] == "adam":
        optimizer = keras.optimizers.Adam(learning_rate)
    else:
        optimizer = keras.optimizers.SGD(learning_rate, momentum=run["momentum"])
    model.compile(
        optimizer,
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
    )
    return model


def record_path(run: dict, experiment: str, profile: str) -> Path:
    return output_root(profile) / "results" / "runs" / experiment / f"{name(run)}.json"


def run_dir(run: dict, experiment: str, profile: str) -> Path:
    """The run's checkpoint folder: ``<runs root>/<profile>/<experiment>/<name>`` (:func:`profiles.runs_root`)."""
    return runs_root() / profile / experiment / name(run)


def load(run: dict, epochs: int, experiment: str, profile: str) -> dict | None:
    """The record of ``run`` cut to its first ``epochs`` epochs, or ``None`` if it has fewer."""
    path = record_path(run, experiment, profile)
    if not path.exists():
        return None
    record = read_json(path)
    if settings(**record["settings"]) != run:
        raise ValueError(f"{path} holds other settings than its name says: {record['settings']} != {run}")
    if record["epochs"] < epochs:
        return None
    if epochs < record["epochs"]:
        record["history"] = {k: v[:epochs] for k, v in record["history"].items()}
        record.pop("final_test", None)  # measured after the last recorded epoch, not after `epochs`
    record["epochs"] = epochs
    return record


class Snapshot(keras.callbacks.Callback):
    """Saves :func:`conv_state` (every convolution's trainable kernel, spatial kernel and Adam
    moments) to ``<stem>.epoch<E>.npz`` after each of the given epochs."""

    def __init__(self, stem: Path, epochs):
        super().__init__()
        self.stem, self.epochs = stem, set(epochs)

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.epochs:
            save_snapshot(self.model, self.stem.parent / f"{self.stem.name}.epoch{epoch + 1}.npz")


def convolutions(model: keras.Model) -> list[keras.layers.Layer]:
    """The layers of ``model`` with a 2-D convolution kernel, in order."""
    return [layer for layer in model.layers if hasattr(layer, "kernel") and len(layer.kernel.shape) == 4]


def conv_state(model: keras.Model) -> dict[str, np.ndarray]:
    """Every convolution's ``conv<i>/params`` (the trainable kernel: spatial, or spectral
    coefficients), ``conv<i>/kernel`` (spatial) and, once Adam has been built, its moments
    ``conv<i>/m`` and ``conv<i>/v`` of ``params``."""
    optimizer = model.optimizer
    arrays = {}
    for i, layer in enumerate(convolutions(model)):
        params = layer.spectral_kernel if hasattr(layer, "spectral_kernel") else layer._kernel
        arrays[f"conv{i}/params"] = keras.ops.convert_to_numpy(params)
        arrays[f"conv{i}/kernel"] = keras.ops.convert_to_numpy(layer.kernel)
        if getattr(optimizer, "_momentums", None):
            index = optimizer._get_variable_index(params)
            arrays[f"conv{i}/m"] = keras.ops.convert_to_numpy(optimizer._momentums[index])
            arrays[f"conv{i}/v"] = keras.ops.convert_to_numpy(optimizer._velocities[index])
    return arrays


def save_snapshot(model: keras.Model, path: Path) -> Path:
    """:func:`conv_state` of ``model`` as a compressed ``.npz``, written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.npz")
    np.savez_compressed(tmp, **conv_state(model))
    tmp.replace(path)
    return path


def snapshot_path(run: dict, epoch: int, experiment: str, profile: str) -> Path:
    return record_path(run, experiment, profile).with_suffix(f".epoch{epoch}.npz")


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=project_root(), capture_output=True, text=True, check=True).stdout.strip()


@functools.cache
def code_version() -> str:
    """The git commit of the checkout (``+changes`` when tracked files differ from it), else the version;
    read once, by the first run this process records (nothing runs git at import)."""
    try:
        commit, changes = _git("rev-parse", "--short", "HEAD"), _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        from spectral_lib import __version__

        return __version__
    return commit + ("+changes" if changes else "")


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


def with_preprocessing(model: keras.Model, mean, std) -> keras.Model:
    """``model`` behind its input standardization ``(x - mean) / std``: a model of raw images
    (the official uint8 arrays as float32, 0-255, NHWC) that carries its own preprocessing."""
    images = keras.Input(model.input_shape[1:], name="images")
    x = keras.layers.Normalization(mean=mean, variance=np.square(std), name="standardize")(images)
    return keras.Model(images, model(x), name=f"{model.name}_raw_images")


def save_model(model: keras.Model, path: Path) -> Path:
    """``model.save(path)``, written atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.stem}.tmp.keras")
    model.save(tmp)
    tmp.replace(path)
    return path


def train(
    run: dict, epochs: int, experiment: str, profile: str, *, data_dir=None, snapshot_epochs=(), export=None,
    callbacks=(), verbose=0,
) -> dict:
    """Train ``run`` for ``epochs`` epochs (reusing or resuming), record it, return its record.

    The record's ``history`` holds per epoch ``train_loss`` and ``train_error``
    (running means over the epoch's batches), ``test_loss`` and ``test_error``
    (after the epoch, on the test images) or, with a validation split,
    ``validation_loss`` and ``validation_error`` instead and the test set once
    at the end in ``final_test``; ``epoch_seconds`` and cumulative
    ``wall_seconds`` (training plus the per-epoch evaluation).
    ``snapshot_epochs``: epochs after which :class:`Snapshot` saves the
    convolutions beside the record. ``export``: a ``.keras`` path where the
    trained model is saved :func:`with_preprocessing`. ``callbacks``: more Keras
    callbacks, after the checkpoint of each epoch (the search's pruning).
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
    if record is not None and training.finished_epochs(folder) < min(missing, default=record["epochs"]):
        lost = f"its snapshots after epochs {missing} are" if missing else f"its exported model {export} is"
        raise RuntimeError(
            f"run {name(run)} is recorded but {lost} missing and its checkpoint in {folder} cannot give "
            f"them: delete {record_path(run, experiment, profile)} to train it again."
        )
    splits = datasets(run, data_dir)
    (x, y), evaluated = splits["train"], "validation" if "validation" in splits else "test"
    mean, std = inputs.channel_stats(x)
    first = training.finished_epochs(folder)
    batches = inputs.training_batches(
        x, y, batch_size=run["batch_size"], seed=run["seed"], epochs=epochs, first_epoch=min(first, epochs),
        mean=mean, std=std, augmentation=run["augmentation"],
    )
    model = build_model(run)
    stem = record_path(run, experiment, profile).with_suffix("")
    training.fit(
        model, batches, epochs=epochs, run_dir=folder, steps_per_epoch=len(x) // run["batch_size"],
        validation_data=(inputs.standardize(splits[evaluated][0], mean, std), splits[evaluated][1]),
        validation_batch_size=1000,
        callbacks=[Snapshot(stem, snapshot_epochs), *callbacks], shuffle=False, verbose=verbose,
    )
    if export is not None:
        save_model(with_preprocessing(model, mean, std), Path(export))
    history = training.read_history(folder)
    done = len(history["epoch"])
    record = {
        "name": name(run),
        "experiment": experiment,
        "profile": profile,
        "settings": run,
        "epochs": done,
        "history": {
            "train_loss": history["loss"],
            "train_error": [1 - a for a in history["accuracy"]],
            f"{evaluated}_loss": history["val_loss"],
            f"{evaluated}_error": [1 - a for a in history["val_accuracy"]],
            "epoch_seconds": history["epoch_seconds"],
            "wall_seconds": history["wall_seconds"],
        },
        "machine": machine(),
        "versions": versions(),
        "code_version": code_version(),
    }
    if evaluated == "validation" and "test" in splits:  # the test set once, at the end
        loss, accuracy = model.evaluate(inputs.standardize(splits["test"][0], mean, std), splits["test"][1],
                                        batch_size=1000, verbose=0)
        record["final_test"] = {"loss": loss, "error": 1 - accuracy}
    write_json(record_path(run, experiment, profile), record)
    return load(run, epochs, experiment, profile)
