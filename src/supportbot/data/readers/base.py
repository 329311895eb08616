"""Shared reader parts: the candidate record, decoding with fallback, and JSON/JSONL item iteration."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from supportbot.data.config import PrepareConfig


class RecordError(ValueError):
    """One raw record cannot be mapped onto the canonical schema (it is quarantined, not fatal)."""


@dataclass
class Candidate:
    """A record as read from a file: canonical-shaped `data`, or the `error` that stopped it."""

    file: str
    line: int
    raw: str
    data: dict[str, Any] | None = None
    error: str | None = None


@dataclass
class ReadContext:
    """What a reader needs to know about the file it reads and the run."""

    cfg: PrepareConfig
    file: str  # path as shown to the user (relative to the input root)
    stem: str  # default source name and id prefix
    notes: dict[str, int] = field(
        default_factory=dict
    )  # counted, non-fatal events (e.g. dropped system turns)
    warn: Callable[[str], None] = print

    def count(self, what: str, n: int = 1) -> None:
        """Count a non-fatal event for the summary."""
        self.notes[what] = self.notes.get(what, 0) + n

    def too_large(self, raw: str) -> str | None:
        """The quarantine reason when a raw record exceeds `max_record_chars`, else None."""
        limit = self.cfg.max_record_chars
        if len(raw) > limit:
            return f"record too large ({len(raw):,} chars > max_record_chars={limit:,})"
        return None


def decode(data: bytes, file: str, warn: Callable[[str], None]) -> str:
    """Decode UTF-8 (BOM tolerated); fall back to latin-1 with a warning naming the file and byte offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        warn(f"{file}: not valid UTF-8 (byte {exc.start}); decoded as latin-1")
        return data.decode("latin-1")


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def iter_jsonl(text: str, ctx: ReadContext) -> Iterator[tuple[int, str, Any, str | None]]:
    """Yield (line, raw, object, error) for each non-blank line of a JSONL text."""
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        reason = ctx.too_large(line)
        if reason:
            yield lineno, line, None, reason
            continue
        try:
            yield lineno, line, json.loads(line), None
        except json.JSONDecodeError as exc:
            yield lineno, line, None, f"invalid JSON: {exc.msg} (column {exc.colno})"


def iter_json_array(text: str, ctx: ReadContext) -> Iterator[tuple[int, str, Any, str | None]]:
    """Yield (line, raw, object, error) for each item of a JSON array (or a single top-level object)."""
    decoder = json.JSONDecoder()
    n = len(text)

    def skip(i: int) -> int:
        while i < n and text[i] in " \t\r\n":
            i += 1
        return i

    i = skip(0)
    if i < n and text[i] == "{":
        try:
            obj, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            yield (
                exc.lineno,
                text[i : i + 200],
                None,
                f"invalid JSON: {exc.msg} (line {exc.lineno} column {exc.colno})",
            )
            return
        raw = text[i:end]
        yield _line_at(text, i), raw, obj, ctx.too_large(raw)
        return
    if i >= n or text[i] != "[":
        yield (
            _line_at(text, i),
            text[i : i + 200],
            None,
            "expected a JSON array of records or one JSON object",
        )
        return
    i = skip(i + 1)
    line, last = 1, 0
    while i < n and text[i] != "]":
        line += text.count("\n", last, i)
        last = i
        try:
            obj, end = decoder.raw_decode(text, i)
        except json.JSONDecodeError as exc:
            rest = (
                f"invalid JSON: {exc.msg} (line {exc.lineno} column {exc.colno}); rest of the file not read"
            )
            yield line, text[i : i + 200], None, rest
            return
        raw = text[i:end]
        yield line, raw, obj, ctx.too_large(raw)
        i = skip(end)
        if i < n and text[i] == ",":
            i = skip(i + 1)
        elif i < n and text[i] != "]":
            yield (
                _line_at(text, i),
                text[i : i + 200],
                None,
                "invalid JSON: expected ',' or ']' between items",
            )
            return


def split_meta(obj: dict[str, Any], known: set[str]) -> dict[str, Any]:
    """The keys of `obj` outside `known`, kept as extra metadata so nothing is silently dropped."""
    return {k: v for k, v in obj.items() if k not in known}
