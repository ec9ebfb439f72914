"""Importing the package changes no process state: quieting the libraries is one explicit call."""

import subprocess
import sys

STATE = "(dict(os.environ), [str(f) for f in warnings.filters], logging.getLogger('tensorflow').level)"
PROBE = f"""
import logging, os, warnings
import keras, matplotlib, optuna, sqlalchemy, tensorflow  # the libraries' own import-time effects come first
before = {STATE}
import spectral_lib
from spectral_lib.repro import experiment
experiment.registered()  # imports every module of spectral_lib.repro
assert {STATE} == before, "importing spectral_lib changed the environment, warning filters or logger levels"
from spectral_lib.repro.quiet import quiet
quiet()
assert {STATE} != before, "quiet() changed nothing"
"""


def test_importing_every_module_has_no_side_effects_and_quiet_has_them():
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp"}  # no TF_CPP_MIN_LOG_LEVEL from conftest
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
