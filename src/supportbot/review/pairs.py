"""The blind pairs of a finished results dir: one question, its reference and KB articles, two answers as A/B.

Which model is A is decided per item by a hash of the eval id and the item id, so it looks random to the
reviewer, is the same after a reload, and differs between items. The judge's winner is kept beside each pair
(never shown on the page) for the human-vs-judge agreement.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from supportbot.core.errors import DataError
from supportbot.core.jsonl import read_jsonl

MODELS = ("tuned", "base")


@dataclass
class Pair:
    """One item to review."""

    id: str
    question: str
    reference: str | None
    kb: list[dict[str, str]]
    a: str  # model label shown as A
    b: str
    answers: dict[str, str]  # model label -> answer
    judge_winner: str | None = None
    slices: dict[str, str] = field(default_factory=dict)

    def public(self) -> dict[str, Any]:
        """What the page may see: the answers as A and B, no model names, no judge verdict."""
        return {
            "id": self.id,
            "question": self.question,
            "reference": self.reference,
            "kb": self.kb,
            "answer_a": self.answers[self.a],
            "answer_b": self.answers[self.b],
        }


def a_is_tuned(eval_id: str, item_id: str) -> bool:
    """The blind order of one item: A is the tuned model's answer when this is True."""
    return hashlib.sha256(f"{eval_id}|{item_id}".encode()).digest()[0] % 2 == 0


def load_pairs(results_dir: Path, kb_dir: str | None = None) -> tuple[str, list[Pair]]:
    """(eval id, pairs) of a results dir with answers of both models; errors name the missing file."""
    from supportbot.core.suites import load_kb, load_suite
    from supportbot.eval.runner import read_answers

    results_dir = Path(results_dir)
    for name in ("answers.jsonl", "metrics.json"):
        if not (results_dir / name).is_file():
            raise DataError(
                f"{results_dir}: no {name} (review needs a finished `supportbot eval` results dir)"
            )
    metrics = json.loads((results_dir / "metrics.json").read_text(encoding="utf-8"))
    if not all(m in metrics.get("models", {}) for m in MODELS):
        raise DataError(
            f"{results_dir}: the eval has no base model to compare with (it ran with --base none)"
        )
    eval_id = metrics.get("eval_id") or results_dir.name
    answers = read_answers(results_dir / "answers.jsonl")
    judged = {}
    if (results_dir / "judgements.jsonl").is_file():
        judged = {r["id"]: r for r in read_jsonl(results_dir / "judgements.jsonl")}
    suite_path = (metrics.get("suite") or {}).get("path")
    questions = {}
    if suite_path and Path(suite_path).is_file():
        questions = {q.id: q for q in load_suite(suite_path).questions}
    kb = load_kb(kb_dir) if kb_dir and Path(kb_dir).is_dir() else {}
    ids = [i for i in dict.fromkeys(qid for _, qid in answers) if all((m, i) in answers for m in MODELS)]
    pairs = []
    for qid in ids:
        q = questions.get(qid)
        j = judged.get(qid, {})
        tuned_first = a_is_tuned(eval_id, qid)
        articles = [
            {"id": k, "title": kb[k].title, "body": kb[k].body} for k in (q.kb_ids if q else ()) if k in kb
        ]
        pairs.append(
            Pair(
                id=qid,
                question=answers[("tuned", qid)].get("question") or (q.question if q else ""),
                reference=j.get("reference") or (q.reference_answer if q else None),
                kb=articles,
                a="tuned" if tuned_first else "base",
                b="base" if tuned_first else "tuned",
                answers={m: answers[(m, qid)].get("answer") or "" for m in MODELS},
                judge_winner=j.get("winner"),
                slices=q.slices() if q else {},
            )
        )
    if not pairs:
        raise DataError(f"{results_dir}/answers.jsonl: no question has answers from both models")
    return eval_id, pairs
