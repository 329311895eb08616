"""Export a run into the registry: its best adapter, training args and model card (staged, then renamed
into place under the index lock, sha256 per file), optionally a merged model, and GGUF files for llama.cpp and
Ollama: the base plus the adapter as a GGUF LoRA, or (with --merge) one merged GGUF, each with a Modelfile."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from supportbot.core.artifacts import (
    ADAPTER_META,
    RUN_CONFIG,
    RUN_MANIFEST,
    RegistryEntry,
    RegistryError,
    resolve_adapter_dir,
    sha256_tree,
)
from supportbot.core.errors import ModelNotFoundError
from supportbot.ship.card import latest_eval_metrics, model_card, run_provenance
from supportbot.ship.registry import Registry, check_name, check_version


# -- export --------------------------------------------------------------------------------------------
def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def export_run(
    run: str | Path,
    version: str,
    registry_root: str | Path | None = None,
    name: str = "supportbot",
    merge: bool = False,
    gguf: bool = False,
    keep_last: int | None = None,
    results_root: str | Path = "results",
    gguf_type: str | None = None,
) -> RegistryEntry:
    """Export a run's best adapter (and optionally a merged model) as a new registry version.

    The model card and index carry the headline metrics of the run's newest eval under `results_root`.
    """

    from supportbot.core.artifacts import adapter_base_model

    check_version(version)
    check_name(name)
    if gguf_type is not None:
        from supportbot.core.gguf import EMBEDDED, GGUF_TYPES

        if gguf_type not in GGUF_TYPES:
            raise RegistryError(f"--gguf-type {gguf_type!r}: choose one of {', '.join(GGUF_TYPES)}")
        if not gguf:
            raise RegistryError("--gguf-type needs --gguf")
        if merge and gguf_type == EMBEDDED:
            raise RegistryError("--gguf-type embedded applies to an adapter export's base, not to --merge")
    run_dir = Path(run)
    adapter_dir = resolve_adapter_dir(run_dir)
    if adapter_dir is None:
        raise ModelNotFoundError(f"not a run or adapter directory (no adapter/adapter_config.json): {run}")
    run_dir = adapter_dir.parent if (adapter_dir.parent / RUN_MANIFEST).is_file() else adapter_dir
    registry = Registry(registry_root)
    manifest = _read_json(run_dir / RUN_MANIFEST)
    base = adapter_base_model(adapter_dir)
    resolved = manifest.get("config") or _read_yaml_file(run_dir / RUN_CONFIG)
    prov = run_provenance(manifest)
    entry = RegistryEntry(
        name=name,
        version=version,
        created=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        base_model=base,
        git_commit=prov["git_commit"],
        data_hash=prov["data_hash"],
        metrics=latest_eval_metrics(adapter_dir, Path(results_root)),
        path=f"{name}/{version}",
        source_run=str(run_dir.resolve() if run_dir.is_symlink() else run_dir),
    )
    if any(e.version == version for e in _safe_entries(registry, name)):
        raise RegistryError(f"'{name}@{version}' already exists in {registry.root}; pick a new --version")
    # Written into a private temporary dir, then renamed into place under the index lock: a concurrent
    # export of the same version either wins whole or fails, so index and weights always agree.
    registry.root.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".export-{name}-{version}-", dir=registry.root))
    try:
        _write_version(staging, entry, adapter_dir, resolved, manifest, merge, gguf, gguf_type)
        entry.extra["sha256"] = sha256_tree(staging)
        with registry.locked():
            final = registry.root / entry.path
            if final.exists() or any(e.version == version for e in _safe_entries(registry, name)):
                raise RegistryError(
                    f"'{name}@{version}' already exists in {registry.root} (another export finished first); "
                    "pick a new --version"
                )
            final.parent.mkdir(parents=True, exist_ok=True)
            staging.rename(final)
            registry.add(entry, keep_last=keep_last)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return entry


def _write_version(
    target: Path,
    entry: RegistryEntry,
    adapter_dir: Path,
    resolved: dict[str, Any],
    manifest: dict[str, Any],
    merge: bool,
    gguf: bool,
    gguf_type: str | None = None,
) -> None:
    """Write the adapter, tokenizer, model card and (optionally) merged weights of a version into `target`."""
    import yaml

    from supportbot.core.artifacts import adapter_context
    from supportbot.core.models import load_model

    lm = load_model(str(adapter_dir))
    lm.model.save_pretrained(target, safe_serialization=True)
    lm.tokenizer.save_pretrained(target)
    lm.model.generation_config.save_pretrained(target)
    meta: dict[str, Any] = {"base_model": entry.base_model, "version": entry.version}
    trained_context = adapter_context(adapter_dir)
    if trained_context is not None:  # eval and chat prompt the exported adapter the way it was trained
        meta["context"] = trained_context
    (target / ADAPTER_META).write_text(json.dumps(meta) + "\n")
    (target / "training_args.json").write_text(json.dumps(resolved, indent=2, default=str) + "\n")
    (target / "README.md").write_text(model_card(entry, manifest, yaml.safe_dump(resolved, sort_keys=False)))
    if merge:
        merged = target / "merged"
        export_merged(lm, merged)
        entry.merged_path = f"{entry.path}/merged"
    if gguf:
        written = export_gguf(
            target, entry.base_model, adapter_dir, lm.tokenizer, merged if merge else None, gguf_type
        )
        entry.extra["gguf"] = {k: f"{entry.path}/{v.relative_to(target)}" for k, v in written.items()}


def _safe_entries(registry: Registry, name: str) -> list[RegistryEntry]:
    try:
        return registry.entries(name)
    except RegistryError:
        return []


def _read_yaml_file(path: Path) -> dict[str, Any]:
    import yaml

    return (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}


def export_merged(lm: Any, out_dir: Path, max_shard_size: str = "200MB") -> Path:
    """Merge the LoRA weights into the base and save a plain transformers model (sharded safetensors)."""
    import copy

    merged = copy.deepcopy(lm.model).merge_and_unload()
    merged.save_pretrained(out_dir, safe_serialization=True, max_shard_size=max_shard_size)
    lm.tokenizer.save_pretrained(out_dir)
    return out_dir


def export_gguf(
    target: Path,
    base: str,
    adapter_dir: Path,
    tokenizer: Any,
    merged_dir: Path | None = None,
    gguf_type: str | None = None,
) -> dict[str, Path]:
    """Write `target/gguf/`: the base GGUF and the adapter as a GGUF LoRA (llama.cpp's `--lora`, Ollama's
    ADAPTER), or with a merged model one merged GGUF; plus an Ollama Modelfile. Offline: llama.cpp's own
    converters from `make setup-llamacpp`. The embedded model's base is its shipped GGUF, as it is."""
    from supportbot.core.gguf import CONVERTER_TYPES, EMBEDDED, base_gguf, convert_model, lora_gguf, quantize

    out = target / "gguf"
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    if merged_dir is not None:
        kind = gguf_type or "f16"
        model = out / f"model-{kind}.gguf"
        if kind in CONVERTER_TYPES:
            convert_model(merged_dir, model, kind, base)
        else:  # a llama.cpp quantisation: from the f32 GGUF
            full = out / "model-f32.gguf.part"
            convert_model(merged_dir, full, "f32", base)
            quantize(full, model, kind)
            full.unlink()
        written["model"] = model
        modelfile = ollama_modelfile(tokenizer, model.name, None)
    else:
        kind = gguf_type or (EMBEDDED if base == "smollm2-135m" else "f16")
        source = base_gguf(base, kind)
        model = out / ("base-" + (source.name if kind == EMBEDDED else f"{kind}.gguf"))
        _link_or_copy(source, model)
        lora = lora_gguf(adapter_dir, base, out / "adapter.gguf")
        written["base"], written["adapter"] = model, lora
        modelfile = ollama_modelfile(tokenizer, model.name, lora.name)
    (out / "Modelfile").write_text(modelfile)
    written["modelfile"] = out / "Modelfile"
    return written


def _link_or_copy(src: Path, dst: Path) -> None:
    """A hard link where the file system allows it (the base GGUF is large and never changes), else a copy."""
    try:
        os.link(src, dst)
    except OSError:
        shutil.copyfile(src, dst)


def ollama_modelfile(tokenizer: Any, model_file: str, adapter_file: str | None) -> str:
    """An Ollama Modelfile: FROM the GGUF, ADAPTER the GGUF LoRA, the chat template (ChatML written out; other
    templates are left to the one inside the GGUF), the end-of-turn stop tokens and greedy decoding."""
    from supportbot.core.config import DEFAULT_SYSTEM_PROMPT

    lines = ["# ollama create <name> -f Modelfile   (run in this folder)", f"FROM ./{model_file}"]
    if adapter_file:
        lines.append(f"ADAPTER ./{adapter_file}")
    template = getattr(tokenizer, "chat_template", None) or ""
    if "<|im_start|>" in template:
        lines += [
            'TEMPLATE """{{- if .System }}<|im_start|>system',
            "{{ .System }}<|im_end|>",
            "{{ end }}{{- range .Messages }}<|im_start|>{{ .Role }}",
            "{{ .Content }}<|im_end|>",
            "{{ end }}<|im_start|>assistant",
            '"""',
        ]
    stops = {t for t in (tokenizer.eos_token, "<|im_end|>" if "<|im_end|>" in template else None) if t}
    lines += [f'PARAMETER stop "{t}"' for t in sorted(stops)]
    lines += [
        "PARAMETER temperature 0",
        "PARAMETER repeat_penalty 1.1",
        f'SYSTEM """{DEFAULT_SYSTEM_PROMPT}"""',
    ]
    return "\n".join(lines) + "\n"
