"""Sentence splitting shared by retrieval (context sentences) and eval (claim sentences)."""

from __future__ import annotations

import re

# Sentence ends, line breaks, and " - " before a capital (run-in bullets).
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+|\s+-\s+(?=[A-Z])")


def split_sentences(text: str) -> list[str]:
    """Sentences and bullet lines of a text, stripped of list markers."""
    parts = (p.strip(" \t-*•#>") for p in _SENTENCE_SPLIT.split(text))
    return [p for p in parts if p]
