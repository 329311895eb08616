"""Grounded-answer metrics as pure functions: JSON correctness, citation precision, citation hallucination."""

from __future__ import annotations

from typing import Any

from supportbot.grounded.contract import schema_errors
from supportbot.grounded.enforce import extract_json


def json_correct(text: str) -> bool:
    """True when the output holds a JSON object that is schema-valid (so every mandatory field is present)."""
    obj = extract_json(text)
    return obj is not None and not schema_errors(obj)


def _article(chunk_id: str) -> str:
    return chunk_id.split("#", 1)[0]


def citation_precision(citations: list[str], gold_kb_ids: set[str]) -> float:
    """Share of cited chunks that belong to a gold article (0.0 when nothing is cited)."""
    if not citations:
        return 0.0
    return sum(_article(c) in gold_kb_ids for c in citations) / len(citations)


def hallucinated_citations(citations: list[str], source_chunk_ids: set[str]) -> list[str]:
    """Citations that were not among the chunks given to the model."""
    return [c for c in citations if c not in source_chunk_ids]


def grounded_report(rows: list[dict[str, Any]]) -> dict[str, float]:
    """Aggregate over rows of {"output": str, "gold_kb_ids": [...], "source_chunk_ids": [...]}."""
    if not rows:
        raise ValueError("grounded_report: no rows")
    n = len(rows)
    correct, precisions, hallucinated, cited = 0, [], 0, 0
    for row in rows:
        if not json_correct(row["output"]):
            continue
        correct += 1
        cites = extract_json(row["output"])["citations"]  # type: ignore[index]
        precisions.append(citation_precision(cites, set(row["gold_kb_ids"])))
        cited += len(cites)
        hallucinated += len(hallucinated_citations(cites, set(row["source_chunk_ids"])))
    return {
        "json_correct": correct / n,
        "citation_precision": sum(precisions) / len(precisions) if precisions else 0.0,
        "citation_hallucination_rate": hallucinated / cited if cited else 0.0,
    }
