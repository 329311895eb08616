"""human.jsonl: a reviewer's verdicts on the blind pairs of one results dir, append-only.

Each line is one verdict: the item id, the choice as shown (A, B, tie, both_wrong), which model A and B were,
the winner that follows (tuned, base, tie, both_wrong), an optional note and corrected answer, the reviewer and
the time. Relabelling appends a new line; the newest line of a reviewer for an item is the one that counts, so
nothing a reviewer wrote is ever overwritten.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from supportbot.core.errors import DataError

HUMAN_LABELS = "human.jsonl"
CHOICES = ("A", "B", "tie", "both_wrong")


@dataclass
class Label:
    """One reviewer's verdict on one blind pair."""

    id: str
    choice: str
    a: str
    b: str
    reviewer: str
    note: str | None = None
    correction: str | None = None
    time: str = ""

    @property
    def winner(self) -> str:
        """The model the choice names (tuned | base), or tie | both_wrong."""
        return {"A": self.a, "B": self.b}.get(self.choice, self.choice)

    def to_json(self) -> dict[str, Any]:
        """The line written to human.jsonl (the winner spelled out, so the file reads without the pairs)."""
        return {**asdict(self), "winner": self.winner}


def now() -> str:
    """The label time, ISO 8601 in UTC with milliseconds."""
    t = time.time()
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + f".{int(t % 1 * 1000):03d}+00:00"


def append_label(results_dir: Path, label: Label) -> dict[str, Any]:
    """Append one verdict to `results_dir/human.jsonl` (created on first use); returns the line written."""
    if label.choice not in CHOICES:
        raise DataError(f"choice {label.choice!r}: use one of {', '.join(CHOICES)}")
    row = label.to_json()
    with (results_dir / HUMAN_LABELS).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return row


def read_labels(path: Path) -> list[Label]:
    """Every verdict in a human.jsonl, in file order; a bad line is an error naming it."""
    if not path.is_file():
        return []
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            row.pop("winner", None)
            label = Label(**row)
        except (json.JSONDecodeError, TypeError) as exc:
            raise DataError(f"{path}:{n}: not a review label ({exc})") from exc
        if label.choice not in CHOICES:
            raise DataError(
                f"{path}:{n}: field 'choice' is {label.choice!r}, not one of {', '.join(CHOICES)}"
            )
        out.append(label)
    return out


def latest_labels(labels: list[Label], reviewer: str | None = None) -> dict[tuple[str, str], Label]:
    """The newest verdict per (reviewer, item), optionally of one reviewer only."""
    out: dict[tuple[str, str], Label] = {}
    for label in labels:
        if reviewer is None or label.reviewer == reviewer:
            out[(label.reviewer, label.id)] = label
    return out
