"""Guardrails: regex/keyword input rules answered with a safe refusal, and PII redaction of outputs."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from supportbot.serve.config import GuardrailsConfig

log = logging.getLogger("supportbot.serve")
_SENTENCE_END = re.compile(r"[.!?]\s|\n")
_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]"
)
# Cyrillic and Greek letters that look like Latin ones (after case-folding), as used to dodge keyword rules.
_CONFUSABLES = str.maketrans(
    {
        "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
        "т": "t", "у": "y", "х": "x", "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w",
        "ɡ": "g", "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
        "υ": "u", "χ": "x", "ℓ": "l",
    }
)  # fmt: skip


def normalise_for_matching(text: str) -> str:
    """The text rules are matched against: NFKC, zero-width characters removed, case-folded, look-alike
    letters mapped to Latin, and whitespace runs collapsed to one space."""
    text = _INVISIBLE.sub("", unicodedata.normalize("NFKC", text))
    text = text.casefold().translate(_CONFUSABLES)
    return " ".join(text.split())


@dataclass(frozen=True)
class Refusal:
    """A rule that matched and the answer to give instead."""

    rule: str
    message: str


def redact(text: str) -> tuple[str, dict[str, int]]:
    """Replace PII in `text` with [TYPE] placeholders (supportbot.data.pii)."""
    from supportbot.data.pii import scrub_pii

    return scrub_pii(text)


class Guardrails:
    """Applies the configured rules; `on_hit(rule, stage)` is called for every hit (metrics)."""

    def __init__(self, cfg: GuardrailsConfig, on_hit: Callable[[str, str], None] | None = None) -> None:
        self.cfg = cfg
        self.on_hit = on_hit
        self._rules = [
            (
                r.name,
                # patterns see look-alikes mapped too (not case-folded: that would turn \S into \s)
                re.compile(unicodedata.normalize("NFKC", r.pattern).translate(_CONFUSABLES), re.IGNORECASE)
                if r.pattern
                else None,
                [normalise_for_matching(k) for k in r.keywords],
                r.message or cfg.refusal,
            )
            for r in cfg.rules
        ]
        if cfg.enabled and cfg.redact_pii:
            redact("")  # fail at startup, not on the first request, if the PII module is missing

    def _hit(self, rule: str, stage: str) -> None:
        log.warning("guardrail hit: rule=%s stage=%s", rule, stage)
        if self.on_hit is not None:
            self.on_hit(rule, stage)

    def check_input(self, texts: list[str]) -> Refusal | None:
        """The first rule matching any user text, or None."""
        if not self.cfg.enabled:
            return None
        for name, pattern, keywords, message in self._rules:
            for text in texts:
                norm = normalise_for_matching(text)
                if (pattern is not None and pattern.search(norm)) or any(k in norm for k in keywords):
                    self._hit(name, "input")
                    return Refusal(name, message)
        return None

    def redact_output(self, text: str) -> str:
        """PII-redacted text (each kind found counts as a hit)."""
        if not (self.cfg.enabled and self.cfg.redact_pii) or not text:
            return text
        clean, counts = redact(text)
        for kind, n in counts.items():
            for _ in range(n):
                self._hit(f"pii:{kind.lower()}", "output")
        return clean


class StreamText:
    """Turns streamed pieces into safe deltas: cuts at stop strings, and redacts PII a sentence at a time.

    With redaction on, text is released at sentence ends (". ", "! ", "? ", newline), which PII never spans,
    so a phone number split across tokens is redacted before any of it leaves the server.
    """

    def __init__(self, guard: Guardrails, stops: list[str]) -> None:
        self.guard = guard
        self.stops = stops
        self.hold = max((len(s) for s in stops), default=1) - 1
        self.raw = ""  # everything received
        self.sent = 0  # raw characters released
        self.stopped = False
        self.out: list[str] = []  # released, redacted pieces

    def _release(self, upto: int) -> str:
        chunk = self.raw[self.sent : upto]
        self.sent = upto
        clean = self.guard.redact_output(chunk)
        self.out.append(clean)
        return clean

    def feed(self, piece: str) -> str:
        """Add a piece; return the text that may be sent now ("" if none)."""
        if self.stopped:
            return ""
        self.raw += piece
        cuts = [i for i in (self.raw.find(s, max(0, self.sent - self.hold)) for s in self.stops) if i >= 0]
        if cuts:
            self.raw = self.raw[: min(cuts)]
            self.stopped = True
            return self._release(len(self.raw))
        safe = len(self.raw) - self.hold
        if self.guard.cfg.enabled and self.guard.cfg.redact_pii:
            ends = [m.end() for m in _SENTENCE_END.finditer(self.raw, self.sent, max(safe, self.sent))]
            safe = ends[-1] if ends else self.sent
        return self._release(safe) if safe > self.sent else ""

    def finish(self) -> str:
        """The rest of the text at the end of the stream."""
        return self._release(len(self.raw)) if len(self.raw) > self.sent else ""

    def text(self) -> str:
        """All text released so far, as the client saw it."""
        return "".join(self.out)
