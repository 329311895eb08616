"""Small builders and readers shared by the data-pipeline tests."""

import json
from pathlib import Path

from supportbot.data.pipeline import PrepareResult


def qa_line(i: int, question: str | None = None, answer: str | None = None, **meta) -> str:
    """One canonical JSONL line with distinct wording per `i`."""
    rec = {
        "id": f"qa-{i}",
        "inputs": {"question": question or f"question number {i} about topic {i * 7} and item {i * 13}"},
        "outputs": {"answer": answer or f"answer {i}: do step {i * 3} then step {i * 5} and wait {i} days"},
        "meta": {"source": "faq", "tags": ["payments"], **meta},
    }
    return json.dumps(rec, ensure_ascii=False)


def read_jsonl(path: Path) -> list[dict]:
    """All JSON objects of a JSONL file."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def all_records(result: PrepareResult) -> list:
    """Every record of every split."""
    return [r for split in result.splits.values() for r in split]
