# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
EXTRAS ?= dev

.PHONY: demo test venv lint bench

$(BIN)/jejunet: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[$(EXTRAS)]"
	touch $@

venv: $(BIN)/jejunet

# Fetch the model and the sample clip (sha256-checked), then run the default pipeline on it.
demo: venv
	$(BIN)/jejunet models fetch
	$(BIN)/jejunet graph run pipelines/deeplab_per_frame.yaml --output out/deeplab_per_frame.mp4 --report out/report.json

# The whole test suite (what CI runs).
test: venv
	$(BIN)/python -m pytest -q
	@if [ -x android_bridge/build.sh ] && command -v javac >/dev/null; then bash android_bridge/build.sh; fi

lint: venv
	$(BIN)/ruff check jejunet tests benchmarks
	$(BIN)/ruff format --check jejunet tests benchmarks

bench: venv
	$(BIN)/python -m pytest benchmarks --benchmark-only -q
