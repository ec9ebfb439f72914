"""Reproducibility: one call seeds everything and makes TensorFlow ops deterministic."""

from __future__ import annotations

import os
import platform

import keras
import numpy as np


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy, the backend and Keras; on TensorFlow, also make its ops deterministic
    (JAX is deterministic on CPU as it is)."""
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def versions() -> dict[str, str]:
    """Versions and devices a notebook ran with, for its setup cell.

    Listing the devices initializes them, so TensorFlow's one-time start-up
    messages land in the cell that prints this, not in a later checked cell.
    """
    import tensorflow as tf

    import spectral_lib

    return {
        "devices": ", ".join(d.name for d in tf.config.list_logical_devices()),
        "python": platform.python_version(),
        "spectral_lib": spectral_lib.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }


def machine() -> str:
    """This machine in words, for results files and the README."""
    return f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}, Python {platform.python_version()}"
