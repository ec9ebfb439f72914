"""Input pipelines for training: seeded ``tf.data`` batches with the paper's augmentation.

Every random choice is a pure function of ``(seed, epoch)`` (the order of the
examples) and ``(seed, step)`` (the augmentation of a batch), drawn with
stateless ops. Two runs with the same seed therefore see exactly the same
batches, which is what makes a spatial-vs-spectral comparison paired
(the paper's section 5), and a run resumed at epoch ``e`` sees exactly the
batches it would have seen without the interruption.

Augmentation (Figure 5 runs, the paper's section 5: "random translations and
horizontal flips"; the size of the translations is not stated): each image is
flipped left-right with probability 1/2 and translated by an integer
``(dy, dx)`` uniform in ``[-max_shift, max_shift]^2``, the uncovered border
filled with zeros, i.e. with the mean pixel after standardization.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf


def channel_stats(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of uint8 NHWC ``images`` on the 0-255 scale."""
    x = images.reshape(-1, images.shape[-1]).astype(np.float64)
    return x.mean(axis=0), x.std(axis=0)


def standardize(images, mean, std):
    """``(x - mean) / std`` per channel, as float32."""
    return (tf.cast(images, tf.float32) - tf.constant(mean, tf.float32)) / tf.constant(std, tf.float32)


MAX_SHIFT = 4  # pixels: the largest random translation of :func:`augment`


def augment(images: tf.Tensor, seed: tf.Tensor, max_shift: int = MAX_SHIFT) -> tf.Tensor:
    """Random horizontal flips and translations of a batch ``(B, H, W, C)``.

    ``seed`` is a stateless seed (shape ``[2]``, int32/int64): the same seed
    gives the same flips and shifts. Image ``b`` is mirrored when
    ``u_b < 1/2`` and becomes ``out[b, i, j] = padded[b, i + dy_b, j + dx_b]``
    with ``padded`` the image zero-padded by ``max_shift`` on each side.
    """
    flip_seed, row_seed, col_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 3))
    batch, height, width = tf.shape(images)[0], tf.shape(images)[1], tf.shape(images)[2]
    flip = tf.random.stateless_uniform([batch], flip_seed) < 0.5
    images = tf.where(flip[:, None, None, None], tf.reverse(images, axis=[2]), images)
    if max_shift == 0:
        return images
    pad = [[0, 0], [max_shift, max_shift], [max_shift, max_shift], [0, 0]]
    padded = tf.pad(images, pad)
    span = 2 * max_shift + 1
    dy = tf.random.stateless_uniform([batch], row_seed, 0, span, dtype=tf.int32)
    dx = tf.random.stateless_uniform([batch], col_seed, 0, span, dtype=tf.int32)
    rows = dy[:, None] + tf.range(height)[None, :]
    cols = dx[:, None] + tf.range(width)[None, :]
    out = tf.gather(padded, rows, axis=1, batch_dims=1)
    return tf.gather(out, cols, axis=2, batch_dims=1)


def epoch_order(num_examples: int, seed: int, epoch: int, batch_size: int) -> np.ndarray:
    """Indices of the examples of ``epoch`` in training order: a permutation
    seeded by ``(seed, epoch)``, cut to whole batches (the remainder is dropped)."""
    usable = num_examples // batch_size * batch_size
    return np.random.default_rng([seed, epoch]).permutation(num_examples)[:usable]


def training_batches(
    images: np.ndarray,
    labels: np.ndarray,
    *,
    batch_size: int,
    seed: int,
    epochs: int,
    first_epoch: int = 0,
    mean,
    std,
    augmentation: bool = True,
    max_shift: int = 4,
) -> tf.data.Dataset:
    """Batches ``(x, y)`` of epochs ``first_epoch .. epochs - 1``, one after the other.

    ``images`` are uint8 NHWC; ``x`` is standardized with ``mean`` and ``std``
    (:func:`channel_stats` of the training images) and augmented when
    ``augmentation``. Each epoch has ``len(images) // batch_size`` steps; pass
    that as ``steps_per_epoch`` to ``model.fit``.
    """
    if len(images) < batch_size:
        raise ValueError(
            f"`batch_size` must not exceed the number of images, got batch_size={batch_size} for {len(images)} images."
        )
    steps = len(images) // batch_size
    if not 0 <= first_epoch <= epochs:
        raise ValueError(f"`first_epoch` must be in 0..epochs={epochs}, got first_epoch={first_epoch}.")
    orders = [epoch_order(len(images), seed, e, batch_size) for e in range(first_epoch, epochs)]
    # none when first_epoch == epochs: a resumed run whose last epoch is done but not yet recorded
    order = np.concatenate(orders) if orders else np.zeros(0, np.int64)
    x, y = tf.constant(images), tf.constant(labels, tf.int32)

    def load(step, index):
        batch = standardize(tf.gather(x, index), mean, std)
        if augmentation:
            batch = augment(batch, tf.stack([tf.constant(seed, tf.int64), step]), max_shift)
        return batch, tf.gather(y, index)

    indices = tf.data.Dataset.from_tensor_slices(order).batch(batch_size)
    steps_done = tf.data.Dataset.range(first_epoch * steps, epochs * steps)
    return (
        tf.data.Dataset.zip(steps_done, indices)
        .map(load, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .prefetch(tf.data.AUTOTUNE)
    )
