"""A trained model of raw images, carrying its own preprocessing, saved for anyone to evaluate."""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np

from spectral_lib.files import replaced
from spectral_lib.preprocessing import Preprocessing


def _float32_policies(config):
    """``config`` (a Keras model's, as nested dicts and lists) with every dtype policy made float32."""
    if isinstance(config, list):
        return [_float32_policies(c) for c in config]
    if not isinstance(config, dict):
        return config
    if config.get("class_name") == "DTypePolicy":
        return {**config, "config": {**config["config"], "name": "float32"}}
    return {k: _float32_policies(v) for k, v in config.items()}


def as_float32(model: keras.Model) -> keras.Model:
    """A copy of ``model`` (trained in ``mixed_bfloat16``, say) whose every layer computes in float32, with the
    same weights (mixed precision keeps them in float32 already): its predictions are those of the trained
    weights without bfloat16's rounding, which CPUs without AVX512-BF16 emulate and round differently."""
    copy = model.__class__.from_config(_float32_policies(model.get_config()))
    copy.set_weights(model.get_weights())
    return copy


def with_preprocessing(model: keras.Model, preprocessing: Preprocessing) -> keras.Model:
    """``model`` behind the layer of its input ``preprocessing``: a model of raw images (the official uint8
    arrays as float32, 0-255, NHWC) that carries its own preprocessing. It shares ``model``'s layers but not
    its optimizer, whose state would double the saved file."""
    bare = keras.Model(model.inputs, model.outputs, name=model.name)
    images = keras.Input(model.input_shape[1:], name="images")
    x = preprocessing.layer()(images)
    return keras.Model(images, bare(x), name=f"{model.name}_raw_images")


def compute_dtypes(model: keras.Model) -> list[str]:
    """The dtypes ``model``'s layers compute in, nested models' included."""
    layers = [layer for layer in model._flatten_layers(include_self=False)]
    return sorted({layer.dtype_policy.compute_dtype for layer in layers})


def model_error(model: keras.Model, images: np.ndarray, labels: np.ndarray) -> float:
    """Error of a model of raw images (uint8 arrays as float32, 0-255) on ``images``."""
    logits = model.predict(images.astype("float32"), batch_size=500, verbose=0)
    return float(np.mean(np.argmax(logits, axis=1) != labels))


def save_model(model: keras.Model, path: Path) -> Path:
    """``model.save(path)``, written atomically."""
    with replaced(path) as tmp:
        model.save(tmp)
    return path
