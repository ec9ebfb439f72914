"""Bad input: a ValueError or TypeError that names the argument and the value."""

import numpy as np
import pytest

from spectral_lib import SpectralConv2D, SpectralPooling2D

X = np.zeros((1, 16, 16, 2), "float32")


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(output_size=0), ValueError, r"output_size.*0"),
        (dict(output_size=(4, -1)), ValueError, r"output_size.*\(4, -1\)"),
        (dict(output_size=(4, 4, 4)), TypeError, r"output_size.*\(4, 4, 4\)"),
        (dict(output_size=4.5), TypeError, r"output_size.*4\.5"),
        (dict(factor=0.0), ValueError, r"factor.*0\.0"),
        (dict(factor=1.5), ValueError, r"factor.*1\.5"),
        (dict(factor="half"), TypeError, r"factor.*half"),
        (dict(), ValueError, r"exactly one of `output_size` and `factor`"),
        (dict(output_size=4, factor=0.5), ValueError, r"exactly one.*output_size=4.*factor=0\.5"),
        (dict(output_size=4, frequency_dropout=1.2), ValueError, r"frequency_dropout.*1\.2"),
        (dict(output_size=4, norm="ortho"), ValueError, r"norm.*ortho"),
        (dict(output_size=4, data_format="nhwc"), ValueError, r"data_format.*nhwc"),
    ],
)
def test_pooling_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        SpectralPooling2D(**kwargs)


def test_pooling_output_larger_than_input():
    with pytest.raises(ValueError, match=r"output_size.*\(17, 8\).*\(16, 16\)"):
        SpectralPooling2D((17, 8))(X)


@pytest.mark.parametrize("layer", [SpectralPooling2D(4), SpectralConv2D(3, 3)])
def test_wrong_rank(layer):
    with pytest.raises(ValueError, match=r"`inputs` must have rank 4.*\(16, 16, 2\)"):
        layer(np.zeros((16, 16, 2), "float32"))


@pytest.mark.parametrize("layer", [SpectralPooling2D(4), SpectralConv2D(3, 3)])
def test_integer_inputs(layer):
    with pytest.raises(TypeError, match=r"inputs.*int32"):
        layer(np.zeros((1, 16, 16, 2), "int32"))


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(filters=0, kernel_size=3), ValueError, r"filters.*0"),
        (dict(filters=4, kernel_size=0), ValueError, r"kernel_size.*0"),
        (dict(filters=4, kernel_size=3, strides=(1, 0)), ValueError, r"strides.*\(1, 0\)"),
        (dict(filters=4, kernel_size=3, padding="causal"), ValueError, r"padding.*causal"),
        (dict(filters=4, kernel_size=3, padding="full"), ValueError, r"padding.*full"),
        (dict(filters=4, kernel_size="3"), TypeError, r"kernel_size.*'3'"),
    ],
)
def test_conv_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        SpectralConv2D(**kwargs)


def test_conv_needs_known_channels():
    with pytest.raises(ValueError, match=r"`inputs` must have a known number of channels.*\(None, 8, 8, None\)"):
        SpectralConv2D(3, 3).build((None, 8, 8, None))
