"""Grounded SFT data: records → leakage guard → split → RAFT examples → train/val JSONL + manifest.

The rows are canonical records (`supportbot train` reads them like any prepared split) whose
`inputs.system` + `inputs.question` are exactly the system and user messages `build_grounded_messages`
produces at inference, and whose `outputs.answer` is the target JSON, so the rendered training prompt is
token for token the prompt `/v1/troubleshoot` and the grounded eval send.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportbot.core import __version__
from supportbot.core.artifacts import sha256_file
from supportbot.core.errors import DataError
from supportbot.core.jsonl import read_jsonl
from supportbot.core.suites import read_suite
from supportbot.data.leakage import find_leaks
from supportbot.data.manifest import dataset_hash
from supportbot.data.schema import Inputs, Meta, Outputs, Record, write_records
from supportbot.grounded.config import GroundedConfig
from supportbot.grounded.contract import TroubleshootRequest, schema_errors
from supportbot.grounded.raft import build_raft_examples
from supportbot.grounded.records import build_grounded_records, request_key

MANIFEST = "manifest.json"


@dataclass
class GroundedLeak:
    """A training record that duplicates or near-duplicates a grounded eval request."""

    record_id: str
    question_id: str
    how: str  # "same request" | "query" | "query+answer"
    similarity: float


@dataclass
class PrepareGroundedResult:
    """What `prepare_grounded` wrote."""

    out: Path
    splits: dict[str, list[Record]]
    manifest: dict[str, Any]
    leaks: list[GroundedLeak]


def load_grounded_records(path: str | Path) -> list[dict[str, Any]]:
    """Grounded records from a suite JSON (`{"questions": [...]}`) or a JSONL file, checked field by field."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"grounded records {path}: file not found")
    rows = read_jsonl(path) if path.suffix == ".jsonl" else read_suite(path, "grounded records").items
    for n, row in enumerate(rows):
        where = f"{path}: record {row.get('id', n) if isinstance(row, dict) else n}"
        if not isinstance(row, dict):
            raise DataError(f"{where}: must be an object")
        for key in ("id", "user_state", "gold_kb_ids", "reference"):
            if key not in row:
                raise DataError(f"{where}: field '{key}' is missing")
        try:
            TroubleshootRequest.model_validate({"user_state": row["user_state"], "query": row.get("query")})
        except ValueError as exc:
            raise DataError(f"{where}: field 'user_state' or 'query' is invalid ({exc})") from exc
        errors = schema_errors(row["reference"])
        if errors:
            raise DataError(f"{where}: field 'reference' is not a valid response: {errors[0]}")
    return rows


def _suite_requests(path: str | Path) -> list[dict[str, Any]]:
    return read_suite(path, "grounded.leakage_suites").items


def find_grounded_leaks(
    records: list[dict[str, Any]], suite_paths: list[str], threshold: float
) -> list[GroundedLeak]:
    """Records whose request equals an eval request, or whose query near-duplicates an eval query."""
    eval_qs = [q for p in suite_paths for q in _suite_requests(p)]
    exact = {request_key(q["user_state"], q.get("query")): str(q["id"]) for q in eval_qs}
    leaks = [
        GroundedLeak(str(r["id"]), exact[key], "same request", 1.0)
        for r in records
        if (key := request_key(r["user_state"], r.get("query"))) in exact
    ]
    flagged = {leak.record_id for leak in leaks}
    with_query = [
        Record(
            id=str(r["id"]),
            inputs=Inputs(question=r["query"]),
            outputs=Outputs(answer=json.dumps(r["reference"], ensure_ascii=False)),
        )
        for r in records
        if r.get("query") and str(r["id"]) not in flagged
    ]
    questions = [
        {"id": str(q["id"]), "question": q["query"], "reference_answer": json.dumps(q["reference"])}
        for q in eval_qs
        if q.get("query")
    ]
    if with_query and questions:
        leaks += [
            GroundedLeak(lk.record_id, lk.question_id, lk.field.replace("question", "query"), lk.similarity)
            for lk in find_leaks(with_query, questions, threshold)
        ]
    return leaks


def _check_against_index(records: list[dict[str, Any]], index: Any) -> None:
    articles = index.article_ids
    for r in records:
        missing = [a for a in r["gold_kb_ids"] if a not in articles]
        if missing:
            raise DataError(f"record {r['id']}: gold_kb_ids {missing} are not in the index")
        unknown = [c for c in r["reference"]["citations"] if c not in index.by_id]
        if unknown:
            raise DataError(
                f"record {r['id']}: reference cites {unknown}, which are not chunks of the index "
                "(was it built with another chunk_size?)"
            )


def split_records(
    records: list[dict[str, Any]], val_share: float, seed: int
) -> dict[str, list[dict[str, Any]]]:
    """A deterministic train/val split of records (by a seeded shuffle of their ids)."""
    order = sorted(records, key=lambda r: str(r["id"]))
    random.Random(seed).shuffle(order)
    n_val = math.ceil(len(order) * val_share) if val_share > 0 and len(order) > 1 else 0
    return {"train": order[n_val:], "val": order[:n_val]}


def example_to_record(example: dict[str, Any], record: dict[str, Any]) -> Record:
    """One RAFT chat example as a canonical record (system + user prompt, answer, provenance in meta)."""
    system, user, answer = (m["content"] for m in example["messages"])
    tags = record.get("tags") or {}
    language = tags.get("language") or "en"
    labels = [tags.get("stage"), tags.get("error_code"), "gold" if example["gold_in_context"] else "abstain"]
    return Record(
        id=str(example["id"]),
        inputs=Inputs(question=user, system=system),
        outputs=Outputs(answer=answer),
        meta=Meta(
            source="grounded",
            tags=[t for t in labels if t],
            language=language,
            group=record["gold_kb_ids"][0],
            gold_in_context=example["gold_in_context"],
            context_chunk_ids=example["context_chunk_ids"],
            query=record.get("query"),
        ),
    )


def prepare_grounded(
    index: Any,
    cfg: GroundedConfig,
    k: int,
    out_dir: str | Path | None = None,
    kb_dir: str | Path | None = None,
) -> PrepareGroundedResult:
    """Build (or read) grounded records, drop eval leaks, split, RAFT-expand and write the splits."""
    out = Path(out_dir or cfg.out_dir)
    records = load_grounded_records(cfg.records) if cfg.records else build_grounded_records(index.chunks, cfg)
    if not records:
        raise DataError("prepare-grounded: no records (an empty KB or records file?)")
    _check_against_index(records, index)
    leaks = find_grounded_leaks(records, cfg.leakage_suites, cfg.leakage_threshold)
    leaked = {leak.record_id for leak in leaks}
    kept = [r for r in records if str(r["id"]) not in leaked]
    by_id = {str(r["id"]): r for r in kept}
    splits: dict[str, list[Record]] = {}
    for offset, (name, part) in enumerate(split_records(kept, cfg.val_share, cfg.seed).items()):
        examples = build_raft_examples(part, index, k=k, p_gold=cfg.p_gold, seed=cfg.seed + offset)
        splits[name] = [example_to_record(ex, by_id[str(ex["id"])]) for ex in examples]
    out.mkdir(parents=True, exist_ok=True)
    hashes = {}
    for name, rows in splits.items():
        path = out / f"{name}.jsonl"
        write_records(path, rows)
        hashes[path.name] = sha256_file(path)
    manifest = {
        "kind": "grounded",
        "dataset_hash": dataset_hash(hashes),
        "files": {
            name: {"records": len(rows), "sha256": hashes[f"{name}.jsonl"]} for name, rows in splits.items()
        },
        "source": str(cfg.records) if cfg.records else "generated from the KB (grounded/records.py)",
        "kb_dir": str(kb_dir) if kb_dir else index.manifest.get("kb_dir"),
        "kb_hash": index.manifest.get("kb_hash"),
        "index": {k_: index.manifest.get(k_) for k_ in ("chunks", "articles", "embedding_model", "config")},
        "k": k,
        "records": len(records),
        "leakage": {
            "suites": cfg.leakage_suites,
            "threshold": cfg.leakage_threshold,
            "dropped": len(leaks),
            "leaks": [vars(leak) for leak in leaks],
        },
        "stats": {name: _stats(rows) for name, rows in splits.items()},
        "config": cfg.model_dump(mode="json"),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "supportbot_version": __version__,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    return PrepareGroundedResult(out, splits, manifest, leaks)


def _stats(rows: list[Record]) -> dict[str, Any]:
    return {
        "examples": len(rows),
        "gold_in_context": sum(bool(r.meta.gold_in_context) for r in rows),  # type: ignore[attr-defined]
        "abstain": sum(not r.meta.gold_in_context for r in rows),  # type: ignore[attr-defined]
        "no_query": sum(r.meta.query is None for r in rows),  # type: ignore[attr-defined]
        "languages": dict(Counter(r.meta.language or "-" for r in rows).most_common()),
        "stages": dict(Counter(r.meta.tags[0] for r in rows if r.meta.tags).most_common()),
    }
