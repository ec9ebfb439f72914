"""Signal propagation through a network: why two networks learn at different speeds from the start.

For one batch at the model's current weights (at initialisation, say), the
root mean square of the activations after every convolution and pooling layer,

.. math::  \\mathrm{rms}(a) = \\sqrt{\\tfrac{1}{|a|} \\sum a^2},

and the l2 norm of the gradient of the mean cross-entropy with respect to every
convolution's trainable kernel (for ``SpectralConv2D`` its coefficients, whose
gradient has the spatial kernel's norm when ``orthonormal=True``). Activations that decay stage by
stage and small kernel gradients mean small first updates: a network that starts slowly.

>>> report = signal_propagation(model, images, labels)  # doctest: +SKIP
>>> report["activation_rms"], report["kernel_gradient_norm"]  # doctest: +SKIP
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from spectral_lib.layers import SpectralConv2D, SpectralPooling2D

STAGE_LAYERS = (
    keras.layers.Conv2D,
    SpectralConv2D,
    SpectralPooling2D,
    keras.layers.MaxPooling2D,
    keras.layers.AveragePooling2D,
)


def signal_propagation(model: keras.Model, images, labels) -> dict:
    """``{"layers", "activation_rms", "convolutions", "kernel_gradient_norm"}`` of ``model`` on one batch.

    ``images``: the model's inputs ``(B, H, W, C)`` (standardized as in training);
    ``labels``: integer classes ``(B,)``; the model must output logits. Layers
    run in inference mode (no frequency dropout), so the numbers are a function
    of the weights and the batch alone. ``layers`` and ``activation_rms`` list
    every convolution and pooling layer in order; ``convolutions`` and
    ``kernel_gradient_norm`` every convolution.
    """
    stages = [layer for layer in model.layers if isinstance(layer, STAGE_LAYERS)]
    if not stages:
        raise ValueError(f"`model` {model.name!r} has no convolution or pooling layer to measure.")
    convs = [layer for layer in stages if isinstance(layer, (keras.layers.Conv2D, SpectralConv2D))]
    probe = keras.Model(model.inputs, [model.output] + [layer.output for layer in stages])
    weights = [layer.trainable_weights[0] for layer in convs]  # the kernel, or the spectral coefficients
    x = tf.convert_to_tensor(images, tf.float32)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    with tf.GradientTape() as tape:
        logits, *activations = probe(x, training=False)
        loss = loss_fn(labels, tf.cast(logits, tf.float32))
    grads = tape.gradient(loss, weights)
    return {
        "layers": [layer.name for layer in stages],
        "activation_rms": [
            float(np.sqrt(np.mean(np.square(keras.ops.convert_to_numpy(a).astype(np.float64))))) for a in activations
        ],
        "convolutions": [layer.name for layer in convs],
        "kernel_gradient_norm": [float(tf.norm(tf.cast(g, tf.float32))) for g in grads],
    }
