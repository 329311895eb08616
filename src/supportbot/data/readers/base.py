"""Shared reader parts: the candidate record, decoding with fallback, and JSON/JSONL item iteration."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

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


BOMS: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xfe\x00\x00", "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xef\xbb\xbf", "utf-8"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)


def sniff_encoding(data: bytes) -> tuple[str, int]:
    """The encoding of `data` and the length of its BOM: a BOM wins, else NUL bytes betray UTF-16/32."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            return encoding, len(bom)
    head = data[:4096]
    if len(head) >= 4 and head.count(0) >= len(head) // 4:
        # ASCII text in UTF-16 has a NUL in every other byte; which side says the byte order.
        if len(head) >= 8 and head[1:8:2].count(0) == 4 and head[0:8:2].count(0) == 0:
            return "utf-16-le", 0
        if len(head) >= 8 and head[0:8:2].count(0) == 4 and head[1:8:2].count(0) == 0:
            return "utf-16-be", 0
    return "utf-8", 0


def decode(data: bytes, file: str, warn: Callable[[str], None]) -> str:
    """Decode UTF-8 (BOM tolerated), UTF-16 or UTF-32 (BOM or NUL pattern); else latin-1 with a warning.

    Raises `UnreadableFile` when a UTF-16/32 file does not decode, so the file is quarantined whole.
    """
    encoding, skip = sniff_encoding(data)
    if encoding != "utf-8":
        try:
            return data[skip:].decode(encoding)
        except UnicodeDecodeError as exc:
            raise UnreadableFile(
                f"looks like {encoding.upper()} but does not decode (byte {exc.start + skip}): {exc.reason}"
            ) from exc
    try:
        return data[skip:].decode("utf-8")
    except UnicodeDecodeError as exc:
        warn(f"{file}: not valid UTF-8 (byte {exc.start + skip}); decoded as latin-1")
        return data[skip:].decode("latin-1")


class UnreadableFile(ValueError):
    """A whole file cannot be read (encoding, missing mapped column): one quarantine entry names it."""


class JsonItem(NamedTuple):
    """One JSON record as found in a file: its first line, its position (`L3`, or `L1.2` for the second
    record on line 1 of a compact array), its raw text, the parsed object and the error that stopped it."""

    line: int
    pos: str
    raw: str
    obj: Any
    error: str | None


def _line_at(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def iter_jsonl(text: str, ctx: ReadContext) -> Iterator[JsonItem]:
    """Each non-blank line of a JSONL text."""
    for lineno, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        reason = ctx.too_large(line)
        if reason:
            yield JsonItem(lineno, f"L{lineno}", line, None, reason)
            continue
        try:
            yield JsonItem(lineno, f"L{lineno}", line, json.loads(line), None)
        except json.JSONDecodeError as exc:
            yield JsonItem(lineno, f"L{lineno}", line, None, f"invalid JSON: {exc.msg} (column {exc.colno})")


def iter_json_array(text: str, ctx: ReadContext) -> Iterator[JsonItem]:
    """Each item of a JSON array (or a single top-level object), with distinct positions even when many
    items share a line (`json.dump` without indent writes the whole array on line 1)."""
    found = list(_scan_json_array(text, ctx))
    per_line: dict[int, int] = {}
    for line, *_ in found:
        per_line[line] = per_line.get(line, 0) + 1
    seen: dict[int, int] = {}
    for line, raw, obj, error in found:
        seen[line] = seen.get(line, 0) + 1
        pos = f"L{line}" if per_line[line] == 1 else f"L{line}.{seen[line]}"
        yield JsonItem(line, pos, raw, obj, error)


def _scan_json_array(text: str, ctx: ReadContext) -> Iterator[tuple[int, str, Any, str | None]]:
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
