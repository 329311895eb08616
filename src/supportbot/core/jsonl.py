"""JSON Lines files every stage reads: one object per line, a bad line named by file and line number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from supportbot.core.errors import DataError


def read_jsonl(path: Path) -> list[Any]:
    """Every non-blank line of `path` parsed as JSON; a line that does not parse is a DataError naming it."""
    rows = []
    for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise DataError(f"{path}:{n}: not valid JSON ({exc.msg})") from exc
    return rows
