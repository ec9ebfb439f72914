"""Reproducibility: one call seeds everything and makes TensorFlow ops deterministic."""

from __future__ import annotations

import platform

import keras
import numpy as np
import tensorflow as tf


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy, TensorFlow and Keras and enable deterministic TF ops."""
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()


def versions() -> dict[str, str]:
    """Versions a notebook ran with, for its setup cell."""
    import spectral_lib

    return {
        "python": platform.python_version(),
        "spectral_lib": spectral_lib.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }
