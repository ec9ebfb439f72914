"""How raw images become a network's inputs, fitted on the training images: as arrays, and as a Keras layer.

- ``standardize`` (what every run of this package uses unless told): each channel
  ``(x - mean) / std`` with the training images' per-channel mean and standard deviation.
- ``whiten``: global contrast normalization, then ZCA whitening, the preprocessing of the
  no-augmentation CIFAR baselines the paper's Figure 4(b) compares with (Maxout, Network in
  Network): each image minus its own mean, scaled to norm :data:`GCN_SCALE`; then
  ``(x - mu) P`` with ``mu`` the mean of the normalized training images and
  ``P = U diag(1 / sqrt(s + ZCA_BIAS)) U^T`` from the eigendecomposition ``U diag(s) U^T`` of their
  covariance. The paper does not state its own preprocessing.

:func:`fit` returns either as a :class:`Preprocessing`: called on uint8 (or 0-255 float) NHWC images
it gives float32 inputs; :meth:`Preprocessing.layer` is the same map as a Keras layer, which an
exported model puts in front of the network so that it takes raw images.
"""

from __future__ import annotations

import abc

import keras
import numpy as np

PREPROCESSINGS = ("standardize", "whiten")
GCN_SCALE = 55.0  # the norm of every image after global contrast normalization (pylearn2's, for CIFAR-10)
ZCA_BIAS = 0.1  # added to the covariance's eigenvalues before whitening: bounds the gain of flat directions
_CHUNK = 2000  # images transformed at a time


def channel_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of uint8 NHWC ``images`` on the 0-255 scale."""
    x = images.reshape(-1, images.shape[-1]).astype(np.float64)
    return x.mean(axis=0), x.std(axis=0)


def standardize(images, mean, std) -> np.ndarray:
    """``(x - mean) / std`` per channel, as a float32 array."""
    return ((np.asarray(images, np.float32) - np.float32(mean)) / np.float32(std)).astype(np.float32)


def contrast_normalize(images) -> np.ndarray:
    """Each image (flattened, float64) minus its mean, scaled to norm :data:`GCN_SCALE` (a constant image
    stays zero)."""
    x = np.asarray(images, np.float64).reshape(len(images), -1)
    x = x - x.mean(axis=1, keepdims=True)
    norm = np.linalg.norm(x, axis=1, keepdims=True) / GCN_SCALE
    return x / np.where(norm < 1e-8, 1.0, norm)


class Preprocessing(abc.ABC):
    """A map from raw images to network inputs, fitted on training images (:func:`fit`)."""

    kind: str

    def __call__(self, images) -> np.ndarray:
        """The float32 inputs of uint8 (or 0-255 float) NHWC ``images``, made :data:`_CHUNK` at a time."""
        images = np.asarray(images)
        out = np.empty(images.shape, np.float32)
        for start in range(0, len(images), _CHUNK):
            out[start : start + _CHUNK] = self._apply(images[start : start + _CHUNK])
        return out

    @abc.abstractmethod
    def _apply(self, images) -> np.ndarray:
        """The inputs of a chunk of images."""

    @abc.abstractmethod
    def layer(self) -> keras.layers.Layer:
        """The same map as a Keras layer of float32 images."""


class Standardize(Preprocessing):
    """Per-channel standardization with the training images' :func:`channel_stats`."""

    kind = "standardize"

    def __init__(self, images: np.ndarray):
        self.mean, self.std = channel_stats(images)

    def _apply(self, images) -> np.ndarray:
        return standardize(images, self.mean, self.std)

    def layer(self) -> keras.layers.Layer:
        return keras.layers.Normalization(mean=self.mean, variance=np.square(self.std), name="standardize")


class Whiten(Preprocessing):
    """Global contrast normalization, then ZCA whitening fitted on the training images (in float64)."""

    kind = "whiten"

    def __init__(self, images: np.ndarray):
        x = contrast_normalize(images)
        self.mean = x.mean(axis=0)
        x -= self.mean
        s, u = np.linalg.eigh(x.T @ x / len(x))
        self.matrix = (u * (1.0 / np.sqrt(np.maximum(s, 0.0) + ZCA_BIAS))) @ u.T

    def _apply(self, images) -> np.ndarray:
        return ((contrast_normalize(images) - self.mean) @ self.matrix).reshape(images.shape).astype(np.float32)

    def layer(self) -> keras.layers.Layer:
        return Whitening(self.mean, self.matrix, name="whiten")


@keras.saving.register_keras_serializable(package="spectral_lib")
class Whitening(keras.layers.Layer):
    """:class:`Whiten` as a layer: contrast normalization of each image, then ``(x - mean) @ matrix``
    (``mean`` of length ``H W C``, ``matrix`` ``(H W C, H W C)``, both stored as weights)."""

    def __init__(self, mean=None, matrix=None, **kwargs):
        super().__init__(**kwargs)
        self._initial = (mean, matrix)

    def build(self, input_shape):
        size = int(np.prod(input_shape[1:]))
        mean, matrix = self._initial
        self.mean = self.add_weight(shape=(size,), initializer="zeros", trainable=False, name="mean")
        self.matrix = self.add_weight(shape=(size, size), initializer="zeros", trainable=False, name="matrix")
        if mean is not None:
            self.mean.assign(np.asarray(mean, np.float32))
            self.matrix.assign(np.asarray(matrix, np.float32))

    def get_config(self) -> dict:
        return super().get_config()  # mean and matrix are weights: a loaded model reads them from its weights

    def call(self, images):
        ops = keras.ops
        x = ops.reshape(ops.cast(images, "float32"), (ops.shape(images)[0], -1))
        x = x - ops.mean(x, axis=1, keepdims=True)
        norm = ops.sqrt(ops.sum(ops.square(x), axis=1, keepdims=True)) / GCN_SCALE
        x = x / ops.where(norm < 1e-8, 1.0, norm)
        return ops.reshape(ops.matmul(x - self.mean, self.matrix), ops.shape(images))


def fit(kind: str, images: np.ndarray) -> Preprocessing:
    """The preprocessing ``kind`` (one of :data:`PREPROCESSINGS`) fitted on the training ``images``."""
    if kind not in PREPROCESSINGS:
        raise ValueError(f"`kind` must be one of {PREPROCESSINGS}, got kind={kind!r}.")
    return Standardize(images) if kind == "standardize" else Whiten(images)
