"""Manifest: split statistics, token lengths, content hashes and the dataset hash."""

from __future__ import annotations

import hashlib
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from supportbot.data.schema import Record


def dataset_hash(file_hashes: dict[str, str]) -> str:
    """One hash over the split files' hashes (name-ordered): equal iff every split file is identical."""
    text = "".join(f"{name}\t{digest}\n" for name, digest in sorted(file_hashes.items()))
    return hashlib.sha256(text.encode()).hexdigest()


def stats_text(record: Record) -> str:
    """The text measured for token stats: history, context, question and answer joined by newlines."""
    parts = [turn.content for turn in record.inputs.history]
    parts += [record.inputs.context or "", record.inputs.question, record.outputs.answer]
    return "\n".join(p for p in parts if p)


def percentiles(values: Sequence[int]) -> dict[str, int]:
    """Nearest-rank p50/p95 and max of a list of lengths (zeros when empty)."""
    if not values:
        return {"p50": 0, "p95": 0, "max": 0}
    ordered = sorted(values)

    def rank(p: float) -> int:
        return ordered[max(0, math.ceil(p * len(ordered)) - 1)]

    return {"p50": rank(0.5), "p95": rank(0.95), "max": ordered[-1]}


def distribution(values: Iterable[str]) -> dict[str, int]:
    """Counts of each value, most common first (ties by name)."""
    return dict(sorted(Counter(values).items(), key=lambda kv: (-kv[1], kv[0])))


def split_stats(records: Sequence[Record], token_lengths: Sequence[int] | None) -> dict[str, Any]:
    """Counts, groups, tag/language/source distributions and token length stats of one split."""
    return {
        "records": len(records),
        "groups": len({r.meta.group for r in records}),
        "tags": distribution(t for r in records for t in r.meta.tags),
        "languages": distribution(r.meta.language or "-" for r in records),
        "sources": distribution(r.meta.source or "-" for r in records),
        "tokens": percentiles(token_lengths) if token_lengths is not None else None,
    }
