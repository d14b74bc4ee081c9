# The two set-up commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench bench-compare

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# The runtime only: ai-edge-litert, OpenCV, PyAV, … (no TensorFlow).
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

# Everything the tests need: dev tools, the model-tooling extra (TensorFlow) and Ray (batch tests).
$(VENV)/.full: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,model,ray]"
	touch $@ $(VENV)/.runtime

# Fetch the model and the sample clip (sha256-checked), then run the default pipeline on it.
demo: $(VENV)/.runtime
	$(BIN)/jejunet models fetch
	$(BIN)/jejunet graph run pipelines/deeplab_per_frame.yaml --output out/deeplab_per_frame.mp4 --report out/report.json

# The whole test suite (what CI runs): pytest, then the Android runtime's build and JUnit tests.
# tools/android_test.sh installs the Debian packages that build needs when run as root with apt-get,
# else prints one SKIPPED line naming them (also without javac or ../shared/android).
test: $(VENV)/.full
	$(BIN)/python -m pytest
	@bash tools/android_test.sh

lint: $(VENV)/.full
	$(BIN)/ruff check jejunet tests benchmarks
	$(BIN)/ruff format --check jejunet tests benchmarks

bench: $(VENV)/.full
	$(BIN)/python -m pytest benchmarks --benchmark-only -q

bench-compare: $(VENV)/.full
	$(BIN)/python -m pytest benchmarks --benchmark-only -q --benchmark-storage=file://benchmarks/baseline --benchmark-compare=0001 --benchmark-columns=median,iqr,rounds
