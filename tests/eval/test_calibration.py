"""The facts judge on answers of known quality (eval/calibration/support_100.jsonl), and the held-out suite."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from supportbot.data.dedup import jaccard, shingles
from supportbot.eval.calibration import (
    PAIRS,
    agreement,
    build_calibration_set,
    judge_scorer,
    read_calibration_set,
)
from supportbot.eval.config import EvalConfig
from supportbot.eval.suite import load_kb, load_suite

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "eval/suites/support_100.json"
KB = REPO / "data/sample/kb"
CALIBRATION = REPO / "eval/calibration/support_100.jsonl"
UNSEEN_KB = {"KB-022", "KB-027", "KB-028", "KB-035", "KB-036", "KB-044", "KB-045"}


def _training_answers() -> list[str]:
    raw = REPO / "data/sample/raw"
    answers = []
    for line in (raw / "qa.jsonl").read_text(encoding="utf-8").splitlines():
        try:
            answers.append(json.loads(line)["outputs"]["answer"])
        except (json.JSONDecodeError, KeyError):
            continue
    for name, turn in (("chats_openai.jsonl", "messages"), ("chats_sharegpt.jsonl", "conversations")):
        for line in (raw / name).read_text(encoding="utf-8").splitlines():
            for m in json.loads(line)[turn]:
                if m.get("role") == "assistant" or m.get("from") == "gpt":
                    answers.append(m.get("content") or m.get("value"))
    answers += [r["output"] for r in json.loads((raw / "alpaca.json").read_text()) if "output" in r]
    with (raw / "tickets.csv").open(encoding="utf-8") as f:
        answers += [r["resolution"] for r in csv.DictReader(f)]
    return [a for a in answers if a]


def test_no_reference_is_within_answer_jaccard_half_of_any_training_answer():
    suite = load_suite(SUITE)
    train = [shingles(a) for a in _training_answers()]
    assert len(train) > 500
    worst = max((max(jaccard(shingles(q.reference_answer), t) for t in train), q.id) for q in suite.questions)
    assert worst[0] < 0.5, worst


def test_unseen_items_cite_only_articles_without_training_records():
    suite = load_suite(SUITE)
    unseen = [q for q in suite.questions if q.tags.get("slice") == "unseen"]
    assert len(unseen) >= 25 and all(set(q.kb_ids) <= UNSEEN_KB for q in unseen)
    # No training answer states what only those articles state (their menu paths, e.g. "Accounts > Statements").
    from supportbot.eval.hallucination import extract_specifics

    kb = load_kb(KB)
    only_unseen = set().union(*(extract_specifics(kb[k].body) for k in UNSEEN_KB)) - set().union(
        *(extract_specifics(a.body) for k, a in kb.items() if k not in UNSEEN_KB)
    )
    menus = {s for s in only_unseen if s.startswith("menu:")}
    assert menus
    leaked = {s for a in _training_answers() for s in extract_specifics(a) & menus}
    assert not leaked, leaked


def test_calibration_set_is_current_with_the_suite():
    suite, kb = load_suite(SUITE), load_kb(KB)
    assert read_calibration_set(CALIBRATION) == build_calibration_set(suite.questions, kb)


@pytest.fixture(scope="module")
def facts_agreement():
    suite, kb = load_suite(SUITE), load_kb(KB)
    return agreement(
        judge_scorer("facts", kb, EvalConfig()), suite.questions, read_calibration_set(CALIBRATION)
    )


@pytest.mark.parametrize("better,worse,target", [p for p in PAIRS if p[2] is not None])
def test_facts_judge_ranks_known_answers_as_a_person_would(facts_agreement, better, worse, target):
    row = next(r for r in facts_agreement if (r["better"], r["worse"]) == (better, worse))
    assert row["n"] >= 80
    assert row["agreement"] >= target, row["failures"]
