"""Gradients for the layer tests on whichever Keras backend runs them (``KERAS_BACKEND``)."""

from __future__ import annotations

import keras
import numpy as np

to_numpy = keras.ops.convert_to_numpy


def _grad(f, values: list):
    """Gradients of the scalar ``f(values)`` with respect to each tensor of ``values``."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        values = [tf.convert_to_tensor(v) for v in values]
        with tf.GradientTape() as tape:
            tape.watch(values)
            out = f(values)
        return tape.gradient(out, values)
    if backend == "jax":
        import jax

        return jax.grad(f)([keras.ops.convert_to_tensor(v) for v in values])
    if backend == "torch":
        import torch

        values = [torch.tensor(to_numpy(v), requires_grad=True) for v in values]
        f(values).backward()
        return [v.grad for v in values]
    raise NotImplementedError(f"no gradient helper for the {backend} backend")


def input_grad(f, x) -> np.ndarray:
    """``d sum(f(x)) / dx`` as NumPy."""
    return to_numpy(_grad(lambda v: keras.ops.sum(f(v[0])), [x])[0])


def weight_grads(layer, x, loss) -> list[np.ndarray]:
    """``d loss(layer(x)) / d w`` for each trainable variable ``w`` of ``layer``, as NumPy."""
    non_trainable = [v.value for v in layer.non_trainable_variables]

    def f(values):
        out, _ = layer.stateless_call(values, non_trainable, x)
        return loss(out)

    return [to_numpy(g) for g in _grad(f, [v.value for v in layer.trainable_variables])]
