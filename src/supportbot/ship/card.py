"""The model card of an exported version: provenance, the run's latest eval metrics and how to load it."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from supportbot.core.artifacts import (
    RUN_ADAPTER_DIR,
    RegistryEntry,
    resolve_adapter_dir,
)

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
    from supportbot.eval.backend_agreement import runtime_of

    adapter_dir = resolve_adapter_dir(run_dir)
    if adapter_dir is None:
        return {}
    adapter_real = adapter_dir.resolve()
    current = parse_spec(str(adapter_dir)).fingerprint()
    current_weights = current.rpartition(":")[2] if current.startswith("adapter:") else None
    best: tuple[tuple[bool, float], dict[str, Any]] | None = None
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
        # the exported adapter is a PEFT adapter: an eval on transformers (hf) describes it before a newer one on
        # a llama.cpp GGUF, whose runtime the card then names
        backend = (data.get("manifest") or {}).get("backend")
        rank = (backend is None, metrics_file.stat().st_mtime)
        if best is None or rank > best[0]:
            summary = {**eval_summary(data), "eval_id": data.get("eval_id") or metrics_file.parent.name}
            if backend:
                summary["runtime"] = runtime_of(data)
            best = (rank, summary)
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
        f"{k} `{metrics[k]}`"
        for k in ("suite", "n_questions", "judge", "base", "eval_id", "runtime")
        if k in metrics
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
