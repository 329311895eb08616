"""Versioned adapter registry: export a run with a model card, list/promote/rollback, load by reference."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from supportbot.core.artifacts import (
    ADAPTER_META,
    INDEX_FILE,
    RUN_ADAPTER_DIR,
    RUN_CONFIG,
    RUN_MANIFEST,
    RegistryEntry,
    RegistryError,
    RegistryIndex,
    resolve_adapter_dir,
    sha256_tree,
)
from supportbot.core.errors import ModelNotFoundError

_VERSION = re.compile(r"^v?\d+(\.\d+)*([-.\w]*)$")
_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*$")  # one path component: no separators, no "..", not absolute
LOCK_FILE = ".index.lock"


def check_name(name: str, flag: str = "--name") -> str:
    """A registry model name that is one safe path component, else a RegistryError naming the flag."""
    if not _NAME.match(name) or ".." in name:
        raise RegistryError(
            f"{flag} {name!r}: use letters, digits, '.', '_' and '-' only (no '/', '..' or absolute paths)"
        )
    return name


def check_version(version: str) -> str:
    """A version like v1.0 or 1.2.3 (one safe path component), else a RegistryError."""
    if not _VERSION.match(version) or ".." in version:
        raise RegistryError(f"--version {version!r}: use a version like v1.0 or 1.2.3")
    return version


class Registry(RegistryIndex):
    """The registry with its write side: add, promote, rollback and prune, each under a lock on the index."""

    def __init__(self, root: str | Path | None = None) -> None:
        super().__init__(root)
        self._lock_depth = 0
        self._lock_fh: Any = None

    @contextlib.contextmanager
    def locked(self) -> Any:
        """Hold an exclusive lock on the index (re-entrant in one Registry object, across processes)."""
        import fcntl

        if self._lock_depth == 0:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock_fh = (self.root / LOCK_FILE).open("a")
            fcntl.flock(self._lock_fh, fcntl.LOCK_EX)
        self._lock_depth += 1
        try:
            yield self
        finally:
            self._lock_depth -= 1
            if self._lock_depth == 0:
                fcntl.flock(self._lock_fh, fcntl.LOCK_UN)
                self._lock_fh.close()
                self._lock_fh = None

    def _write(self, data: dict[str, Any]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / (INDEX_FILE + ".tmp")
        tmp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
        tmp.replace(self.root / INDEX_FILE)

    # -- changes ---------------------------------------------------------------------------------------
    def add(self, entry: RegistryEntry, keep_last: int | None = None) -> None:
        """Record a new version (refusing duplicates), then prune to the last `keep_last` versions."""
        with self.locked():
            self._add(entry, keep_last)

    def _add(self, entry: RegistryEntry, keep_last: int | None) -> None:
        check_name(entry.name)
        data = self._read()
        model = data["models"].setdefault(entry.name, {"versions": [], "production": None, "history": []})
        if any(v["version"] == entry.version for v in model["versions"]):
            raise RegistryError(
                f"'{entry.name}@{entry.version}' already exists in {self.root}; pick a new --version"
            )
        model["versions"].append(asdict(entry))
        self._write(data)
        if keep_last:
            self.prune(entry.name, keep_last)

    def promote(self, name: str, version: str) -> RegistryEntry:
        """Make `version` the production version (the previous one is remembered for rollback)."""
        with self.locked():
            return self._promote(name, version)

    def _promote(self, name: str, version: str) -> RegistryEntry:
        entry = self.get(name, version)
        data = self._read()
        model = self._model(data, name)
        if model.get("production") != entry.version:
            if model.get("production"):
                model["history"].append(model["production"])
            model["production"] = entry.version
        self._write(data)
        return entry

    def rollback(self, name: str) -> RegistryEntry:
        """Restore the previous production version."""
        with self.locked():
            return self._rollback(name)

    def _rollback(self, name: str) -> RegistryEntry:
        data = self._read()
        model = self._model(data, name)
        existing = {v["version"] for v in model["versions"]}
        history = [v for v in model["history"] if v in existing]
        if not history:
            raise RegistryError(f"'{name}' has no earlier production version to roll back to")
        model["production"] = history.pop()
        model["history"] = history
        self._write(data)
        return self.get(name, model["production"])

    def prune(self, name: str, keep_last: int) -> list[str]:
        """Delete all but the newest `keep_last` versions, never the production one; returns removed versions.

        Only directories inside the registry root are ever deleted.
        """
        with self.locked():
            return self._prune(name, keep_last)

    def _prune(self, name: str, keep_last: int) -> list[str]:
        data = self._read()
        model = self._model(data, name)
        keep = {v["version"] for v in model["versions"][-keep_last:]} | {model.get("production")}
        removed = [v for v in model["versions"] if v["version"] not in keep]
        for v in removed:
            path = self.version_dir(RegistryEntry(**v))
            if path == self.root.resolve():
                raise RegistryError(f"'{name}@{v['version']}': refusing to delete the registry root")
            shutil.rmtree(path, ignore_errors=True)
        model["versions"] = [v for v in model["versions"] if v["version"] in keep]
        self._write(data)
        return [v["version"] for v in removed]


# -- export --------------------------------------------------------------------------------------------
def _read_json(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


# The headline numbers of an eval (keys of metrics.json's overall.tuned / overall.base blocks) kept in the
# registry index and shown on the model card; the full metrics stay in the results dir.
CARD_METRICS = (
    "hallucination_rate",
    "semantic_match",
    "reference_score",
    "exact_match",
    "token_f1",
    "rouge_l",
    "edge_case_handling",
    "over_refusal_rate",
    "json_valid_rate",
    "json_schema_rate",
    "tokens_out_mean",
    "latency_p50_s",
    "cost_per_1k_usd",
)
PAIRWISE_METRICS = ("win_rate", "wins", "ties", "losses", "hallucination_reduction")


def _round(value: Any) -> Any:
    return round(value, 4) if isinstance(value, float) else value


def eval_summary(metrics: dict[str, Any]) -> dict[str, Any]:
    """The headline numbers of one eval's metrics.json (as `supportbot eval` writes it), flat.

    Tuned-model metrics keep their names, the base model's get a `base_` prefix, and the pairwise ones
    (`win_rate`, ...) compare the two.
    """
    overall = metrics.get("overall") or {}
    suite = metrics.get("suite") or {}
    manifest = metrics.get("manifest") or {}
    out: dict[str, Any] = {
        "eval_id": metrics.get("eval_id"),
        "suite": suite.get("name"),
        "n_questions": suite.get("n_questions"),
        "judge": (metrics.get("judge") or {}).get("name"),
        "base": manifest.get("base"),
    }
    pairwise = overall.get("pairwise") or {}
    out.update({k: pairwise.get(k) for k in PAIRWISE_METRICS})
    for label, prefix in (("tuned", ""), ("base", "base_")):
        block = overall.get(label) or {}
        out.update({prefix + k: block.get(k) for k in CARD_METRICS})
    return {k: _round(v) for k, v in out.items() if v is not None}


def _evaluated_adapter(metrics: dict[str, Any]) -> tuple[str | None, Path | None]:
    """(weights fingerprint, adapter dir) of the tuned model an eval answered with, where it recorded them."""
    fingerprint = (metrics.get("manifest") or {}).get("model_fingerprint")
    if isinstance(fingerprint, str) and fingerprint.startswith("adapter:"):
        path, _, weights = fingerprint[len("adapter:") :].rpartition(":")
        return weights, Path(path)
    tuned = (metrics.get("models") or {}).get("tuned") or {}
    run_dir = (metrics.get("training") or {}).get("run_dir")
    adapter = tuned.get("adapter") or (str(Path(run_dir) / RUN_ADAPTER_DIR) if run_dir else None)
    return None, Path(adapter) if adapter else None


def latest_eval_metrics(run_dir: Path, results_root: Path = Path("results")) -> dict[str, Any]:
    """Headline metrics (`eval_summary`) of the newest eval under results_root whose tuned model was this run.

    An eval belongs to the run when it answered with these adapter weights (the weights hash in its
    fingerprint), or, for evals without a fingerprint, with this run's adapter dir. Empty when none did.
    """
    from supportbot.core.spec import parse_spec

    adapter_dir = resolve_adapter_dir(run_dir)
    if adapter_dir is None:
        return {}
    adapter_real = adapter_dir.resolve()
    current = parse_spec(str(adapter_dir)).fingerprint()
    current_weights = current.rpartition(":")[2] if current.startswith("adapter:") else None
    best: tuple[float, dict[str, Any]] | None = None
    for metrics_file in Path(results_root).glob("*/metrics.json"):
        try:
            data = json.loads(metrics_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            continue  # a results dir being written, or not an eval's
        if not isinstance(data, dict):
            continue
        weights, adapter = _evaluated_adapter(data)
        if weights is not None:
            same = weights == current_weights
        else:
            same = adapter is not None and adapter.exists() and adapter.resolve() == adapter_real
        if not same:
            continue
        mtime = metrics_file.stat().st_mtime
        if best is None or mtime > best[0]:
            best = (mtime, {**eval_summary(data), "eval_id": data.get("eval_id") or metrics_file.parent.name})
    return best[1] if best else {}


def run_provenance(run: dict[str, Any]) -> dict[str, Any]:
    """git commit, dataset hash, example counts and the training command from a run's run.json.

    `supportbot train` writes `git: {commit, dirty}`, `data: {dataset_hash, stats: {train, val}}`,
    `config_file` and `overrides`.
    """
    git = run.get("git") if isinstance(run.get("git"), dict) else {}
    data = run.get("data") if isinstance(run.get("data"), dict) else {}
    stats = data.get("stats") or {}
    counts = {split: s["total"] for split, s in stats.items() if isinstance(s, dict) and "total" in s}
    command = None
    if run.get("config_file") or run.get("overrides"):
        parts = ["supportbot train"]
        if run.get("config_file"):
            parts.append(f"--config {shlex.quote(str(run['config_file']))}")
        parts += [f"--set {shlex.quote(str(o))}" for o in run.get("overrides") or []]
        command = " ".join(parts)
    return {
        "git_commit": git.get("commit"),
        "git_dirty": git.get("dirty"),
        "data_hash": data.get("dataset_hash"),
        "counts": counts or None,
        "command": command,
    }


def _metrics_md(metrics: dict[str, Any], source_run: str) -> str:
    """The card's Evaluation section: the eval's identity, then tuned vs base for each headline metric."""
    if not metrics:
        return f"This run has not been evaluated yet (`supportbot eval --model {source_run}`)."
    about = ", ".join(
        f"{k} `{metrics[k]}`" for k in ("suite", "n_questions", "judge", "base", "eval_id") if k in metrics
    )
    rows = [f"| {k} | {metrics[k]} | |" for k in PAIRWISE_METRICS if k in metrics]
    rows += [
        f"| {k} | {metrics.get(k, '')} | {metrics.get('base_' + k, '')} |"
        for k in CARD_METRICS
        if k in metrics or "base_" + k in metrics
    ]
    table = "| metric | this adapter | base model |\n|---|---|---|\n" + "\n".join(rows)
    return f"From the latest `supportbot eval` of this run ({about}):\n\n{table}"


def model_card(entry: RegistryEntry, run: dict[str, Any], config_yaml: str) -> str:
    """A Hugging Face model card for an exported adapter."""
    prov = run_provenance(run)
    counts = ", ".join(f"{k}: {v}" for k, v in (prov["counts"] or {}).items()) or "n/a"
    dirty = " (with uncommitted changes)" if prov["git_dirty"] else ""
    reproduce = prov["command"] or "supportbot train --config <the training_args.json config>"
    if prov["git_commit"]:
        reproduce = f"git checkout {prov['git_commit']}\n{reproduce}"
    return f"""---
library_name: peft
base_model: {entry.base_model}
tags: [supportbot, lora, customer-support]
---
# {entry.name} {entry.version}

A LoRA adapter for customer-support answers, trained with supportbot on `{entry.base_model}`.

| field | value |
|-------|-------|
| base model | `{entry.base_model}` |
| version | {entry.version} |
| created | {entry.created} |
| source run | `{entry.source_run}` |
| git commit | `{entry.git_commit or "n/a"}`{dirty} |
| dataset hash | `{entry.data_hash or "n/a"}` |
| dataset examples | {counts} |

## Hyperparameters
The resolved training config is in `training_args.json`:

```yaml
{config_yaml.strip()}
```

## Evaluation
{_metrics_md(entry.metrics, entry.source_run)}

## Intended use and limits
Drafting answers for a support team's own product questions, reviewed by people, in the domain and languages
of its training data. It is a small model: it can state wrong specifics, and should not be used for legal,
financial or medical advice, nor trusted without retrieval grounding or review.

## Reproduce
```bash
{reproduce}
supportbot export {entry.source_run} --version {entry.version} --name {entry.name}
```

## Load
```python
import supportbot
lm = supportbot.load("registry:{entry.name}@{entry.version}")
```
"""


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
    trained_context = adapter_context(str(adapter_dir))
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
