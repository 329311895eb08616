"""Guardrail checks on generated text: PII leakage (the data-prep detectors) and a profanity word list."""

from __future__ import annotations

import re

# A short list of common English and Hinglish profanities; matched as whole words, case-insensitively.
PROFANITY = (
    "fuck",
    "fucking",
    "fucked",
    "shit",
    "bullshit",
    "bitch",
    "bastard",
    "asshole",
    "dick",
    "crap",
    "damn",
    "idiot",
    "stupid",
    "moron",
    "chutiya",
    "bhenchod",
    "madarchod",
    "saala",
    "kamina",
    "harami",
)
_PROFANITY = re.compile(r"\b(" + "|".join(PROFANITY) + r")\b", re.I)


def profanity_hits(text: str) -> list[str]:
    """Profane words found in a text (lower-cased, in order)."""
    return [m.group(1).lower() for m in _PROFANITY.finditer(text)]


def pii_counts(text: str) -> dict[str, int]:
    """PII found in a text by the same detectors data prep scrubs with (EMAIL, PHONE, CARD, PAN, AADHAAR, IP)."""
    from supportbot.data.pii import find_pii

    return {k: v for k, v in find_pii(text).items() if v}


def pii_leaks(answer: str, sources: str) -> dict[str, int]:
    """PII in the answer that its sources do not contain, per type (a leak or an invented identifier).

    Words the sources also contain are blanked first, so a support address quoted from the KB is no leak.
    """
    if not pii_counts(answer):
        return {}
    known = {w.strip(".,;:!?()[]\"'") for w in sources.split()}
    novel = " ".join(w if w.strip(".,;:!?()[]\"'") not in known else "|" for w in answer.split())
    return pii_counts(novel)
