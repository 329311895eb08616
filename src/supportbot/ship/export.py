"""Export a run into the registry: its best adapter, training args and model card (staged, then renamed
into place under the index lock, sha256 per file), optionally a merged model and a GGUF of it."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
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
) -> RegistryEntry:
    """Export a run's best adapter (and optionally a merged model) as a new registry version.

    The model card and index carry the headline metrics of the run's newest eval under `results_root`.
    """

    from supportbot.core.artifacts import adapter_base_model

    check_version(version)
    check_name(name)
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
        _write_version(staging, entry, adapter_dir, resolved, manifest, merge, gguf)
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
    if merge or gguf:
        merged = target / "merged"
        export_merged(lm, merged)
        entry.merged_path = f"{entry.path}/merged"
        if gguf:
            entry.extra["gguf"] = export_gguf(merged).replace(str(target), str(Path(entry.path)))


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


def export_gguf(merged_dir: Path) -> str:
    """Convert a merged model to GGUF with llama.cpp's converter when it is available."""
    script = os.environ.get("LLAMA_CPP_CONVERT") or shutil.which("convert_hf_to_gguf.py")
    if not script:
        raise RegistryError(
            "GGUF export needs llama.cpp's convert_hf_to_gguf.py: set LLAMA_CPP_CONVERT to its path "
            f"(the merged model is already written to {merged_dir})"
        )
    out = merged_dir.parent / "model.gguf"
    proc = subprocess.run(
        ["python", script, str(merged_dir), "--outfile", str(out)], capture_output=True, text=True
    )
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise RegistryError(f"GGUF conversion of {merged_dir} failed: {tail[0]}")
    return str(out)
