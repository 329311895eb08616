"""The troubleshoot JSON contract, and the grounded_100 suite checked against it and against the KB."""

import copy
import json

import pytest

from supportbot.grounded.contract import (
    TroubleshootRequest,
    TroubleshootResponse,
    response_schema,
    schema_errors,
)
from supportbot.retrieval.chunk import chunk_articles, load_articles
from supportbot.retrieval.config import RetrievalConfig

VALID = {
    "predicted_drop_reason": "OTP_TIMEOUT",
    "explanation": "The OTP expired after 120 seconds.",
    "steps_to_fix": ["Tap Resend OTP."],
    "confidence_score": 0.9,
    "citations": ["KB-014#0"],
    "nudge_messages": [{"text": "Resend the OTP", "style": "CTA", "language": "en", "compliance_flags": []}],
    "conversational_message": "Your OTP expired; tap Resend OTP.",
}


@pytest.fixture(scope="module")
def suite(repo_root):
    return json.loads((repo_root / "eval/suites/grounded_100.json").read_text(encoding="utf-8"))["questions"]


def test_schema_is_draft_2020_12_and_requires_every_field():
    schema = response_schema()
    assert schema["$schema"].endswith("2020-12/schema")
    assert set(schema["required"]) == set(VALID) and schema["additionalProperties"] is False
    assert schema_errors(VALID) == []
    TroubleshootResponse.model_validate(VALID)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.pop("citations"), "'citations' is a required property"),
        (lambda r: r.update(extra="x"), "Additional properties"),
        (lambda r: r.update(confidence_score=1.5), "confidence_score"),
        (lambda r: r.update(confidence_score="high"), "confidence_score"),
        (lambda r: r.update(steps_to_fix="Tap Resend OTP"), "steps_to_fix"),
        (lambda r: r["nudge_messages"][0].update(style="banner"), "nudge_messages.0.style"),
        (lambda r: r["nudge_messages"][0].pop("compliance_flags"), "nudge_messages.0"),
        (lambda r: r.update(citations=["KB-014"]), "citations.0"),
    ],
)
def test_schema_rejects_violations_and_names_the_field(change, field):
    bad = copy.deepcopy(VALID)
    change(bad)
    errors = schema_errors(bad)
    assert errors and any(field in e for e in errors), errors


def test_request_query_is_optional_but_state_is_strict():
    req = TroubleshootRequest.model_validate(
        {"user_state": {"funnel_stage": "otp", "error_codes": ["OTP_TIMEOUT"]}}
    )
    assert req.query is None and req.user_state.attempts == 0
    with pytest.raises(ValueError, match="attempts"):
        TroubleshootRequest.model_validate({"user_state": {"funnel_stage": "otp", "attempts": -1}})
    with pytest.raises(ValueError, match="extra"):
        TroubleshootRequest.model_validate({"user_state": {"funnel_stage": "otp", "mood": "sad"}})


def test_suite_shape_and_coverage(suite):
    assert len(suite) == 100 and len({q["id"] for q in suite}) == 100
    assert sum(q["query"] is None for q in suite) >= 10
    assert sum(q["tags"]["language"] != "en" for q in suite) >= 8
    for q in suite:
        TroubleshootRequest.model_validate({"user_state": q["user_state"], "query": q["query"]})
        assert q["tags"]["stage"] == q["user_state"]["funnel_stage"]


def test_every_reference_is_schema_valid_and_cites_gold_chunks_of_the_index(suite, repo_root):
    chunks = chunk_articles(load_articles(repo_root / "data/sample/kb"), **_chunk_params())
    chunk_article = {c.chunk_id: c.article_id for c in chunks}
    for q in suite:
        ref = q["reference"]
        assert schema_errors(ref) == [], (q["id"], schema_errors(ref))
        assert set(q["gold_kb_ids"]) <= set(chunk_article.values()), q["id"]
        assert ref["citations"], q["id"]
        for cid in ref["citations"]:
            assert chunk_article.get(cid) in q["gold_kb_ids"], (q["id"], cid)


def _chunk_params() -> dict[str, int]:
    cfg = RetrievalConfig()
    return {"chunk_size": cfg.chunk_size, "chunk_overlap": cfg.chunk_overlap}
