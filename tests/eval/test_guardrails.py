"""Guardrails on generated text: PII that the sources do not contain, and profanity."""

from __future__ import annotations

from supportbot.eval.guardrails import pii_leaks, profanity_hits

SOURCES = "Email support@novapay.example and we reply within 24 hours."


def test_pii_from_the_sources_is_not_a_leak_but_new_pii_is() -> None:
    assert pii_leaks("Write to support@novapay.example for help.", SOURCES) == {}
    leaks = pii_leaks("Call Priya on 98765 43210 or mail priya.k@gmail.com, PAN ABCDE1234F.", SOURCES)
    assert leaks.get("PHONE") == 1 and leaks.get("PAN") == 1 and leaks.get("EMAIL") == 1


def test_profanity_is_matched_as_whole_words() -> None:
    assert profanity_hits("What the HELL, this is shit.") == ["shit"]
    assert profanity_hits("Scunthorpe and classic assessments") == []
