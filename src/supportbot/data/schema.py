"""The canonical supervised record, and reading/writing processed JSONL splits."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from supportbot.core.errors import DataError

Role = Literal["system", "user", "assistant"]


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Message(_Strict):
    """One earlier turn of a dialog."""

    role: Role
    content: str


class Inputs(_Strict):
    """What the assistant sees: the question, optional context and the earlier turns.

    `system` is this example's own system prompt (grounded examples carry the grounded one); when absent,
    training uses `generation.system_prompt`.
    """

    question: str
    context: str | None = None
    history: list[Message] = Field(default_factory=list)
    system: str | None = None

    _q = field_validator("question")(_not_blank)


class Outputs(_Strict):
    """The target the assistant learns to produce."""

    answer: str

    _a = field_validator("answer")(_not_blank)


class Meta(BaseModel):
    """Provenance and labels; unknown keys are kept, never dropped."""

    model_config = ConfigDict(extra="allow")

    source: str | None = None
    timestamp: str | None = None
    tags: list[str] = Field(default_factory=list)
    language: str | None = None
    group: str | None = None
    origin: str | None = None

    @field_validator("timestamp", mode="before")
    @classmethod
    def _timestamp_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int | float) else value


class Record(_Strict):
    """One supervised example: `inputs` → `outputs.answer`, with `meta`."""

    id: str
    inputs: Inputs
    outputs: Outputs
    meta: Meta = Field(default_factory=Meta)

    _i = field_validator("id")(_not_blank)

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


def validation_reason(exc: ValidationError) -> str:
    """One line naming each failing field, e.g. `outputs.answer: must not be empty`."""
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "record"
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "missing":
            msg = "missing field"
        elif err["type"] == "extra_forbidden":
            msg = "unknown field"
        parts.append(f"{field}: {msg}")
    return "; ".join(parts)


def record_to_json(record: Record) -> str:
    """Serialise a record as one stable JSON line (fixed key order, UTF-8 kept; no `system` key when unset)."""
    data = record.model_dump(mode="json")
    if data["inputs"]["system"] is None:
        del data["inputs"]["system"]
    return json.dumps(data, ensure_ascii=False)


def write_records(path: Path, records: Iterable[Record]) -> int:
    """Write records as JSONL; return how many were written."""
    n = 0
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(record_to_json(record) + "\n")
            n += 1
    return n


def iter_records(path: str | Path) -> Iterator[Record]:
    """Read a processed JSONL split; errors name the file and line."""
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found (run `supportbot prepare` first)")
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                yield Record.model_validate(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{lineno}: invalid JSON ({exc.msg})") from exc
            except ValidationError as exc:
                raise DataError(f"{path}:{lineno}: {validation_reason(exc)}") from exc


def read_records(path: str | Path) -> list[Record]:
    """Read a whole processed JSONL split into memory."""
    return list(iter_records(path))
