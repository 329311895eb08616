"""Input readers: find the files under an input path, detect each file's format, and yield candidates."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportbot.core.errors import DataError
from supportbot.data.config import PrepareConfig
from supportbot.data.readers.alpaca import map_alpaca
from supportbot.data.readers.base import (
    Candidate,
    ReadContext,
    RecordError,
    UnreadableFile,
    decode,
    iter_json_array,
    iter_jsonl,
)
from supportbot.data.readers.canonical import map_canonical
from supportbot.data.readers.chat import map_openai, map_sharegpt
from supportbot.data.readers.tickets import read_csv

__all__ = [
    "Candidate",
    "ReadContext",
    "InputFile",
    "UnreadableFile",
    "discover",
    "detect_format",
    "read_file",
]

Mapper = Callable[[dict[str, Any], ReadContext, str], list[dict[str, Any]]]  # (object, ctx, position)
MAPPERS: dict[str, Mapper] = {
    "canonical": map_canonical,
    "openai": map_openai,
    "sharegpt": map_sharegpt,
    "alpaca": map_alpaca,
}
JSON_EXTS = {".jsonl", ".ndjson", ".json"}
TABLE_EXTS = {".csv", ".tsv"}
# Keys that identify a JSON record format, checked in this order.
SIGNATURES: tuple[tuple[str, str], ...] = (
    ("inputs", "canonical"),
    ("messages", "openai"),
    ("conversations", "sharegpt"),
    ("instruction", "alpaca"),
)


@dataclass
class InputFile:
    """A file found under the input path: read it with `fmt`, or list it as skipped with `skip_reason`."""

    path: Path
    display: str
    skip_reason: str | None = None
    format: str | None = None


def discover(cfg: PrepareConfig) -> list[InputFile]:
    """All files under the input (sorted, recursive), each marked readable or skipped with a reason."""
    root = Path(cfg.input)
    if not root.exists():
        raise DataError(f"--input {cfg.input}: no such file or folder")
    if root.is_file():
        return [_classify(root, root.name, cfg)]
    out = Path(cfg.out).resolve()
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root)
        display = str(root / rel)
        if path.resolve().is_relative_to(out):
            continue  # our own output folder (e.g. --input data/ --out data/processed/) is never input
        if any(part in cfg.exclude_dirs for part in rel.parts[:-1]):
            found.append(InputFile(path, display, "excluded folder (prepare.exclude_dirs)"))
        elif any(part.startswith(".") for part in rel.parts):
            found.append(InputFile(path, display, "hidden file"))
        else:
            found.append(_classify(path, display, cfg))
    return found


def _classify(path: Path, display: str, cfg: PrepareConfig) -> InputFile:
    ext = path.suffix.lower()
    if ext in TABLE_EXTS or ext in JSON_EXTS:
        return InputFile(path, display)
    return InputFile(path, display, f"unknown file type '{ext or path.name}'")


def _first_object(text: str, ext: str) -> Any:
    if ext == ".json":
        for item in iter_json_array(text, _PEEK):
            return item.obj
        return None
    for item in iter_jsonl(text, _PEEK):
        if isinstance(item.obj, dict):
            return item.obj
    return None


_PEEK = ReadContext(PrepareConfig(eval_suite=None, max_record_chars=2**62), "", "")


def detect_format(path: Path, text: str) -> str | None:
    """The record format of a file from its extension and its first record's keys (None: unknown)."""
    ext = path.suffix.lower()
    if ext in TABLE_EXTS:
        return "csv"
    obj = _first_object(text, ext)
    if isinstance(obj, dict):
        for key, fmt in SIGNATURES:
            if key in obj:
                return fmt
    return None


def _keys_hint(text: str, ext: str) -> str:
    obj = _first_object(text, ext)
    if isinstance(obj, dict):
        return f"first record's keys: {', '.join(list(obj)[:8])}"
    return "no JSON object found"


def read_file(file: InputFile, ctx: ReadContext) -> Iterator[Candidate]:
    """Yield the candidates of one file; sets `file.skip_reason` for an unrecognised or empty file.

    Raises `UnreadableFile` (before any candidate) when the file cannot be read as a whole.
    """
    try:
        data = file.path.read_bytes()
    except OSError as exc:
        raise UnreadableFile(f"cannot read: {exc.strerror or exc}") from exc
    text = decode(data, file.display, ctx.warn)
    if not text.strip():
        file.skip_reason = "empty file"
        ctx.warn(f"{file.display}: empty file, nothing read")
        return
    ext = file.path.suffix.lower()
    fmt = ctx.cfg.format if ctx.cfg.format != "auto" else detect_format(file.path, text)
    file.format = fmt
    if fmt is None:
        file.skip_reason = f"unrecognised record format ({_keys_hint(text, ext)})"
        return
    if fmt == "csv":
        if ext not in TABLE_EXTS:
            raise UnreadableFile(f"--format csv needs a .csv or .tsv file, not {ext or 'no extension'}")
        yield from read_csv(text, ctx, "\t" if ext == ".tsv" else ",")
        return
    if ext in TABLE_EXTS:
        raise UnreadableFile(f"--format {fmt} cannot read a {ext} file")
    mapper = MAPPERS[fmt]
    items = iter_json_array(text, ctx) if ext == ".json" else iter_jsonl(text, ctx)
    for item in items:
        error = item.error
        if error is None and not isinstance(item.obj, dict):
            error = f"expected a JSON object, got {type(item.obj).__name__}"
        if error is not None:
            yield Candidate(file.display, item.line, item.raw[:1000], error=error)
            continue
        try:
            for data in mapper(item.obj, ctx, item.pos):
                yield Candidate(file.display, item.line, item.raw, data=data)
        except RecordError as exc:
            yield Candidate(file.display, item.line, item.raw, error=str(exc))
