"""Backend-neutral functions under the layers (``keras.ops`` only, no Keras state).

Spectral pooling is linear and separable, so with the real matrices of
:mod:`spectral_lib.fourier` it is two small matrix products per map,
``Y = A_H X A_W^T``, rather than FFT -> crop -> inverse FFT. The result is the
same operator (the tests check it against an FFT reference) and its gradient
is the adjoint ``A_H^T G A_W`` that autodiff derives, on any Keras backend.
"""

from __future__ import annotations

import keras
import numpy as np

from spectral_lib import fourier


def matmul(a, b):
    """``a @ b`` (batched over leading axes) in the inputs' own dtype. On the torch backend
    ``keras.ops.matmul`` and ``tensordot`` compute float64 in float32 (Keras' type promotion maps 64-bit
    types to 32 bits outside TensorFlow), so there the product is torch's own."""
    if keras.backend.backend() == "torch":
        import torch

        return torch.matmul(a, b)
    return keras.ops.matmul(a, b)


def _check_float(name: str, x) -> None:
    dtype = keras.backend.standardize_dtype(x.dtype)
    if "float" not in dtype:
        raise TypeError(f"`{name}` must be a floating-point tensor, got dtype {dtype}.")


def apply_separable(x, a_h, a_w, data_format: str = "channels_last"):
    """``Y[b, :, :, c] = A_H X[b, :, :, c] A_W^T`` for every example and channel.

    ``x``: ``(B, M, N, C)`` (``channels_last``) or ``(B, C, M, N)``;
    ``a_h``: ``(H, M)``; ``a_w``: ``(W, N)``. Returns ``(B, H, W, C)`` or
    ``(B, C, H, W)``. For ``channels_last`` both products are batched matrix
    products on free reshapes, ``(H, M) @ (B, M, N*C)`` then
    ``(W, N) @ (B*H, N, C)``, with no transpose of the activations: of the
    formulations ``benchmarks/formulations.py`` times on CPU, the fastest without XLA in most shapes
    (README counts them).
    """
    x = keras.ops.convert_to_tensor(x)
    _check_float("x", x)
    a_h = keras.ops.cast(a_h, x.dtype)
    a_w = keras.ops.cast(a_w, x.dtype)
    if data_format == "channels_first":
        return matmul(matmul(a_h, x), keras.ops.transpose(a_w))
    m, n, c = x.shape[1:]
    c = keras.ops.shape(x)[3] if c is None else c
    h, w = a_h.shape[0], a_w.shape[0]
    y = matmul(a_h[None], keras.ops.reshape(x, (-1, m, n * c)))
    y = matmul(a_w[None], keras.ops.reshape(y, (-1, n, c)))
    return keras.ops.reshape(y, (-1, h, w, c))


def spectral_pool(x, output_size: tuple[int, int], norm: str = "amplitude", data_format: str = "channels_last"):
    """Spectral pooling of a batch of maps to ``output_size = (H, W)`` (the paper's Algorithm 1).

    Example::

        >>> tuple(spectral_pool(keras.ops.ones((2, 32, 32, 3)), (27, 27)).shape)
        (2, 27, 27, 3)
    """
    x = keras.ops.convert_to_tensor(x)
    m, n = (x.shape[1], x.shape[2]) if data_format == "channels_last" else x.shape[2:]
    h, w = output_size
    return apply_separable(x, fourier.pool_matrix(m, h, norm), fourier.pool_matrix(n, w, norm), data_format)


def spectral_filters(coefficients, basis: np.ndarray, kernel_size):
    """Spatial kernels ``(kh, kw, C_in, C_out)`` from coefficients ``(kh*kw, C_in, C_out)``.

    ``vec(w[:, :, i, o]) = G theta[:, i, o]`` with ``G = fourier.filter_basis``.
    """
    kh, kw = kernel_size
    g = keras.ops.convert_to_tensor(basis, dtype=coefficients.dtype)
    flat = matmul(g, keras.ops.reshape(coefficients, (coefficients.shape[0], -1)))
    return keras.ops.reshape(flat, (kh, kw) + tuple(coefficients.shape[1:]))
