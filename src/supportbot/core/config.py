"""What every stage's config shares: the strict section base, the model and generation sections, YAML
reading, dotted `--set key=value` overrides, flag overrides and readable validation errors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from supportbot.core.errors import ConfigError

DEFAULT_SYSTEM_PROMPT = "You are NovaPay's customer support assistant. Answer accurately and concisely."


class StrictModel(BaseModel):
    """Base for every config section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, protected_namespaces=())


class GgufConfig(StrictModel):
    """The llama.cpp backend: which GGUF of the base to run, and the context it decodes in."""

    type: Literal[
        "f32", "f16", "bf16", "q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k_m", "q5_k_m", "q6_k", "embedded"
    ] = Field(
        "q8_0",
        description="GGUF type of the base, converted once from the model and cached; 'embedded' runs the "
        "Q4_1 GGUF shipped for smollm2-135m as it is. Adapters always run as f32 GGUF LoRAs. q8_0: as fast as "
        "f16 at half the size, and on support_100 no loss against hf fp32 under the eval's judge (README).",
    )
    n_ctx: int = Field(
        16384, ge=256, description="Tokens of KV cache shared by all sequences of a batch (prompt + answer)."
    )
    n_seq: int = Field(16, ge=1, le=256, description="Most sequences decoded together.")
    threads: int = Field(0, ge=0, description="CPU threads; 0 = every CPU this process may use.")


class ModelConfig(StrictModel):
    """Which base model to load and how."""

    name: str = Field("smollm2-135m", description="Registry name, Hugging Face id, local dir or run dir.")
    adapter: str | None = Field(None, description="Optional LoRA adapter dir (or run dir) applied on top.")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    device: Literal["auto", "cpu", "cuda", "mps"] = "auto"
    backend: Literal["hf", "llamacpp"] = Field(
        "hf",
        description="Runtime of eval, chat and serve: hf (transformers + PEFT) or llamacpp (GGUF base + GGUF "
        "LoRA through llama-cpp-python; `make setup-llamacpp`). serve.backend, when set, overrides it there.",
    )
    gguf: GgufConfig = Field(default_factory=GgufConfig)


class GenerationConfig(StrictModel):
    """Prompting and decoding settings shared by chat, eval and serve."""

    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    max_new_tokens: int = Field(160, ge=1, le=8192)
    temperature: float = Field(0.0, ge=0.0, le=2.0, description="0 means greedy decoding.")
    top_p: float = Field(1.0, gt=0.0, le=1.0)
    top_k: int = Field(0, ge=0, description="0 disables top-k filtering.")
    repetition_penalty: float = Field(1.1, ge=1.0, le=2.0)
    no_repeat_ngram_size: int = Field(0, ge=0)
    seed: int = 0


_SCI_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$")


def parse_override(item: str) -> tuple[list[str], Any]:
    """Parse `a.b.c=value` into (["a","b","c"], value), with the value read as a YAML scalar."""
    if "=" not in item:
        raise ConfigError(f"--set {item!r}: expected KEY=VALUE, e.g. --set train.lr=1e-4")
    key, raw = item.split("=", 1)
    key = key.strip()
    if not key or any(not part for part in key.split(".")):
        raise ConfigError(f"--set {item!r}: the key must be dotted names, e.g. train.lr")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        value = raw
    if isinstance(value, str) and _SCI_NUMBER.match(value):  # YAML 1.1 reads "1e-4" as a string
        value = float(value)
    return key.split("."), value


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply dotted overrides onto a nested dict (in place) and return it."""
    for item in overrides:
        path, value = parse_override(item)
        node = data
        for part in path[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError(f"--set {item!r}: '{part}' is a value, not a section")
            node = child
        node[path[-1]] = value
    return data


def read_yaml(path: Path) -> dict[str, Any]:
    """Read a YAML mapping, with errors that name the file."""
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: top level must be a mapping of sections (model, train, ...)")
    return data


def format_validation_error(exc: ValidationError, source: str) -> str:
    """Turn pydantic's error list into lines that name the source and the dotted key."""
    lines = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"])
        if err["type"] == "extra_forbidden":
            lines.append(f"{source}: unknown key '{key}'")
        else:
            lines.append(f"{source}: key '{key}': {err['msg']} (got {err.get('input')!r})")
    return "; ".join(lines)


def config_to_yaml(cfg: BaseModel) -> str:
    """Serialise a resolved config as YAML (saved beside every artefact that it produced)."""
    return yaml.safe_dump(cfg.model_dump(mode="json"), sort_keys=False, allow_unicode=True)


def apply_flags(section: StrictModel, flags: dict[str, Any], names: dict[str, str] | None = None) -> Any:
    """A config section with command-line flags applied (None means "not given"); invalid values name the
    flag (`names` maps a field to its flag where they differ, e.g. {"name": "model"})."""
    given = {k: v for k, v in flags.items() if v is not None}
    names = names or {}
    try:
        return type(section).model_validate({**section.model_dump(), **given})
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            loc = [str(p) for p in e["loc"]]
            flag = ".".join([names.get(loc[0], loc[0]), *loc[1:]]) if loc else "value"
            errors.append(f"--{flag.replace('_', '-')}: {e['msg']}")
        raise ConfigError("; ".join(errors)) from exc


@dataclass(frozen=True)
class Recipe:
    """A validated config with where it came from: its schema, YAML file and `--set` overrides."""

    config: Any
    schema: type[StrictModel]
    path: Path | None
    overrides: tuple[str, ...] = ()

    def reload(self, path: str | Path | None, overrides: list[str] | None = None) -> Recipe:
        """The same schema read from another file (e.g. a run's own config.yaml); overrides default to these."""
        return load_recipe(self.schema, path, list(self.overrides) if overrides is None else overrides)


def load_recipe(
    schema: type[StrictModel], path: str | Path | None, overrides: list[str] | None = None
) -> Recipe:
    """Validate an optional YAML file plus `--set` overrides against `schema`.

    Raises ConfigError naming the file (or `--set`) and the key for unknown keys and wrong types.
    """
    overrides = list(overrides or [])
    data: dict[str, Any] = read_yaml(Path(path)) if path else {}
    source = str(path) if path else "defaults"
    if overrides:
        apply_overrides(data, overrides)
        source = f"{source} + --set" if path else "--set"
    try:
        config = schema.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, source)) from exc
    return Recipe(config, schema, Path(path) if path else None, tuple(overrides))
