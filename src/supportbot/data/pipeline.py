"""The `prepare()` recipe: read → validate → clean → deduplicate → leakage guard → group → split → write."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.progress import track

from supportbot.core.artifacts import sha256_file
from supportbot.core.errors import DataError
from supportbot.data.config import PrepareConfig
from supportbot.data.dedup import find_duplicates, similarity_groups
from supportbot.data.leakage import find_leaks, load_suite_questions
from supportbot.data.manifest import dataset_hash, split_stats, stats_text
from supportbot.data.normalize import clean_record
from supportbot.data.readers import ReadContext, UnreadableFile, discover, read_file
from supportbot.data.schema import Record, validation_reason, write_records
from supportbot.data.split import SPLITS, split_records
from supportbot.data.summary import Summary

MANIFEST = "manifest.json"
QUARANTINE = "quarantine.jsonl"


@dataclass
class Item:
    """A validated, cleaned record and where it came from."""

    record: Record
    file: str
    line: int
    raw: str


@dataclass
class PrepareResult:
    """What a run produced: the splits, the manifest and the summary."""

    out: Path
    splits: dict[str, list[Record]]
    manifest: dict[str, Any]
    summary: Summary


def prepare(cfg: PrepareConfig, console: Console | None = None, progress: bool = False) -> PrepareResult:
    """Run the whole data pipeline described by `cfg` and write its outputs to `cfg.out`."""
    summary = Summary(strict=cfg.strict)
    items = read_and_clean(cfg, summary, progress)
    items = drop_duplicates(items, cfg, summary)
    items = drop_leaks(items, cfg, summary)
    items = drop_repeated_ids(items, summary)
    for item in items:
        summary.file(item.file).kept += 1
    records = assign_groups(items, cfg)
    splits = split_records(records, cfg.split)
    manifest = write_outputs(splits, cfg, summary, progress)
    if console is not None:
        summary.print(console, cfg.input if Path(cfg.input).is_dir() else "")
    return PrepareResult(Path(cfg.out), splits, manifest, summary)


def read_and_clean(cfg: PrepareConfig, summary: Summary, progress: bool) -> list[Item]:
    """Read every input file; quarantine what fails the schema; normalise and scrub the rest."""
    files = discover(cfg)
    items: list[Item] = []
    root = Path(cfg.input)
    for file in track(files, description="reading", disable=not progress, transient=True):
        if file.skip_reason:
            summary.skipped.append({"file": file.display, "reason": file.skip_reason})
            continue
        rel = file.path.relative_to(root).as_posix() if root.is_dir() else file.path.name
        ctx = ReadContext(cfg, file.display, file.path.stem, warn=summary.warnings.append)
        stats = summary.file(file.display)
        try:
            for cand in read_file(file, ctx):
                stats.read += 1
                if cand.error is not None:
                    summary.reject(cand.file, cand.line, cand.error, cand.raw)
                    continue
                try:
                    record = Record.model_validate(cand.data)
                    record, pii = clean_record(record, cfg, file.path.stem, f"{rel}:{cand.line}")
                except ValidationError as exc:
                    summary.reject(cand.file, cand.line, validation_reason(exc), cand.raw)
                    continue
                summary.add_pii(file.display, pii)
                items.append(Item(record, cand.file, cand.line, cand.raw))
        except UnreadableFile as exc:
            if cfg.strict:
                raise DataError(f"{file.display}: {exc} (--strict)") from exc
            summary.reject_file(file.display, str(exc))
            stats.format = file.format
            continue
        if file.skip_reason:  # found empty or unrecognised while reading
            summary.files.pop(file.display, None)
            summary.skipped.append({"file": file.display, "reason": file.skip_reason})
        else:
            stats.format = file.format
        for what, n in ctx.notes.items():
            summary.note(what, n)
    if not items:
        raise_no_records(cfg, summary)
    return items


def raise_no_records(cfg: PrepareConfig, summary: Summary) -> None:
    """Fail with a message that says why nothing usable was found."""
    reasons = [f"{s['file']}: {s['reason']}" for s in summary.skipped[:5]]
    reasons += [f"{name}: not read, {reason}" for name, reason in summary.bad_files.items()]
    why = "; ".join(reasons) or "no files"
    bad = f"; {len(summary.quarantine)} record(s) quarantined" if summary.quarantine else ""
    raise DataError(f"--input {cfg.input}: no usable records ({why}{bad})")


def qa_text(record: Record) -> str:
    """The text compared for duplicates: question and answer."""
    return f"{record.inputs.question}\n{record.outputs.answer}"


def drop_duplicates(items: list[Item], cfg: PrepareConfig, summary: Summary) -> list[Item]:
    """Remove exact and near duplicates (first occurrence wins), counted per source file."""
    dups = find_duplicates([qa_text(i.record) for i in items], cfg.dedup)
    removed = set()
    for d in dups:
        summary.file(items[d.index].file).duplicates += 1
        removed.add(d.index)
    summary.note("exact duplicates removed", sum(d.kind == "exact" for d in dups))
    summary.note("near duplicates removed", sum(d.kind == "near" for d in dups))
    return [item for i, item in enumerate(items) if i not in removed]


def drop_leaks(items: list[Item], cfg: PrepareConfig, summary: Summary) -> list[Item]:
    """Quarantine records that near-duplicate an eval-suite question or reference answer (leakage guard)."""
    if not cfg.eval_suite:
        summary.warnings.append("no eval suite given: leakage guard skipped")
        return items
    questions = load_suite_questions(cfg.eval_suite)
    d = cfg.dedup
    leaks = find_leaks(
        [i.record for i in items],
        questions,
        cfg.leak_threshold,
        d.shingle_size,
        d.num_perm,
        d.seed,
        answer_threshold=cfg.answer_leak_threshold,
    )
    leaked = {leak.record_id: leak for leak in leaks}
    kept = []
    for item in items:
        leak = leaked.get(item.record.id)
        if leak is None:
            kept.append(item)
            continue
        what = "reference answer" if leak.field == "answer" else "question"
        reason = f"near-duplicate of eval {what} {leak.question_id} ({leak.field} similarity {leak.similarity:.2f})"
        summary.reject(item.file, item.line, reason, item.raw, invalid=False)
    summary.note("eval-suite leaks quarantined", len(items) - len(kept))
    return kept


def drop_repeated_ids(items: list[Item], summary: Summary) -> list[Item]:
    """Quarantine a record whose id was already used by a different kept record."""
    first: dict[str, Item] = {}
    kept = []
    for item in items:
        prev = first.setdefault(item.record.id, item)
        if prev is item:
            kept.append(item)
        else:
            summary.reject(
                item.file,
                item.line,
                f"duplicate id '{item.record.id}' (first at {prev.file}:{prev.line})",
                item.raw,
            )
    return kept


def assign_groups(items: list[Item], cfg: PrepareConfig) -> list[Record]:
    """Set `meta.group`: similar records and turns of one conversation share a group."""
    records = [i.record for i in items]
    roots = similarity_groups([qa_text(r) for r in records], [r.meta.group for r in records], cfg.dedup)
    out = []
    for record, root in zip(records, roots, strict=True):
        name = records[root].meta.group or records[root].id
        out.append(record.model_copy(update={"meta": record.meta.model_copy(update={"group": name})}))
    return out


def token_lengths(records: list[Record], model: str | None, progress: bool) -> list[int] | None:
    """Token counts of each record's stats text with the model's tokenizer (None when no model)."""
    if not model:
        return None
    from supportbot.core.models import load_tokenizer

    tokenizer = load_tokenizer(model)
    texts = [stats_text(r) for r in records]
    return [
        len(tokenizer(t, add_special_tokens=False)["input_ids"])
        for t in track(texts, "tokenizing", disable=not progress, transient=True)
    ]


def write_outputs(
    splits: dict[str, list[Record]], cfg: PrepareConfig, summary: Summary, progress: bool
) -> dict[str, Any]:
    """Write the split JSONL files, the quarantine and the manifest; return the manifest."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, dict[str, Any]] = {}
    stats: dict[str, Any] = {}
    lengths = token_lengths([r for name in SPLITS for r in splits[name]], cfg.stats_model, progress)
    start = 0
    for name in SPLITS:
        path = out / f"{name}.jsonl"
        write_records(path, splits[name])
        files[path.name] = {"records": len(splits[name]), "sha256": sha256_file(path)}
        end = start + len(splits[name])
        stats[name] = split_stats(splits[name], lengths[start:end] if lengths is not None else None)
        start = end
    with (out / QUARANTINE).open("w", encoding="utf-8", newline="\n") as fh:
        for entry in summary.quarantine:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    manifest = {
        "dataset_hash": dataset_hash({k: v["sha256"] for k, v in files.items()}),
        "files": files,
        "splits": stats,
        "token_stats": {
            "tokenizer": cfg.stats_model,
            "text": "history + context + question + answer, newline-joined",
        },
        "quarantine": {"file": QUARANTINE, "records": len(summary.quarantine)},
        "summary": summary.to_dict(),
        "config": cfg.model_dump(mode="json"),
    }
    (out / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return manifest
