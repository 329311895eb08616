"""Text normalisation (NFKC, control characters, whitespace) and cheap language detection."""

from __future__ import annotations

import re
import unicodedata

from supportbot.data.config import PrepareConfig
from supportbot.data.pii import scrub_pii
from supportbot.data.schema import Record

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\u200e\u200f\ufeff]")
_SPACES = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")
_DEVANAGARI = re.compile(r"[\u0900-\u097F]")


def normalize_text(text: str) -> str:
    """NFKC-normalise, drop control/zero-width characters, collapse spaces and blank lines, strip."""
    text = unicodedata.normalize("NFKC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    text = "\n".join(_SPACES.sub(" ", line).strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def normalize_tag(tag: str) -> str:
    """A tag in canonical form: normalised, lower-case, spaces as hyphens."""
    return normalize_text(tag).lower().replace(" ", "-")


def detect_language(text: str) -> str:
    """Cheap language guess: any Devanagari letter means Hindi ("hi"), otherwise English ("en")."""
    return "hi" if _DEVANAGARI.search(text) else "en"


def clean_record(
    record: Record, cfg: PrepareConfig, source: str, origin: str
) -> tuple[Record, dict[str, int]]:
    """Normalise every text field, scrub PII, fill source/origin/language, canonicalise tags."""
    pii: dict[str, int] = {}

    def clean(text: str) -> str:
        text = normalize_text(text)
        if cfg.pii.enabled:
            text, counts = scrub_pii(text, cfg.pii.allow_emails)
            for kind, n in counts.items():
                pii[kind] = pii.get(kind, 0) + n
        return text

    data = record.model_dump()
    inputs, meta = data["inputs"], data["meta"]
    inputs["question"] = clean(inputs["question"])
    inputs["context"] = clean(inputs["context"]) if inputs["context"] else None
    inputs["context"] = inputs["context"] or None
    for turn in inputs["history"]:
        turn["content"] = clean(turn["content"])
    data["outputs"]["answer"] = clean(data["outputs"]["answer"])
    meta["tags"] = list(dict.fromkeys(t for t in map(normalize_tag, meta["tags"]) if t))
    meta["source"] = meta["source"] or source
    meta["origin"] = origin
    if not meta["language"]:
        meta["language"] = detect_language(f"{inputs['question']} {data['outputs']['answer']}")
    return Record.model_validate(data), pii
