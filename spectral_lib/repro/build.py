"""The compiled Keras model of a run's settings: network, precision, optimizer, schedule and loss."""

from __future__ import annotations

import keras

from spectral_lib import models
from spectral_lib.utils import set_seed


def network(run: dict) -> keras.Model:
    """The run's uncompiled network, its weights drawn right after :func:`set_seed` of ``run["seed"]``."""
    set_seed(run["seed"])
    common = {
        "kernel_size": run["kernel_size"],
        "conv": run["parameterization"],
        "orthonormal": run["orthonormal"],
        "num_classes": 100 if run["dataset"] == "cifar100" else 10,
        "weight_decay": run["weight_decay"],
    }
    if run["architecture"] == "generic":
        return models.generic(**common)
    if run["architecture"] == "deep":
        return models.deep(**common)
    return models.spectral_pooling_net(
        num_layers=run["num_layers"],
        gamma=run["gamma"],
        alpha=run["alpha"],
        beta=run["beta"],
        pool=run["pooling"],
        norm=run["pooling_norm"],
        seed=run["seed"],
        **common,
    )


def build_model(run: dict, steps_per_execution: int = 1) -> keras.Model:
    """The run's compiled model, its weights drawn right after :func:`set_seed` of ``run["seed"]``;
    ``steps_per_execution`` training steps per call of the compiled function (Keras' option: fewer
    dispatches from the host, the same steps, so the same training when it divides an epoch's steps).

    Under ``precision="mixed_bfloat16"`` the layers compute in bfloat16 and keep
    float32 weights, and a float32 ``logits`` layer ends the model, so the
    softmax and the loss are float32 (Keras' mixed-precision recipe; bfloat16
    needs no loss scaling).
    """
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(run["precision"])
    try:
        model = network(run)
    finally:
        keras.config.set_dtype_policy(previous)
    if run["precision"] != "float32":
        logits = keras.layers.Activation("linear", dtype="float32", name="logits")(model.output)
        model = keras.Model(model.input, logits, name=model.name)
    learning_rate = run["learning_rate"]
    if run["learning_rate_drops"]:
        steps = run["train_images"] // run["batch_size"]
        learning_rate = keras.optimizers.schedules.PiecewiseConstantDecay(  # step > boundary: the next value
            [e * steps - 1 for e in run["learning_rate_drops"]],
            [learning_rate / 10**i for i in range(len(run["learning_rate_drops"]) + 1)],
        )
    if run["optimizer"] == "adam":
        optimizer = keras.optimizers.Adam(learning_rate)
    else:
        optimizer = keras.optimizers.SGD(learning_rate, momentum=run["momentum"])
    model.compile(
        optimizer,
        keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")],
        steps_per_execution=steps_per_execution,
    )
    return model


def convolutions(model: keras.Model) -> list[keras.layers.Layer]:
    """The layers of ``model`` with a 2-D convolution kernel, in order."""
    return [layer for layer in model.layers if hasattr(layer, "kernel") and len(layer.kernel.shape) == 4]
