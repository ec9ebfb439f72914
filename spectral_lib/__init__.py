"""spectral_lib: spectral pooling, frequency dropout and spectrally parameterized
convolutions in Keras 3, reproducing Rippel, Snoek & Adams, *Spectral
Representations for Convolutional Neural Networks*, NIPS 2015 (arXiv:1506.03767).
"""

from spectral_lib.fourier import frequency_dropout_schedule
from spectral_lib.layers import SpectralConv2D, SpectralPooling2D
from spectral_lib.preprocessing import Whitening
from spectral_lib.utils import set_seed

__version__ = "0.1.0"
__all__ = ["SpectralConv2D", "SpectralPooling2D", "Whitening", "frequency_dropout_schedule", "set_seed"]
