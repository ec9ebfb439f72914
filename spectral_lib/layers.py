"""Keras 3 layers: spectral pooling with frequency dropout, spectrally parameterized convolution."""

from __future__ import annotations

import math

import keras
import numpy as np

from spectral_lib import fourier, ops

_FORMATS = ("channels_last", "channels_first")
_PADDINGS = ("valid", "same")


def _pair(name: str, value, minimum: int = 1) -> tuple[int, int]:
    """An int or a pair of ints, each >= minimum, as a tuple of two ints."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else value
    try:
        pair = tuple(pair)
    except TypeError:
        raise TypeError(f"`{name}` must be an int or a pair of ints, got {name}={value!r}.") from None
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) for v in pair):
        raise TypeError(f"`{name}` must be an int or a pair of ints, got {name}={value!r}.")
    if min(pair) < minimum:
        raise ValueError(f"`{name}` must be >= {minimum} in each dimension, got {name}={value!r}.")
    return int(pair[0]), int(pair[1])


def _data_format(value) -> str:
    value = keras.config.image_data_format() if value is None else value
    if value not in _FORMATS:
        raise ValueError(f"`data_format` must be one of {_FORMATS}, got data_format={value!r}.")
    return value


def _image_dims(name: str, input_shape, data_format: str) -> tuple:
    """Height and width of a rank-4 input shape (``None`` where unknown)."""
    if len(input_shape) != 4:
        axes = "batch, height, width, channels" if data_format == "channels_last" else "batch, channels, height, width"
        raise ValueError(f"{name}: `inputs` must have rank 4 ({axes}), got shape {tuple(input_shape)}.")
    return tuple(input_shape[1:3] if data_format == "channels_last" else input_shape[2:4])


def _spatial_dims(name: str, input_shape, data_format: str) -> tuple[int, int]:
    """Height and width, which must be known (pooling operators depend on them)."""
    dims = _image_dims(name, input_shape, data_format)
    if any(d is None for d in dims):
        raise ValueError(f"{name}: `inputs` must have a known height and width, got shape {tuple(input_shape)}.")
    return int(dims[0]), int(dims[1])


def _check_float_input(layer: keras.layers.Layer, inputs) -> None:
    dtype = keras.backend.standardize_dtype(inputs.dtype)
    if "float" not in dtype:
        raise TypeError(f"{layer.__class__.__name__} `inputs` must be floating point, got dtype {dtype}.")


@keras.saving.register_keras_serializable(package="spectral_lib")
class SpectralPooling2D(keras.layers.Layer):
    """Spectral pooling (Rippel et al. 2015, Algorithm 1) with frequency dropout.

    Crops the spectrum of each ``M x N`` map to its central ``H x W`` block of
    frequencies ``-floor(H/2) .. floor(H/2)`` and returns the real ``H x W`` map
    whose spectrum it is. Per axis, with ``s`` the amplitude scale:

    .. math::

        Y = A_H X A_W^T, \\quad
        A_H[j, n] = s \\sum_{|k| \\le H/2} \\cos 2\\pi k (j/H - n/M)

    Corner-case convention: for even ``H < M`` the frequencies ``+H/2`` and
    ``-H/2`` are summed into the output's Nyquist row (likewise columns, and all
    four into the Nyquist corner), which makes the cropped spectrum conjugate
    symmetric, the output exactly real, pooling to the same size the identity,
    and pooling followed by zero-padding the spectrum the l2-closest map of the
    lower resolution. Amplitude: ``norm="amplitude"`` (default) keeps a constant
    map's value (``s = 1/M``); ``norm="unitary"`` uses the paper's unitary DFTs
    (``s = 1/sqrt(MH)``, the mean grows by ``sqrt(MN/HW)``).

    Frequency dropout (the paper's section 3, "resolution corruption"): with ``frequency_dropout=c``, each
    training step draws one ``u ~ U[0, 1)`` and keeps only the central
    ``R_h x R_w`` frequencies of the ``H x W`` output, ``R_h`` uniform over the
    integers ``max(1, floor(c H)) .. H`` (``R_w`` likewise from the same ``u``,
    so square maps get an ``R x R`` cut). The same cut applies to every example
    and channel of the step; inference (``training=False``) is plain pooling.
    The cut is the l2 projection onto resolution ``R`` (:func:`fourier.band_projection`),
    fused into the pooling matrices.

    Args:
        output_size: int or ``(H, W)``: output height and width.
        factor: instead of ``output_size``, a float ``gamma`` in (0, 1]: the
            output is ``max(1, floor(gamma * M)) x max(1, floor(gamma * N))``.
        frequency_dropout: ``None`` (off) or ``c`` in [0, 1], the smallest kept
            fraction of the resolution. :func:`frequency_dropout_schedule` gives
            ``c_m`` for layer ``m`` of ``M``.
        norm: ``"amplitude"`` or ``"unitary"``.
        data_format: ``"channels_last"`` (default) or ``"channels_first"``.
        seed: int seed of the dropout cut-off draws.

    Example::

        >>> x = keras.Input((32, 32, 96))
        >>> SpectralPooling2D(factor=0.85, frequency_dropout=0.3)(x).shape
        (None, 27, 27, 96)
    """

    def __init__(
        self,
        output_size=None,
        factor=None,
        frequency_dropout=None,
        norm="amplitude",
        data_format=None,
        seed=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        if (output_size is None) == (factor is None):
            raise ValueError(
                f"Pass exactly one of `output_size` and `factor`, got output_size={output_size!r}, factor={factor!r}."
            )
        self.output_size = None if output_size is None else _pair("output_size", output_size)
        if factor is not None:
            if isinstance(factor, bool) or not isinstance(factor, (int, float)):
                raise TypeError(f"`factor` must be a float in (0, 1], got factor={factor!r}.")
            if not 0.0 < factor <= 1.0:
                raise ValueError(f"`factor` must be in (0, 1], got factor={factor!r}.")
        self.factor = None if factor is None else float(factor)
        if frequency_dropout is not None:
            fourier.cutoff_range(1, frequency_dropout)  # validates the range
            frequency_dropout = float(frequency_dropout)
        self.frequency_dropout = frequency_dropout
        self.norm = fourier.check_norm(norm)
        self.data_format = _data_format(data_format)
        self.seed = seed
        if frequency_dropout is not None:
            self.seed_generator = keras.random.SeedGenerator(seed)

    def _output_dims(self, input_dims: tuple[int, int]) -> tuple[int, int]:
        if self.factor is not None:
            return tuple(max(1, math.floor(self.factor * d)) for d in input_dims)
        if any(o > i for o, i in zip(self.output_size, input_dims)):
            raise ValueError(
                f"`output_size` must not exceed the input's height and width, "
                f"got output_size={self.output_size} for inputs of size {input_dims}."
            )
        return self.output_size

    def build(self, input_shape):
        (m, n) = _spatial_dims(self.name, input_shape, self.data_format)
        h, w = self._output_dims((m, n))
        if self.frequency_dropout is None:
            self._a_h = fourier.pool_matrix(m, h, self.norm)
            self._a_w = fourier.pool_matrix(n, w, self.norm)
        else:
            self._a_h = fourier.dropout_pool_matrices(m, h, self.frequency_dropout, self.norm)
            self._a_w = fourier.dropout_pool_matrices(n, w, self.frequency_dropout, self.norm)

    def call(self, inputs, training=None):
        _check_float_input(self, inputs)
        if self.frequency_dropout is None:
            return ops.apply_separable(inputs, self._a_h, self._a_w, self.data_format)
        if not training:
            return ops.apply_separable(inputs, self._a_h[-1], self._a_w[-1], self.data_format)
        u = keras.random.uniform((), seed=self.seed_generator)  # one draw per step
        a_h, a_w = (self._cut(stack, u, inputs.dtype) for stack in (self._a_h, self._a_w))
        return ops.apply_separable(inputs, a_h, a_w, self.data_format)

    @staticmethod
    def _cut(stack: np.ndarray, u, dtype):
        """Operator of cut-off ``R_min + floor(u * n)`` from a stack of ``n`` fused operators."""
        index = keras.ops.minimum(keras.ops.cast(u * len(stack), "int32"), len(stack) - 1)
        return keras.ops.take(keras.ops.convert_to_tensor(stack, dtype), index, axis=0)

    def compute_output_shape(self, input_shape):
        h, w = self._output_dims(_spatial_dims(self.name, input_shape, self.data_format))
        if self.data_format == "channels_last":
            return (input_shape[0], h, w, input_shape[3])
        return (input_shape[0], input_shape[1], h, w)

    def get_config(self):
        config = super().get_config()
        config.update(
            output_size=self.output_size,
            factor=self.factor,
            frequency_dropout=self.frequency_dropout,
            norm=self.norm,
            data_format=self.data_format,
            seed=self.seed,
        )
        return config


@keras.saving.register_keras_serializable(package="spectral_lib")
class SpectralConv2D(keras.layers.Layer):
    """Drop-in ``Conv2D`` whose filters are stored as their DFT coefficients (the paper's section 4).

    The trainable ``spectral_kernel`` ``theta`` has shape ``(kh * kw, C_in,
    filters)``: for each filter, its free half-plane unitary DFT coefficients as
    ``kh * kw`` real numbers (real-only entries once, complex ones as Re and Im;
    :func:`fourier.filter_basis`). The spatial kernel is their inverse DFT at
    the filter's own size, ``vec(w) = G theta``, and the convolution is the
    ordinary spatial one, so the network function equals a ``Conv2D`` with
    kernel ``w``; only the optimisation geometry differs. With
    ``orthonormal=True`` (default) paired coefficients are stored times
    ``sqrt(2)`` so that ``G`` is orthogonal; ``False`` stores the raw
    coefficients.

    The initial spatial kernel is exactly what ``kernel_initializer`` gives a
    ``Conv2D`` of the same shape (theta is its DFT), so spatial and spectral
    runs can start from identical filters.

    Supported ``Conv2D`` arguments, same names and meaning: ``filters``,
    ``kernel_size``, ``strides``, ``padding`` ("valid" or "same"),
    ``data_format``, ``dilation_rate``, ``activation``, ``use_bias``,
    ``kernel_initializer``, ``bias_initializer``, ``kernel_regularizer``
    (applied to theta; equal to the spatial penalty for l2 when orthonormal),
    ``bias_regularizer``, ``activity_regularizer``.

    Example::

        >>> layer = SpectralConv2D(96, 3, padding="same", activation="relu")
        >>> tuple(layer(keras.ops.zeros((1, 32, 32, 3))).shape)
        (1, 32, 32, 96)
        >>> tuple(layer.kernel.shape), layer.spectral_coefficients().shape
        ((3, 3, 3, 96), (3, 2, 3, 96))
    """

    def __init__(
        self,
        filters,
        kernel_size,
        strides=(1, 1),
        padding="valid",
        data_format=None,
        dilation_rate=(1, 1),
        activation=None,
        use_bias=True,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        kernel_regularizer=None,
        bias_regularizer=None,
        activity_regularizer=None,
        orthonormal=True,
        **kwargs,
    ):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        if isinstance(filters, bool) or not isinstance(filters, (int, np.integer)) or filters < 1:
            raise ValueError(f"`filters` must be a positive int, got filters={filters!r}.")
        self.filters = int(filters)
        self.kernel_size = _pair("kernel_size", kernel_size)
        self.strides = _pair("strides", strides)
        self.dilation_rate = _pair("dilation_rate", dilation_rate)
        if not isinstance(padding, str) or padding.lower() not in _PADDINGS:
            raise ValueError(f"`padding` must be one of {_PADDINGS}, got padding={padding!r}.")
        self.padding = padding.lower()
        self.data_format = _data_format(data_format)
        self.activation = keras.activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.kernel_regularizer = keras.regularizers.get(kernel_regularizer)
        self.bias_regularizer = keras.regularizers.get(bias_regularizer)
        self.orthonormal = bool(orthonormal)
        self._basis = fourier.filter_basis(*self.kernel_size, orthonormal=self.orthonormal)

    def build(self, input_shape):
        _image_dims(self.name, input_shape, self.data_format)
        channels = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        if channels is None:
            raise ValueError(
                f"{self.name}: `inputs` must have a known number of channels, got shape {tuple(input_shape)}."
            )
        spatial_shape = self.kernel_size + (channels, self.filters)
        analysis = np.linalg.inv(self._basis)

        def initializer(shape, dtype=None):
            w = self.kernel_initializer(spatial_shape, dtype=dtype)
            flat = keras.ops.reshape(w, (-1, channels, self.filters))
            flat = keras.ops.reshape(flat, (len(analysis), -1))
            coefficients = ops.matmul(keras.ops.cast(analysis, flat.dtype), flat)
            return keras.ops.reshape(coefficients, (len(analysis), channels, self.filters))

        self.spectral_kernel = self.add_weight(
            name="spectral_kernel",
            shape=(len(self._basis), channels, self.filters),
            initializer=initializer,
            regularizer=self.kernel_regularizer,
        )
        self.bias = None
        if self.use_bias:
            self.bias = self.add_weight(
                name="bias",
                shape=(self.filters,),
                initializer=self.bias_initializer,
                regularizer=self.bias_regularizer,
            )

    @property
    def kernel(self):
        """Spatial kernel ``(kh, kw, C_in, filters)``, the inverse DFT of the coefficients."""
        return ops.spectral_filters(keras.ops.convert_to_tensor(self.spectral_kernel), self._basis, self.kernel_size)

    def spectral_coefficients(self) -> np.ndarray:
        """Complex unitary DFT of each filter, half plane: ``(kh, kw // 2 + 1, C_in, filters)``."""
        return np.fft.rfft2(keras.ops.convert_to_numpy(self.kernel), axes=(0, 1), norm="ortho")

    def call(self, inputs):
        _check_float_input(self, inputs)
        outputs = keras.ops.conv(
            inputs,
            keras.ops.cast(self.kernel, inputs.dtype),
            strides=self.strides,
            padding=self.padding,
            dilation_rate=self.dilation_rate,
            data_format=self.data_format,
        )
        if self.use_bias:
            shape = (1, 1, 1, -1) if self.data_format == "channels_last" else (1, -1, 1, 1)
            outputs = outputs + keras.ops.reshape(keras.ops.cast(self.bias, outputs.dtype), shape)
        return self.activation(outputs)

    def compute_output_shape(self, input_shape):
        dims = _image_dims(self.name, input_shape, self.data_format)
        out = []
        for size, k, s, d in zip(dims, self.kernel_size, self.strides, self.dilation_rate):
            span = d * (k - 1) + 1
            if size is None:
                out.append(None)
            else:
                out.append(-(-size // s) if self.padding == "same" else (size - span) // s + 1)
        if self.data_format == "channels_last":
            return (input_shape[0], out[0], out[1], self.filters)
        return (input_shape[0], self.filters, out[0], out[1])

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            strides=self.strides,
            padding=self.padding,
            data_format=self.data_format,
            dilation_rate=self.dilation_rate,
            activation=keras.activations.serialize(self.activation),
            use_bias=self.use_bias,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            bias_initializer=keras.initializers.serialize(self.bias_initializer),
            kernel_regularizer=keras.regularizers.serialize(self.kernel_regularizer),
            bias_regularizer=keras.regularizers.serialize(self.bias_regularizer),
            activity_regularizer=keras.regularizers.serialize(self.activity_regularizer),
            orthonormal=self.orthonormal,
        )
        return config
