"""A trained model of raw images, carrying its own preprocessing, saved for anyone to evaluate."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from spectral_lib.files import replaced


def with_preprocessing(model: keras.Model, mean, std) -> keras.Model:
    """``model`` behind its input standardization ``(x - mean) / std``: a model of raw images
    (the official uint8 arrays as float32, 0-255, NHWC) that carries its own preprocessing. It shares
    ``model``'s layers but not its optimizer, whose state would double the saved file."""
    bare = keras.Model(model.inputs, model.outputs, name=model.name)
    images = keras.Input(model.input_shape[1:], name="images")
    x = keras.layers.Normalization(mean=mean, variance=np.square(std), name="standardize")(images)
    return keras.Model(images, bare(x), name=f"{model.name}_raw_images")


def save_model(model: keras.Model, path: Path) -> Path:
    """``model.save(path)``, written atomically."""
    with replaced(path) as tmp:
        model.save(tmp)
    return path
