# Set-up and the two commands of README.md. `make figures` regenerates every
# figure and table (PROFILE=cpu by default, the committed outputs; any other
# profile writes under runs/<profile>/); `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PROFILE ?= cpu

.PHONY: install test figures notebooks benchmark

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 >/dev/null
	touch $@

install: $(VENV)/.installed

test: install
	$(BIN)/python -m pytest

figures: install
	$(BIN)/python -m spectral_lib.repro.pipeline --profile $(PROFILE)

# Re-execute notebooks/ with their smoke defaults and write them back cleaned:
# how the committed notebooks get the outputs that nbval compares.
notebooks: install
	$(BIN)/python -m spectral_lib.repro.pipeline --profile smoke --refresh-sources

benchmark: install
	$(BIN)/python benchmarks/pooling.py
