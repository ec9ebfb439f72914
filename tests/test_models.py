"""The paper's architectures: layer sizes, parameterization swap, pooling choices."""

import keras
import numpy as np
import pytest

from spectral_lib import SpectralConv2D, SpectralPooling2D, models


def _layers(model, kind):
    return [layer for layer in model.layers if isinstance(layer, kind)]


def test_spectral_pooling_net_sizes_follow_gamma():
    # The paper's section 5: with gamma = 0.85 the maps run 32, 27, 22, 18, 15, 12, ...
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


def _pooled_sizes(size, gamma, num_layers):
    sizes = []
    for _ in range(num_layers):
        size = max(1, int(gamma * size))  # floor(gamma H_m), at least 1
        sizes.append(size)
    return sizes


@pytest.mark.parametrize("gamma,num_layers", [(0.85, 8), (0.5, 6), (0.25, 3), (0.7, 4), (0.6, 5)])
def test_pooled_sizes_run_through_odd_and_even_sizes(gamma, num_layers):
    model = models.spectral_pooling_net(num_layers=num_layers, gamma=gamma)
    pools = _layers(model, SpectralPooling2D)
    assert [p.output.shape[1:3] for p in pools] == [(s, s) for s in _pooled_sizes(32, gamma, num_layers)]
    assert model(np.zeros((2, 32, 32, 3), "float32")).shape == (2, 10)


def test_the_sizes_at_gamma_085_include_odd_and_even():
    assert _pooled_sizes(32, 0.85, 8) == [27, 22, 18, 15, 12, 10, 8, 6]


@pytest.mark.parametrize("num_classes", [10, 100])
def test_logits_for_10_and_100_classes(num_classes):
    model = models.spectral_pooling_net(num_layers=2, num_classes=num_classes)
    logits = model(np.random.default_rng(0).normal(size=(3, 32, 32, 3)).astype("float32"))
    assert logits.shape == (3, num_classes)
    assert model.layers[-1].__class__ is keras.layers.GlobalAveragePooling2D  # logits, no softmax


def test_frequency_dropout_acts_in_training_only():
    x = np.random.default_rng(1).normal(size=(4, 32, 32, 3)).astype("float32")
    with_dropout = models.spectral_pooling_net(num_layers=3, alpha=0.1, beta=0.1)
    without = models.spectral_pooling_net(num_layers=3, alpha=None, beta=None)
    without.set_weights(with_dropout.get_weights())
    inference = with_dropout(x, training=False).numpy()
    np.testing.assert_array_equal(inference, with_dropout(x, training=False).numpy())
    np.testing.assert_allclose(inference, without(x, training=True).numpy(), rtol=1e-5, atol=1e-6)
    draws = [with_dropout(x, training=True).numpy() for _ in range(3)]
    assert not all(np.allclose(d, inference, atol=1e-4) for d in draws)


def test_max_pooling_baseline_has_the_same_depth_and_widths():
    spectral = models.spectral_pooling_net(num_layers=4, alpha=None, beta=None)
    baseline = models.spectral_pooling_net(num_layers=4, alpha=None, beta=None, pool="max")
    convs = [[c.filters for c in _layers(m, keras.layers.Conv2D)] for m in (spectral, baseline)]
    assert convs[0] == convs[1] == [128, 160, 192, 224, 224, 10]
    assert spectral.count_params() == baseline.count_params()
    pools = _layers(baseline, keras.layers.MaxPooling2D)
    assert [p.output.shape[1] for p in pools] == [16, 8, 4, 2] and not _layers(baseline, SpectralPooling2D)
    with pytest.raises(ValueError, match="frequency dropout needs spectral pooling.*alpha=0.3"):
        models.spectral_pooling_net(pool="max")
    with pytest.raises(ValueError, match="`pool` must be one of .* got pool='avg'"):
        models.spectral_pooling_net(pool="avg", alpha=None, beta=None)


def test_spectral_pooling_to_half_sizes_matches_the_max_pooling_twin():
    sizes = {}
    for pool, fd in (("max", None), ("spectral_half", 0.3)):
        net = models.spectral_pooling_net(num_layers=6, pool=pool, alpha=fd, beta=fd and 0.15, norm="unitary")
        pools = [layer for layer in net.layers if isinstance(layer, (keras.layers.MaxPooling2D, SpectralPooling2D))]
        sizes[pool] = [layer.output.shape[1] for layer in pools]
        if pool == "spectral_half":
            assert {layer.norm for layer in pools} == {"unitary"} and all(layer.frequency_dropout for layer in pools)
    assert sizes["spectral_half"] == sizes["max"] == [16, 8, 4, 2, 1, 1]
    with pytest.raises(ValueError, match="`pool` must be one of"):
        models.spectral_pooling_net(pool="avg")
