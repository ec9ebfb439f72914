"""The seeded input pipeline: exact flips and translations, paired and resumable batch streams."""

import hashlib

import keras
import numpy as np
import pytest

from spectral_lib import inputs, preprocessing


def _reference_augment(images, flips, dy, dx, shift):
    """NumPy: mirror, zero-pad by ``shift``, take the window at ``(dy, dx)``."""
    out = []
    for img, f, i, j in zip(images, flips, dy, dx):
        img = img[:, ::-1] if f else img
        padded = np.pad(img, ((shift, shift), (shift, shift), (0, 0)))
        out.append(padded[i : i + img.shape[0], j : j + img.shape[1]])
    return np.stack(out)


def test_augment_is_a_flip_and_a_zero_filled_translation():
    rng = np.random.default_rng(0)
    images = rng.standard_normal((64, 8, 6, 3)).astype("float32")
    out = inputs.augment(images, (3, 7), max_shift=2)
    # Recover each image's flip and offset by search, then compare with the reference.
    flips, dy, dx = [], [], []
    for img, o in zip(images, out):
        found = [
            (f, i, j)
            for f in (0, 1)
            for i in range(5)
            for j in range(5)
            if np.array_equal(_reference_augment(img[None], [f], [i], [j], 2)[0], o)
        ]
        assert found, "output is not a flipped, translated copy of the input"
        flips.append(found[0][0])
        dy.append(found[0][1])
        dx.append(found[0][2])
    assert 0.2 < np.mean(flips) < 0.8 and len(set(dy)) == 5 and len(set(dx)) == 5
    np.testing.assert_array_equal(out, inputs.augment(images, (3, 7), max_shift=2))
    assert not np.array_equal(out, inputs.augment(images, (3, 8), max_shift=2))


def test_epoch_order_is_a_seeded_permutation_per_epoch_cut_to_whole_batches():
    a = inputs.epoch_order(100, seed=1, epoch=0, batch_size=32)
    assert len(a) == 96 and len(set(a)) == 96 and a.max() < 100
    np.testing.assert_array_equal(a, inputs.epoch_order(100, seed=1, epoch=0, batch_size=32))
    assert not np.array_equal(a, inputs.epoch_order(100, seed=1, epoch=1, batch_size=32))
    assert not np.array_equal(a, inputs.epoch_order(100, seed=2, epoch=0, batch_size=32))


def _batches(first_epoch, seed=0):
    rng = np.random.default_rng(1)
    x = rng.integers(0, 256, (40, 8, 8, 3), dtype=np.uint8)
    y = rng.integers(0, 10, 40)
    ds = inputs.training_batches(
        preprocessing.Standardize(x)(x), y, batch_size=16, seed=seed, epochs=3, first_epoch=first_epoch
    )
    return [ds[i] for i in range(len(ds))]


def test_a_resumed_stream_continues_exactly_where_the_full_one_was():
    full, resumed = _batches(0), _batches(2)
    assert len(full) == 3 * 2 and len(resumed) == 2  # 40 // 16 = 2 steps per epoch
    for (a, la), (b, lb) in zip(full[4:], resumed):
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(la, lb)
    other = _batches(0, seed=1)
    assert not np.array_equal(full[0][0], other[0][0])


def test_batches_are_the_given_inputs_in_epoch_order():
    x = np.arange(16 * 4 * 4 * 3, dtype=np.float32).reshape(16, 4, 4, 3)
    ds = inputs.training_batches(x, np.arange(16), batch_size=8, seed=3, epochs=1, augmentation=False)
    order = inputs.epoch_order(16, seed=3, epoch=0, batch_size=8)
    for i in range(2):
        np.testing.assert_array_equal(ds[i][0], x[order[8 * i : 8 * i + 8]])
        np.testing.assert_array_equal(ds[i][1], order[8 * i : 8 * i + 8])
    with pytest.raises(ValueError, match="batch_size"):
        inputs.training_batches(x, np.zeros(16, int), batch_size=32, seed=0, epochs=1)


def test_images_are_flipped_with_probability_one_half():
    # 4000 draws: the flipped fraction has a standard deviation of 0.008, so 1/4 or 3/4 cannot pass.
    image = np.arange(2 * 5 * 1, dtype="float32").reshape(1, 2, 5, 1)
    out = inputs.augment(np.repeat(image, 4000, axis=0), (1, 2), max_shift=0)
    flipped = np.all(out == image[:, :, ::-1], axis=(1, 2, 3))
    assert 0.47 < flipped.mean() < 0.53


def test_each_step_draws_its_own_augmentation():
    # One image repeated: with the step in the seed every batch is augmented differently; with a constant
    # seed every batch would be the same flips and shifts of the same image.
    x = np.repeat(np.random.default_rng(0).integers(0, 256, (1, 8, 8, 3), dtype=np.uint8), 64, axis=0)
    ds = inputs.training_batches(x.astype(np.float32), np.zeros(64, int), batch_size=16, seed=0, epochs=2)
    batches = [ds[i][0] for i in range(len(ds))]
    assert len(batches) == 8
    assert all(not np.array_equal(batches[0], b) for b in batches[1:])


def _digest(arrays) -> str:
    return hashlib.sha256(b"".join(np.ascontiguousarray(a).tobytes() for a in arrays)).hexdigest()[:16]


def test_the_batches_are_the_same_on_every_backend():
    # Pinned bytes of the first batches of a fixed stream: the JAX and PyTorch runs of this test (make test)
    # compare them with what TensorFlow's saw, so a run resumed on another backend sees the same batches.
    x = np.random.default_rng(2).integers(0, 256, (48, 8, 8, 3), dtype=np.uint8)
    y = np.arange(48) % 10
    ds = inputs.training_batches(preprocessing.standardize(x, 100, 50), y, batch_size=16, seed=5, epochs=2)
    assert _digest(a for i in range(len(ds)) for a in ds[i]) == "f10e899aa9db0654"


def test_fit_trains_on_every_batch_of_the_stream_once_in_order():
    # 3 epochs of 20 steps, more than the batches prepared ahead: a keras.utils.PyDataset was started over
    # at every epoch once those were used up, so epochs 2 and 3 trained on epoch 1's batches again.
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((80, 4, 4, 3)).astype("float32"), rng.integers(0, 3, 80)
    ds = inputs.training_batches(x, y, batch_size=4, seed=0, epochs=3, max_shift=1)
    assert len(ds) == 60 > ds.ahead + ds.workers

    def model():
        keras.utils.set_random_seed(0)
        m = keras.Sequential([keras.Input((4, 4, 3)), keras.layers.Flatten(), keras.layers.Dense(3)])
        m.compile(keras.optimizers.SGD(0.1), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
        return m

    fitted, stepped = model(), model()
    fitted.fit(iter(ds), epochs=3, steps_per_epoch=20, verbose=0)
    for i in range(len(ds)):
        stepped.train_on_batch(*ds[i])
    for a, b in zip(fitted.weights, stepped.weights):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-5, atol=1e-6)
