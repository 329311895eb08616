"""Per-answer text metrics, specified on small hand-worked examples."""

from __future__ import annotations

import pytest

from supportbot.eval.textmetrics import (
    behavior_ok,
    exact_match,
    is_refusal,
    json_check,
    lcs_length,
    percentile,
    rouge_l,
    token_f1,
)


def test_exact_match_ignores_case_punctuation_and_articles() -> None:
    assert exact_match("The card is blocked!", "card is blocked")
    assert not exact_match("card is frozen", "card is blocked")


def test_token_f1_by_hand() -> None:
    # answer: block card now (3), reference: block the card today -> block card today (3); overlap 2
    assert token_f1("block card now", "block the card today") == pytest.approx(2 / 3)
    assert token_f1("", "") == 1.0
    assert token_f1("x", "y") == 0.0


def test_rouge_l_uses_the_longest_common_subsequence() -> None:
    assert lcs_length(["a", "b", "c", "d"], ["a", "c", "d", "b"]) == 3
    # tokens: go profile settings | go to profile then settings -> LCS 3, P=3/3, R=3/5
    assert rouge_l("go profile settings", "go to profile then settings") == pytest.approx(2 * 1 * 0.6 / 1.6)
    # order matters for ROUGE-L but not for token F1
    assert rouge_l("settings profile go", "go profile settings") < token_f1(
        "settings profile go", "go profile settings"
    )


def test_behaviour_refuse_clarify_answer() -> None:
    assert is_refusal("I'm sorry, but I can't share another customer's details.")
    assert behavior_ok("I can't help with that request.", "refuse")
    assert not behavior_ok("Your neighbour has ₹5,000.", "refuse")
    assert behavior_ok("Could you tell me which error code you see?", "clarify")
    assert not behavior_ok("I can't help with that.", "answer")
    assert behavior_ok("Go to Cards > Block card.", "answer")


def test_json_check_parses_and_validates() -> None:
    schema = {"type": "object", "required": ["code"], "properties": {"code": {"type": "string"}}}
    assert json_check('{"code": "OTP_TIMEOUT"}', schema) == (True, True, "")
    assert json_check('```json\n{"code": "OTP_TIMEOUT"}\n```', schema)[:2] == (True, True)
    valid, ok, err = json_check('{"code": 5}', schema)
    assert (valid, ok) == (True, False) and "code" in err
    assert json_check("code: OTP_TIMEOUT", schema)[:2] == (False, False)


def test_percentile_interpolates() -> None:
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([5.0], 95) == 5.0
