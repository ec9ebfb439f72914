"""spectral_lib: spectral pooling, frequency dropout and spectrally parameterized
convolutions in Keras 3, reproducing Rippel, Snoek & Adams, *Spectral
Representations for Convolutional Neural Networks*, NIPS 2015 (arXiv:1506.03767).
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # quiet TensorFlow's C++ logs; set before import

from spectral_lib.fourier import frequency_dropout_schedule  # noqa: E402
from spectral_lib.layers import SpectralConv2D, SpectralPooling2D  # noqa: E402
from spectral_lib.utils import set_seed  # noqa: E402

__version__ = "0.1.0"
__all__ = ["SpectralConv2D", "SpectralPooling2D", "frequency_dropout_schedule", "set_seed"]
