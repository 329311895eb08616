"""Leakage guard: find training records that near-duplicate an eval-suite question or reference answer."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from supportbot.core.errors import DataError
from supportbot.core.suites import read_suite
from supportbot.data.dedup import ShingleIndex, shingles
from supportbot.data.schema import Record


class Leak(NamedTuple):
    """A record too similar to an eval item, and on which text (question, question+answer, or answer alone)."""

    record_id: str
    question_id: str
    similarity: float
    field: str


def load_suite_questions(path: str | Path) -> list[dict[str, Any]]:
    """The `questions` of an eval suite JSON file (each with `id`, `question`, optional `reference_answer`)."""
    raw = read_suite(path, "eval suite")
    for i, q in enumerate(raw.items):
        if not isinstance(q.get("question"), str) or "id" not in q:
            raise DataError(f"eval suite {raw.path}: questions[{i}] needs an 'id' and a 'question' text")
    return raw.items


def find_leaks(
    records: Sequence[Record],
    suite_questions: Sequence[dict[str, Any]],
    threshold: float,
    shingle_size: int = 3,
    num_perm: int = 128,
    seed: int = 1,
    answer_threshold: float | None = None,
) -> list[Leak]:
    """Records whose question, or question+answer, is >= `threshold` Jaccard-similar to an eval item, or whose
    answer alone is >= `answer_threshold` similar to a reference answer (a training target that is the
    reference teaches the model the eval's answer, whatever the question)."""
    by_question = ShingleIndex(threshold, num_perm, seed)
    by_pair = ShingleIndex(threshold, num_perm, seed)
    by_answer = ShingleIndex(answer_threshold, num_perm, seed) if answer_threshold else None
    for q in suite_questions:
        qid = str(q["id"])
        by_question.add(qid, shingles(q["question"], shingle_size))
        by_pair.add(qid, shingles(f"{q['question']} {q.get('reference_answer') or ''}", shingle_size))
        if by_answer is not None and q.get("reference_answer"):
            by_answer.add(qid, shingles(q["reference_answer"], shingle_size))
    leaks = []
    for record in records:
        question = record.inputs.question
        hits = [(k, s, "question") for k, s in by_question.matches(shingles(question, shingle_size))]
        pair = shingles(f"{question} {record.outputs.answer}", shingle_size)
        hits += [(k, s, "question+answer") for k, s in by_pair.matches(pair)]
        if by_answer is not None:
            answer = shingles(record.outputs.answer, shingle_size)
            hits += [(k, s, "answer") for k, s in by_answer.matches(answer)]
        if hits:
            key, sim, field = min(hits, key=lambda h: (-h[1], h[0], h[2]))
            leaks.append(Leak(record.id, key, sim, field))
    return leaks
