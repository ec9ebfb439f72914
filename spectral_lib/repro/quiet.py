"""The one call that quiets the libraries' chatter, made by scripts and notebooks (importing does not).

:func:`quiet` sets ``TF_CPP_MIN_LOG_LEVEL=2`` for TensorFlow's C++ logs (it takes effect in the
processes started after it, such as the notebooks' kernels, and in this one only if TensorFlow is not
yet imported), lowers TensorFlow's Python logger to errors (one process builds many models, and the
warning that each new model's train function is traced again is expected), and ignores tqdm's
"IProgress not found" warning, which Optuna's import of ``tqdm.auto`` raises in a notebook without
ipywidgets (no progress bars are shown here; the warning would print a machine's path).
"""

from __future__ import annotations

import logging
import os
import warnings


def quiet() -> None:
    """Quiet TensorFlow's logs and tqdm's notebook warning; call it before importing Optuna (``search``)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="IProgress not found")
