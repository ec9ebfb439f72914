"""Snapshots of a model's convolutions and Adam moments after given epochs (what Figure 3 reads)."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from spectral_lib.files import replaced
from spectral_lib.repro.build import convolutions


class Snapshot(keras.callbacks.Callback):
    """Saves :func:`conv_state` (every convolution's trainable kernel, spatial kernel and Adam
    moments) to ``<stem>.epoch<E>.npz`` after each of the given epochs."""

    def __init__(self, stem: Path, epochs):
        super().__init__()
        self.stem, self.epochs = stem, set(epochs)

    def on_epoch_end(self, epoch, logs=None):
        if epoch + 1 in self.epochs:
            save_snapshot(self.model, self.stem.parent / f"{self.stem.name}.epoch{epoch + 1}.npz")


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
    with replaced(path) as tmp:
        np.savez_compressed(tmp, **conv_state(model))
    return path
