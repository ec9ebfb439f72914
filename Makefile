# Set-up and the two commands of README.md. `make figures` regenerates every
# figure and table (PROFILE=cpu by default, the committed outputs; any other
# profile writes under runs/<profile>/; ONLY="01 03" picks notebooks; a notebook whose runs are not
# recorded is skipped with the command that trains them, unless TRAIN=1); `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= cpu
ONLY ?=
TRAIN ?=

.PHONY: install lock test figures notebooks benchmark

# PyTorch's CPU build: on Linux x86_64 PyPI's torch is a CUDA build of several GB. A wheel that pip's own
# configuration offers (find-links) is taken without asking any index; otherwise it comes from TORCH_INDEX.
TORCH_INDEX ?= https://download.pytorch.org/whl/cpu
TORCH := $(shell grep -m1 '^torch==' requirements.lock)

# Exactly the versions of requirements.lock (--no-deps: nothing unlocked comes in), then this package.
$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --no-index --no-deps "$(TORCH)" 2>/dev/null \
		|| $(BIN)/python -m pip install --quiet --no-deps --index-url $(TORCH_INDEX) "$(TORCH)"
	$(BIN)/python -m pip install --quiet --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

install: $(VENV)/.installed

# Resolve requirements.lock again from pyproject.toml's ranges (newer releases come in); commit it with the
# results it produced.
lock:
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python .ci/lock.py --torch-index $(TORCH_INDEX)

# The linter and formatter's check, the whole suite on TensorFlow, then the layer tests again on the JAX
# and the PyTorch backends.
LAYER_TESTS := tests/test_pooling.py tests/test_spectral_conv.py tests/test_frequency_dropout.py \
	tests/test_keras_contract.py tests/test_validation.py tests/test_backends.py tests/test_precision.py \
	tests/test_preprocessing.py

test: install
	$(BIN)/python -m pip check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest
	KERAS_BACKEND=jax $(BIN)/python -m pytest $(LAYER_TESTS)
	KERAS_BACKEND=torch $(BIN)/python -m pytest $(LAYER_TESTS)

figures: install
	$(BIN)/python -m spectral_lib.repro.pipeline --profile $(PROFILE) $(if $(ONLY),--only $(ONLY)) $(if $(TRAIN),--train)

# Re-execute notebooks/ with their smoke defaults and write them back cleaned:
# how the committed notebooks get the outputs that nbval compares.
notebooks: install
	$(BIN)/python -m spectral_lib.repro.pipeline --profile smoke --refresh-sources

benchmark: install
	$(BIN)/python benchmarks/pooling.py
