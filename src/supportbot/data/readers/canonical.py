"""Reader for the canonical schema JSONL: `{"id", "inputs", "outputs", "meta"}`."""

from __future__ import annotations

from typing import Any

from supportbot.data.readers.base import ReadContext


def map_canonical(obj: dict[str, Any], ctx: ReadContext, pos: str) -> list[dict[str, Any]]:
    """Pass a canonical record through, filling a default id from the file and line."""
    data = dict(obj)
    data.setdefault("id", f"{ctx.stem}-{pos}")
    if data.get("meta") is None:
        data["meta"] = {}
    return [data]
