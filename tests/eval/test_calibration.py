"""The facts judge on answers of known quality (eval/calibration/support_100.jsonl), and the held-out suite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from supportbot.core.suites import load_kb, load_suite
from supportbot.data.dedup import jaccard, shingles
from supportbot.eval.calibration import (
    PAIRS,
    agreement,
    build_calibration_set,
    judge_scorer,
    read_calibration_set,
)
from supportbot.eval.config import EvalConfig

REPO = Path(__file__).resolve().parents[2]
SUITE = REPO / "eval/suites/support_100.json"
KB = REPO / "data/sample/kb"
CALIBRATION = REPO / "eval/calibration/support_100.jsonl"
UNSEEN_KB = {"KB-022", "KB-027", "KB-028", "KB-035", "KB-036", "KB-044", "KB-045"}


@pytest.fixture(scope="module")
def training_answers(tmp_path_factory) -> list[str]:
    """Every answer target `supportbot prepare` makes of the shipped data, with the leakage guard off (so a
    leak would be in the splits, not quarantined)."""
    from supportbot.config import load_config
    from supportbot.data.pipeline import prepare

    out = tmp_path_factory.mktemp("prepared")
    cfg = load_config(
        REPO / "configs/prepare.yaml",
        [
            f"prepare.input={REPO / 'data/sample'}",
            f"prepare.out={out}",
            "prepare.eval_suite=null",
            "prepare.stats_model=null",
        ],
    ).prepare
    prepare(cfg)
    answers = []
    for split in ("train", "val", "test"):
        for line in (out / f"{split}.jsonl").read_text(encoding="utf-8").splitlines():
            rec = json.loads(line)
            answers.append(rec["outputs"]["answer"])
            answers += [
                t["content"] for t in rec["inputs"].get("history") or [] if t.get("role") == "assistant"
            ]
    return answers


def test_no_reference_is_within_answer_jaccard_half_of_any_training_answer(training_answers):
    suite = load_suite(SUITE)
    train = [shingles(a) for a in training_answers]
    assert len(train) > 500
    worst = max((max(jaccard(shingles(q.reference_answer), t) for t in train), q.id) for q in suite.questions)
    assert worst[0] < 0.5, worst


def test_unseen_items_cite_only_articles_without_training_records(training_answers):
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
    leaked = {s for a in training_answers for s in extract_specifics(a) & menus}
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


@pytest.mark.parametrize(
    ("answer", "fact", "carried"),
    [
        ("Wait for the 30-minute lock to end.", "30 minutes", True),  # compound and plural are one fact
        ("You get up to 3 resends.", "3 resend", True),
        ("Wait 3 minutes.", "30 minutes", False),
        ("Status E-102 means retry.", "E-102", True),
    ],
)
def test_key_fact_matching_ignores_wording_not_facts(answer, fact, carried):
    from supportbot.eval.keyfacts import carried_facts

    assert (carried_facts(answer, [fact]) == [fact]) is carried
