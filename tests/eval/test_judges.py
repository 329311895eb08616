"""The judges: the reference judge prefers the reference, is symmetric, and the llm judge cancels position bias."""

from __future__ import annotations

import pytest

from supportbot.core.suites import Question
from supportbot.eval.config import LLMJudgeConfig, ReferenceJudgeConfig
from supportbot.eval.judges import LLMJudge, ReferenceJudge, Verdict, combine_orders, parse_verdict

from .eval_data import QUESTIONS


def _q(i: int = 0) -> Question:
    raw = QUESTIONS[i]
    return Question(raw["id"], raw["question"], raw["reference_answer"], tuple(raw["kb_ids"]), raw["tags"])


@pytest.fixture(scope="module")
def ref_judge() -> ReferenceJudge:
    from supportbot.core.embedder import Embedder

    return ReferenceJudge(Embedder(batch_size=64, cache=True), ReferenceJudgeConfig())


@pytest.mark.slow
def test_reference_answer_beats_an_unrelated_one(ref_judge: ReferenceJudge) -> None:
    q = _q(0)
    unrelated = "Mangoes grow best in tropical climates with plenty of sunshine."
    j = ref_judge.compare(q, q.reference_answer, unrelated)
    assert j["winner"] == "tuned" and j["tuned_points"] == 1.0
    assert j["scores"]["tuned"]["score"] == pytest.approx(1.0, abs=1e-3)
    assert j["scores"]["base"]["score"] < 0.3


@pytest.mark.slow
def test_swapping_the_answers_flips_the_result(ref_judge: ReferenceJudge) -> None:
    q = _q(1)
    close = "Block the card from Cards > select card > Block card; a new physical card costs ₹199."
    vague = "Please contact customer care for help with your card."
    forward, backward = ref_judge.compare(q, close, vague), ref_judge.compare(q, vague, close)
    assert (forward["winner"], backward["winner"]) == ("tuned", "base")
    assert forward["tuned_points"] + backward["tuned_points"] == 1.0


@pytest.mark.slow
def test_equal_answers_tie(ref_judge: ReferenceJudge) -> None:
    q = _q(1)
    a = "Use Cards > Block card."
    assert ref_judge.compare(q, a, a)["winner"] == "tie"


def test_verdicts_parse_from_json_or_loose_text() -> None:
    assert parse_verdict('Sure! {"winner": "B", "a_hallucinates": true, "b_hallucinates": false}') == Verdict(
        "B", True, False
    )
    assert parse_verdict("winner: A, a_hallucinates: no").winner == "A"
    assert parse_verdict("I cannot decide.").winner is None


def test_both_orders_cancel_position_bias() -> None:
    always_a = Verdict("A", False, False)
    combined = combine_orders(always_a, always_a)  # says "A" whichever model is shown first
    assert combined["tuned_points"] == 0.5 and combined["winner"] == "tie"
    assert not combined["position_consistent"]
    consistent = combine_orders(Verdict("A", False, True), Verdict("B", True, False))
    assert consistent["tuned_points"] == 1.0 and consistent["position_consistent"]
    assert (consistent["tuned_hallucinates"], consistent["base_hallucinates"]) == (False, True)


def test_llm_judge_with_a_local_model_records_rubric_and_counts_unreadable_replies(tiny_lm) -> None:
    from supportbot.eval.runner import local_answerer

    judge = LLMJudge(local_answerer("judge", "tiny-random", tiny_lm), LLMJudgeConfig(max_new_tokens=4))
    rows = judge.compare_many([(_q(0), "answer one", "answer two")], kb={}, batch_size=2, progress=False)
    info = judge.describe()
    assert info["model"] == "tiny-random" and "Correctness" in info["rubric"]
    assert len(rows) == 1 and set(rows[0]["replies"]) == {"tuned_first", "base_first"}
    # tiny-random cannot write JSON: both orders are unreadable and count as a tie, never as a win.
    assert rows[0]["unparsed"] == 2 and rows[0]["tuned_points"] == 0.5
