"""Reader for Alpaca-style records: `instruction` (+ optional `input` as context) → `output`."""

from __future__ import annotations

from typing import Any

from supportbot.data.readers.base import ReadContext, RecordError, split_meta

_KNOWN = {"id", "instruction", "input", "output", "meta"}


def map_alpaca(obj: dict[str, Any], ctx: ReadContext, pos: str) -> list[dict[str, Any]]:
    """Map one Alpaca item; unknown keys (tags, category, ...) go to `meta`."""
    missing = [k for k in ("instruction", "output") if k not in obj]
    if missing:
        raise RecordError(f"missing field {', '.join(repr(k) for k in missing)}")
    context = obj.get("input")
    meta = {**(obj.get("meta") or {}), **split_meta(obj, _KNOWN)}
    return [
        {
            "id": obj.get("id", f"{ctx.stem}-{pos}"),
            "inputs": {"question": obj["instruction"], "context": context or None},
            "outputs": {"answer": obj["output"]},
            "meta": meta,
        }
    ]
