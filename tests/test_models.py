"""The paper's architectures: layer sizes, parameterization swap, pooling choices."""

import keras
import numpy as np
import pytest

from spectral_lib import SpectralConv2D, SpectralPooling2D, models


def _layers(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def test_spectral_pooling_net_sizes_follow_gamma():
    # PAPER.md 6: with gamma = 0.85 the maps run 32, 27, 22, 18, 15, 12, ...
    model = models.spectral_pooling_net(num_layers=5, gamma=0.85, alpha=0.3, beta=0.15)
    pools = _layers(model, SpectralPooling2D)
    assert [p.output.shape[1] for p in pools] == [27, 22, 18, 15, 12]
    assert [round(p.frequency_dropout, 3) for p in pools] == [0.27, 0.24, 0.21, 0.18, 0.15]
    convs = [layer for layer in model.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [c.filters for c in convs] == [128, 160, 192, 224, 256, 256, 10]
    assert model.output.shape == (None, 10)


def test_filters_capped_at_288():
    model = models.spectral_pooling_net(num_layers=8, gamma=0.9, num_classes=100)
    assert max(c.filters for c in model.layers if isinstance(c, keras.layers.Conv2D)) == 288
    assert model.output.shape == (None, 100)


@pytest.mark.parametrize("build", [models.generic, models.deep])
def test_spectral_parameterization_has_the_same_parameter_count(build):
    spatial, spectral = build(kernel_size=5, conv="spatial"), build(kernel_size=5, conv="spectral")
    assert spatial.count_params() == spectral.count_params()
    assert not _layers(spatial, SpectralConv2D) and _layers(spectral, SpectralConv2D)


@pytest.mark.parametrize("pool", models.POOLS)
def test_generic_pooling_choices_give_the_same_sizes(pool):
    model = models.generic(pool=pool)
    assert model.layers[2].output.shape[1:3] == (16, 16)
    x = np.zeros((2, 32, 32, 3), "float32")
    assert model(x).shape == (2, 10)


def test_bad_choices_name_the_argument():
    with pytest.raises(ValueError, match="pool.*'stochastic'"):
        models.generic(pool="stochastic")
    with pytest.raises(ValueError, match="conv.*'fourier'"):
        models.deep(conv="fourier")
