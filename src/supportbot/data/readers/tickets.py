"""Reader for CSV/TSV ticket exports, mapped onto records by the `prepare.csv` column mapping."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from supportbot.data.readers.base import Candidate, ReadContext, UnreadableFile

csv.field_size_limit(2**31 - 1)  # oversized fields are quarantined by max_record_chars, not a csv crash


def _check_columns(header: list[str], ctx: ReadContext) -> None:
    m = ctx.cfg.csv
    wanted = [("question", c) for c in m.question] + [("answer", m.answer)]
    wanted += [("context", c) for c in m.context] + [("tags", c) for c in m.tags]
    for key in ("id", "language", "timestamp"):
        if getattr(m, key):
            wanted.append((key, getattr(m, key)))
    for key, column in wanted:
        if column not in header:
            raise UnreadableFile(
                f"missing column '{column}' (mapped by prepare.csv.{key}); "
                f"columns found: {', '.join(header) or 'none'}"
            )


def read_csv(text: str, ctx: ReadContext, delimiter: str = ",") -> Iterator[Candidate]:
    """Yield one candidate per row; a header lacking a mapped column makes the file `UnreadableFile`."""
    m = ctx.cfg.csv
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h for h in (reader.fieldnames or [])]
    _check_columns(header, ctx)
    used = set(m.question) | set(m.context) | set(m.tags) | {m.answer}
    used |= {c for c in (m.id, m.language, m.timestamp) if c}
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Candidate(ctx.file, start, "", error=f"invalid CSV: {exc}")
            return
        raw = json.dumps(row, ensure_ascii=False)
        if None in row:
            yield Candidate(
                ctx.file, start, raw, error=f"row has {len(row[None])} more values than the header"
            )
            continue
        reason = ctx.too_large(raw)
        if reason:
            yield Candidate(ctx.file, start, raw[:1000], error=reason)
            continue

        def join(cols: list[str], row: dict[str, str | None] = row) -> str:
            return m.joiner.join(v.strip() for c in cols if (v := row.get(c)) and v.strip())

        meta: dict[str, object] = {k: v for k, v in row.items() if k not in used and v not in (None, "")}
        meta["tags"] = [v.strip() for c in m.tags if (v := row.get(c)) and v.strip()]
        if m.language and row.get(m.language):
            meta["language"] = row[m.language]
        if m.timestamp and row.get(m.timestamp):
            meta["timestamp"] = row[m.timestamp]
        data = {
            "id": (row.get(m.id) if m.id else None) or f"{ctx.stem}-L{start}",
            "inputs": {"question": join(m.question), "context": join(m.context) or None},
            "outputs": {"answer": (row.get(m.answer) or "").strip()},
            "meta": meta,
        }
        yield Candidate(ctx.file, start, raw, data=data)
