"""Load a model spec on the runtime a config names: transformers + PEFT (hf) or llama.cpp (llamacpp)."""

from __future__ import annotations

from typing import Any

from supportbot.core.models import LoadedModel, load_model


def load_runtime(
    spec: str,
    adapter: str | None = None,
    dtype: str = "auto",
    device: str = "auto",
    backend: str = "hf",
    gguf: Any = None,
) -> LoadedModel:
    """`models.load_model` for backend "hf"; for "llamacpp" the base as a GGUF of `gguf.type` (a GgufConfig)
    and the adapter as a GGUF LoRA (`llamacpp.load_llamacpp_model`). Both answer through `generation.decode`."""
    if backend == "llamacpp":
        from supportbot.core.llamacpp import load_llamacpp_model

        return load_llamacpp_model(spec, adapter, gguf)
    if backend != "hf":
        raise ValueError(f"unknown model backend {backend!r}: hf or llamacpp")
    return load_model(spec, adapter, dtype, device)
