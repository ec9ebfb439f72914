"""The paper's architectures (the paper's section 5) as Keras functional models.

Notation: C^F_k convolution with F filters k x k (ReLU, "same" padding), MP 3x3
max pooling stride 2, SP_S spectral pooling to S x S, FC^F dense, GA global
average pooling. ``conv="spectral"`` swaps every Conv2D for SpectralConv2D
(Figure 5); ``pool`` picks the pooling of Generic and Deep (the benchmark).
"""

from __future__ import annotations

import math

import keras

from spectral_lib.fourier import frequency_dropout_schedule
from spectral_lib.layers import SpectralConv2D, SpectralPooling2D
from spectral_lib.repro import paper

CONVS = {"spatial": keras.layers.Conv2D, "spectral": SpectralConv2D}
POOLS = ("max", "avg", "spectral")
SPECTRAL_NET_POOLS = ("spectral", "max", "spectral_half")


def _conv_factory(conv: str, weight_decay: float, orthonormal: bool = True):
    """``make(filters, kernel_size, activation="relu")``: a "same"-padded convolution of kind ``conv``."""
    if conv not in CONVS:
        raise ValueError(f"`conv` must be one of {tuple(CONVS)}, got conv={conv!r}.")
    regularizer = keras.regularizers.L2(weight_decay) if weight_decay else None
    options = {"orthonormal": orthonormal} if conv == "spectral" else {}

    def make(filters: int, kernel_size: int, activation="relu"):
        return CONVS[conv](
            filters, kernel_size, padding="same", activation=activation, kernel_regularizer=regularizer, **options
        )

    return make


def _downsample(pool: str, x, frequency_dropout=None, seed=None):
    """3x3 stride-2 pooling, or spectral pooling to the same size ceil(M / 2)."""
    if pool == "max":
        return keras.layers.MaxPooling2D(3, 2, padding="same")(x)
    if pool == "avg":
        return keras.layers.AveragePooling2D(3, 2, padding="same")(x)
    if pool == "spectral":
        size = tuple(math.ceil(d / 2) for d in x.shape[1:3])
        return SpectralPooling2D(size, frequency_dropout=frequency_dropout, seed=seed)(x)
    raise ValueError(f"`pool` must be one of {POOLS}, got pool={pool!r}.")


def generic(
    kernel_size=3,
    conv="spatial",
    pool="max",
    num_classes=10,
    input_shape=(32, 32, 3),
    frequency_dropout=None,
    weight_decay=0.0,
    global_pool=False,
    orthonormal=True,
) -> keras.Model:
    """Generic: C^96_k - MP - C^192_k - MP - FC^1024 - FC^512 - softmax (logits out).

    ``global_pool=True`` replaces the flatten before FC^1024 by global average
    pooling, for inputs much larger than CIFAR's (benchmarks only). ``orthonormal``
    is passed to every ``SpectralConv2D`` when ``conv="spectral"``.
    """
    make = _conv_factory(conv, weight_decay, orthonormal)
    inputs = keras.Input(input_shape)
    x = _downsample(pool, make(96, kernel_size)(inputs), frequency_dropout, seed=1)
    x = _downsample(pool, make(192, kernel_size)(x), frequency_dropout, seed=2)
    x = (keras.layers.GlobalAveragePooling2D() if global_pool else keras.layers.Flatten())(x)
    x = keras.layers.Dense(1024, activation="relu")(x)
    x = keras.layers.Dense(512, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(num_classes)(x), name=f"generic_{conv}_{pool}_{kernel_size}")


def deep(
    kernel_size=3,
    conv="spatial",
    pool="max",
    num_classes=10,
    input_shape=(32, 32, 3),
    weight_decay=0.0,
    orthonormal=True,
) -> keras.Model:
    """Deep: C^96_k - C^96_k - MP - C^192_k x3 - MP - C^192_1 - C^10_1 - GA - softmax."""
    make = _conv_factory(conv, weight_decay, orthonormal)
    inputs = keras.Input(input_shape)
    x = make(96, kernel_size)(make(96, kernel_size)(inputs))
    x = _downsample(pool, x)
    for _ in range(3):
        x = make(192, kernel_size)(x)
    x = _downsample(pool, x)
    x = make(192, 1)(x)
    x = make(num_classes, 1, activation=None)(x)
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(x), name=f"deep_{conv}_{pool}_{kernel_size}")


def spectral_pooling_net(
    num_layers=3,
    gamma=paper.OPTIMUM["gamma"],
    alpha=paper.OPTIMUM["alpha"],
    beta=paper.OPTIMUM["beta"],
    num_classes=10,
    input_shape=(32, 32, 3),
    conv="spatial",
    kernel_size=3,
    weight_decay=0.0,
    seed=0,
    orthonormal=True,
    pool="spectral",
    norm="amplitude",
) -> keras.Model:
    """Spectral pooling network: for m = 1..M, C^(96+32m)_3 (at most 288 filters)
    then SP to floor(gamma H_m) with frequency dropout c_m (training only);
    then C^(96+32M)_1 - C^classes_1 - GA - softmax (logits out). ``alpha=None`` and
    ``beta=None``: no frequency dropout. ``norm``: the DFT convention of every SP
    (``SpectralPooling2D(norm=...)``). ``pool`` picks the downsampling of every stage:

    - ``"spectral"``: SP to floor(gamma H_m), maps 32, 27, 22, 18, ... at gamma 0.85;
    - ``"max"``: the matched baseline of Figure 4(b), 3x3 stride-2 max pooling
      (same depth and widths; maps halve, ceil(H / 2), no frequency dropout);
    - ``"spectral_half"``: SP to ceil(H / 2), the baseline's map sizes, which
      separates the pooling operator from how fast the maps shrink (``gamma`` unused).
    """
    make = _conv_factory(conv, weight_decay, orthonormal)
    if (alpha is None) != (beta is None):
        raise ValueError(
            f"`alpha` and `beta` must both be None (no frequency dropout) or both numbers, "
            f"got alpha={alpha!r}, beta={beta!r}."
        )
    if pool not in SPECTRAL_NET_POOLS:
        raise ValueError(f"`pool` must be one of {SPECTRAL_NET_POOLS}, got pool={pool!r}.")
    if pool == "max" and alpha is not None:
        raise ValueError(
            f"frequency dropout needs spectral pooling: with pool='max' pass alpha=None and "
            f"beta=None, got alpha={alpha!r}, beta={beta!r}."
        )
    schedule = [None] * num_layers if alpha is None else frequency_dropout_schedule(alpha, beta, num_layers)
    inputs = keras.Input(input_shape)
    x = inputs
    for m, c in enumerate(schedule, start=1):
        x = make(min(96 + 32 * m, 288), kernel_size)(x)
        if pool == "max":
            x = keras.layers.MaxPooling2D(3, 2, padding="same")(x)
        elif pool == "spectral_half":
            size = tuple(math.ceil(d / 2) for d in x.shape[1:3])
            x = SpectralPooling2D(size, frequency_dropout=c, norm=norm, seed=seed + m)(x)
        else:
            x = SpectralPooling2D(factor=gamma, frequency_dropout=c, norm=norm, seed=seed + m)(x)
    x = make(min(96 + 32 * num_layers, 288), 1)(x)
    x = make(num_classes, 1, activation=None)(x)
    suffix = {"spectral": "", "max": "_maxpool", "spectral_half": "_half"}[pool]
    return keras.Model(
        inputs, keras.layers.GlobalAveragePooling2D()(x), name=f"spectral_pooling_net_{num_layers}{suffix}"
    )
