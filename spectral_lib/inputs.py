"""Input pipelines for training: seeded NumPy batches with the paper's augmentation, on any Keras backend.

Every random choice is a pure function of ``(seed, epoch)`` (the order of the
examples) and ``(seed, step)`` (the augmentation of a batch), drawn with NumPy
generators seeded by those pairs. Two runs with the same seed therefore see
exactly the same batches, on TensorFlow, JAX and PyTorch alike, which is what
makes a spatial-vs-spectral comparison paired (the paper's section 5), and a
run resumed at epoch ``e``, on this machine or another, sees exactly the
batches it would have seen without the interruption.

Augmentation (Figure 5 runs, the paper's section 5: "random translations and
horizontal flips"; the size of the translations is not stated): each image is
flipped left-right with probability 1/2 and translated by an integer
``(dy, dx)`` uniform in ``[-max_shift, max_shift]^2``, the uncovered border
filled with zeros, i.e. with the mean pixel after standardization.

The batches are cut from the network's inputs, the images already preprocessed
(:mod:`spectral_lib.preprocessing`), so that costly preprocessing is done once.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor

import numpy as np

MAX_SHIFT = 4  # pixels: the largest random translation of :func:`augment`


def augment(images: np.ndarray, seed, max_shift: int = MAX_SHIFT) -> np.ndarray:
    """Random horizontal flips and translations of a batch ``(B, H, W, C)``.

    ``seed`` seeds a NumPy generator (an int or a sequence of ints, e.g.
    ``(run seed, step)``): the same seed gives the same flips and shifts. Image
    ``b`` is mirrored when ``u_b < 1/2`` and becomes
    ``out[b, i, j] = padded[b, i + dy_b, j + dx_b]`` with ``padded`` the image
    zero-padded by ``max_shift`` on each side.
    """
    rng = np.random.default_rng(seed)
    batch, height, width = images.shape[:3]
    flip = rng.random(batch) < 0.5
    images = np.where(flip[:, None, None, None], images[:, :, ::-1], images)
    if max_shift == 0:
        return images
    span = 2 * max_shift + 1
    dy, dx = rng.integers(0, span, batch), rng.integers(0, span, batch)
    pad = ((0, 0), (max_shift, max_shift), (max_shift, max_shift), (0, 0))
    padded = np.pad(images, pad)
    rows = (dy[:, None] + np.arange(height))[:, :, None]
    cols = (dx[:, None] + np.arange(width))[:, None, :]
    return padded[np.arange(batch)[:, None, None], rows, cols]


def epoch_order(num_examples: int, seed: int, epoch: int, batch_size: int) -> np.ndarray:
    """Indices of the examples of ``epoch`` in training order: a permutation
    seeded by ``(seed, epoch)``, cut to whole batches (the remainder is dropped)."""
    usable = num_examples // batch_size * batch_size
    return np.random.default_rng([seed, epoch]).permutation(num_examples)[:usable]


class Batches:
    """The batches ``(x, y)`` of :func:`training_batches`: batch ``i`` is training step ``first_epoch * steps + i``,
    made on demand from the arrays (NumPy, so every backend gets the same ones).

    ``model.fit`` takes ``iter(batches)``: a generator of every batch in order, ``workers`` threads preparing
    up to ``ahead`` of them in advance. Not a ``keras.utils.PyDataset``: with ``steps_per_epoch`` shorter than
    the stream, Keras starts a PyDataset over from its first batch at every epoch once the batches it had
    queued are used up, so every epoch after the first would train on the first epoch's batches again."""

    workers, ahead = 2, 16

    def __init__(self, x, labels, *, batch_size, seed, epochs, first_epoch, augmentation, max_shift):
        self.x, self.labels, self.batch_size, self.seed = x, np.asarray(labels, np.int32), batch_size, seed
        self.augmentation, self.max_shift = augmentation, max_shift
        self.steps = len(x) // batch_size
        self.first_step = first_epoch * self.steps
        self.orders = {e: epoch_order(len(x), seed, e, batch_size) for e in range(first_epoch, epochs)}

    def __len__(self) -> int:
        return len(self.orders) * self.steps

    def __getitem__(self, i: int):
        step = self.first_step + i
        epoch, within = divmod(step, self.steps)
        index = self.orders[epoch][within * self.batch_size : (within + 1) * self.batch_size]
        batch = self.x[index]
        if self.augmentation:
            batch = augment(batch, (self.seed, step), self.max_shift)
        return batch, self.labels[index]

    def __iter__(self):
        with ThreadPoolExecutor(self.workers) as pool:
            queued = deque()
            for i in range(len(self)):
                queued.append(pool.submit(self.__getitem__, i))
                if len(queued) > self.ahead:
                    yield queued.popleft().result()
            while queued:
                yield queued.popleft().result()


def training_batches(
    x: np.ndarray,
    labels: np.ndarray,
    *,
    batch_size: int,
    seed: int,
    epochs: int,
    first_epoch: int = 0,
    augmentation: bool = True,
    max_shift: int = MAX_SHIFT,
) -> Batches:
    """Batches ``(x, y)`` of epochs ``first_epoch .. epochs - 1``, one after the other.

    ``x`` are the network's inputs, float32 NHWC (the training images preprocessed, e.g. by
    :func:`spectral_lib.preprocessing.fit`), augmented when ``augmentation``. Each epoch has
    ``len(x) // batch_size`` steps; pass ``iter()`` of it to ``model.fit`` with that as ``steps_per_epoch``
    (:class:`Batches`). Empty when
    ``first_epoch == epochs`` (a resumed run whose last epoch is done but not yet recorded).
    """
    if len(x) < batch_size:
        raise ValueError(
            f"`batch_size` must not exceed the number of images, got batch_size={batch_size} for {len(x)} images."
        )
    if not 0 <= first_epoch <= epochs:
        raise ValueError(f"`first_epoch` must be in 0..epochs={epochs}, got first_epoch={first_epoch}.")
    return Batches(
        x,
        labels,
        batch_size=batch_size,
        seed=seed,
        epochs=epochs,
        first_epoch=first_epoch,
        augmentation=augmentation,
        max_shift=max_shift,
    )
