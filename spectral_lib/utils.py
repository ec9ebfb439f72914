"""Reproducibility: one call seeds everything and makes TensorFlow ops deterministic."""

from __future__ import annotations

import os
import platform

import keras
import numpy as np


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy, the backend and Keras; on TensorFlow, also make its ops deterministic
    (JAX is deterministic on CPU as it is)."""
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def versions() -> dict[str, str]:
    """Versions of the Keras backend in use and the rest, and the devices it sees, for a notebook's
    setup cell and every record (imports only that backend: training needs no TensorFlow).

    Listing the devices initializes them, so a backend's one-time start-up
    messages land in the cell that prints this, not in a later checked cell.
    """
    import spectral_lib

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as module

        devices = [d.name for d in module.config.list_logical_devices()]
    elif backend == "jax":
        import jax as module

        devices = [str(d) for d in module.devices()]
    else:
        import torch as module

        devices = ["cpu", *(f"cuda:{i}" for i in range(module.cuda.device_count()))]
    return {
        "devices": ", ".join(devices),
        "python": platform.python_version(),
        "spectral_lib": spectral_lib.__version__,
        "backend": backend,
        backend: module.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }


def accelerator() -> str | None:
    """The name of the GPU the Keras backend computes on (e.g. ``"NVIDIA H200"``), ``None`` on a CPU."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        return gpus[0].device_kind if gpus else None
    if backend == "torch":
        import torch

        return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    import tensorflow as tf

    gpus = tf.config.list_physical_devices("GPU")
    return tf.config.experimental.get_device_details(gpus[0]).get("device_name", gpus[0].name) if gpus else None


def device() -> str:
    """What computes: the GPU's name, else the CPU's model (:func:`cpu_model`)."""
    return accelerator() or cpu_model()


CPUINFO = "/proc/cpuinfo"  # Linux's description of the CPU


def _cpuinfo() -> dict[str, str]:
    """The first processor's fields of :data:`CPUINFO` (empty where it cannot be read)."""
    fields = {}
    try:
        with open(CPUINFO) as info:
            for line in info:
                if not line.strip():
                    break  # the first processor's block only
                key, _, value = line.partition(":")
                fields.setdefault(key.strip(), value.strip())
    except OSError:
        pass
    return fields


def cpu_model() -> str:
    """The CPU's model name as the OS reports it (:data:`CPUINFO` on Linux), with its family and model
    numbers where given (a virtual machine may call several generations just "AMD EPYC": family 25
    model 1 is Zen 3, model 17 Zen 4), or ``"unknown CPU"``."""
    fields = _cpuinfo()
    if "model name" not in fields:
        return platform.processor() or "unknown CPU"
    numbers = "".join(
        f" {name} {fields[key]}" for name, key in (("family", "cpu family"), ("model", "model")) if key in fields
    )
    return fields["model name"] + numbers


FAST_BF16_FLAGS = ("amx_bf16", "avx512_bf16")  # the CPU features that make bfloat16 fast on a CPU


def cpu_flags() -> dict[str, bool]:
    """Whether the CPU has each of :data:`FAST_BF16_FLAGS` and AVX-512 (all ``False`` where
    :data:`CPUINFO` cannot be read)."""
    flags = set(_cpuinfo().get("flags", "").split())
    return {flag: flag in flags for flag in (*FAST_BF16_FLAGS, "avx512f")}


def machine() -> str:
    """This machine in words, for results files and the README: its CPU (with the flags of
    :data:`FAST_BF16_FLAGS` it has, which decide whether bfloat16 is fast), since records made on
    machines of one size can differ several-fold in speed."""
    fast = [flag for flag, present in cpu_flags().items() if present and flag in FAST_BF16_FLAGS]
    return (
        f"{cpu_model()} ({', '.join([platform.machine(), *fast])}), {os.cpu_count()} cores, {platform.system()}, "
        f"Python {platform.python_version()}"
    )
