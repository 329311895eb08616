"""The hallucination detector: invented specifics are flagged, specifics from the sources are not."""

from __future__ import annotations

import pytest

from supportbot.core.suites import load_kb, load_suite, support_text
from supportbot.eval.hallucination import HallucinationDetector, extract_specifics, unsupported_specifics

from .eval_data import QUESTIONS


@pytest.fixture
def sources(kb_dir, suite_path) -> str:
    """Question + reference + KB-001 for q001."""
    return support_text(load_suite(suite_path).questions[0], load_kb(kb_dir))


def test_planted_error_code_is_a_hallucination_but_a_kb_code_is_not(sources: str) -> None:
    assert unsupported_specifics("Your app shows error XZ_991, please wait.", sources) == ["code:XZ_991"]
    assert unsupported_specifics("The app shows WINDOW_CLOSED outside service hours.", sources) == []


def test_kb_article_is_a_source_beyond_the_reference(kb_dir, suite_path) -> None:
    q = load_suite(suite_path).questions[1]  # reference mentions ₹199 and 7 days, not the menu "select card"
    src = support_text(q, load_kb(kb_dir))
    assert (
        unsupported_specifics("Open Cards > select card > Block card; a new card costs Rs. 199.", src) == []
    )
    assert unsupported_specifics("Open Cards > Freeze forever; a new card costs ₹499.", src) == [
        "menu:freeze forever",
        "num:499",
    ]


def test_numbers_times_and_amounts_are_normalised(sources: str) -> None:
    assert "num:10000" in extract_specifics("a limit of ₹10,000")
    assert extract_specifics("from 9 AM to 9:00 pm") == {"time:09:00", "time:21:00"}
    assert unsupported_specifics("Agents work 9 am to 9 pm, Monday to Saturday.", sources) == []
    assert unsupported_specifics("Agents work 8 AM to 10 PM.", sources) == ["time:08:00", "time:22:00"]


def test_invented_urls_names_and_commands(sources: str) -> None:
    found = unsupported_specifics(
        "Visit https://novapay.help/kyc, enable NovaPay Turbo Mode or run `reset-kyc --force`.", sources
    )
    assert "url:https://novapay.help/kyc" in found
    assert "cmd:reset-kyc --force" in found
    assert any(f.startswith("name:novapay turbo") for f in found)


@pytest.mark.slow
def test_unsupported_sentence_needs_a_similar_source_sentence(sources: str) -> None:
    from supportbot.core.embedder import Embedder

    det = HallucinationDetector(Embedder(batch_size=64, cache=True), threshold=0.45, min_words=4)
    grounded = det.check("Video-KYC agents are available from 9 AM to 9 PM, Monday to Saturday.", sources)
    assert not grounded.hallucinated
    off = det.check("Our rewards programme gives cashback on every grocery purchase you make.", sources)
    assert off.unsupported_sentences and not off.unsupported_specifics and off.hallucinated
    courtesy = det.check("Happy to help further if you need anything else.", sources)
    assert not courtesy.hallucinated
    refusal = det.check("I'm sorry, but I can't help with that.", QUESTIONS[2]["reference_answer"])
    assert not refusal.hallucinated


def test_list_numbers_citations_and_the_pronoun_one_are_not_specifics() -> None:
    answer = "1. Open Cards [KB-026#1].\n2) Tap the one you use.\n  3. Confirm with KB-007#0 and 4 digits."
    assert extract_specifics(answer) == {"num:4"}
    assert extract_specifics("Version 1.5 costs ₹1, step 2 of 3.") == {"num:1.5", "num:1", "num:2", "num:3"}
    assert "code:KB-026" in extract_specifics("See article KB-026 for details.")  # an id, not a citation


@pytest.mark.slow
def test_the_system_prompt_is_a_source(kb_dir, suite_path) -> None:
    from supportbot.core.embedder import Embedder
    from supportbot.eval.config import EvalConfig
    from supportbot.eval.judges import ReferenceJudge
    from supportbot.eval.metrics import answer_record

    cfg = EvalConfig()
    q, kb = load_suite(suite_path).questions[0], load_kb(kb_dir)
    row = {"answer": "Agents at Acme Bank work 9 am to 9 pm.", "model": "tuned"}
    judge, detector = (
        ReferenceJudge(Embedder(batch_size=64, cache=True), cfg.reference),
        HallucinationDetector(None),
    )
    alone = answer_record(q, row, kb, judge, detector, cfg)
    prompted = answer_record(q, row, kb, judge, detector, cfg, system_prompt="You are Acme Bank's assistant.")
    assert alone["unsupported_specifics"] == ["name:acme bank"]
    assert prompted["unsupported_specifics"] == [] and not prompted["hallucinated"]
