"""A run's settings and its name: :data:`DEFAULTS` lists every setting and its default.

The name is readable and ends in a digest of the settings that differ from the
defaults, so adding a setting later does not rename old runs.
"""

from __future__ import annotations

import hashlib
import json

from spectral_lib import models, preprocessing
from spectral_lib.repro import paper

DEFAULTS = {
    "dataset": "cifar10",  # cifar10 | cifar100 (fine labels)
    "architecture": "generic",  # generic | deep | spectral_pooling
    "kernel_size": 3,
    # spectral_pooling only: M, gamma, and frequency dropout alpha, beta (None: no frequency dropout)
    "num_layers": 3,
    "gamma": paper.OPTIMUM["gamma"],
    "alpha": paper.OPTIMUM["alpha"],
    "beta": paper.OPTIMUM["beta"],
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
    "preprocessing": "standardize",  # standardize | whiten (spectral_lib.preprocessing, fitted on train_images)
    "train_images": 50000,  # the first images of the official training set
    "validation_images": 0,  # held out from the end of the training set; if > 0, evaluated after every epoch
    "test_images": 10000,  # the first images of the official test set; evaluated after every epoch when there
    "seed": 0,  # is no validation split, else once at the end (0: never, e.g. a hyperparameter search)
    "precision": "float32",  # float32 | mixed_bfloat16 (Keras dtype policy: bf16 compute, float32 weights and loss)
}

CHOICES = {
    "dataset": ("cifar10", "cifar100"),
    "architecture": ("generic", "deep", "spectral_pooling"),
    "parameterization": ("spatial", "spectral"),
    "optimizer": ("adam", "sgd"),
    "pooling": models.SPECTRAL_NET_POOLS,
    "pooling_norm": ("amplitude", "unitary"),
    "precision": ("float32", "mixed_bfloat16"),
    "preprocessing": preprocessing.PREPROCESSINGS,
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
        raise ValueError(
            f"`train_images` + `validation_images` must be at most the 50000 training images, got "
            f"train_images={merged['train_images']}, validation_images={merged['validation_images']}."
        )
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
    with unitary DFTs; ``-whitened`` for whitened inputs; ``-bf16`` ends the readable part of a
    ``mixed_bfloat16`` run)."""
    run = {**DEFAULTS, **run}  # the settings of a record written before a setting existed have it at its default
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
    pooling += "-whitened" if run["preprocessing"] == "whiten" else ""
    precision = "-bf16" if run["precision"] == "mixed_bfloat16" else ""
    return f"{dataset}{run['architecture']}{k}x{k}{pooling}-{arm}-{optimizer}-seed{run['seed']}{precision}-{digest}"
