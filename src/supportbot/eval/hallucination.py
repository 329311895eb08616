"""Hallucination detector: invented specifics, and answer sentences no source sentence supports.

An answer's *sources* are the question, the reference answer and the knowledge-base articles the question
cites. A *specific* is a checkable token: a number or amount, a time, an error code, a URL or e-mail, a
menu path segment (``Profile > Settings``), a product/feature name in Title Case or CamelCase, a quoted
name, or a `command`. A specific is unsupported when its normalised form is absent from the sources.
Not specifics: list numbering ("1. Open ..."), chunk-id citations ("[KB-026#1]", which the grounded eval
checks against the retrieved chunks) and the word "one" (mostly a pronoun: "the one you used").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from supportbot.core.sentences import split_sentences
from supportbot.eval.textmetrics import is_clarification, is_refusal

_NUMBER_WORDS = {
    "zero": 0,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
}
_URL = re.compile(r"\b(?:https?://|www\.)[^\s)<>\]]+", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b|\b[A-Z]{2,}-?\d{2,}\b")
_TIME = re.compile(r"\b(\d{1,2})(?::(\d{2}))?\s*([AaPp])\.?[Mm]\b\.?|\b(\d{1,2}):(\d{2})\b")
_NUMBER = re.compile(r"(?<![\w.,])\d[\d,]*(?:\.\d+)?(?![\w])")
_NUMWORD = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I)
_MENU = re.compile(r"[A-Z][\w'&-]*(?:[ ][\w'&-]+){0,4}(?:\s*>\s*[\w'&-]+(?:[ ][\w'&-]+){0,4})+")
_TITLE_PHRASE = re.compile(r"(?<=[a-z0-9,;:] )[A-Z][A-Za-z]+(?: [A-Z][a-z]+)+")
_CAMEL = re.compile(r"\b[A-Z][a-z]+[A-Z][A-Za-z]+\b")
_QUOTED = re.compile(r"[\"“']([A-Z][^\"”'\n]{2,40})[\"”']")
_BACKTICK = re.compile(r"`([^`\n]{2,60})`")
# Courtesy sentences make no claim: "Happy to help further if needed." is never a hallucination.
_PLEASANTRY = re.compile(
    r"\b(happy to help|glad to help|here to help|hope (this|that) helps|let me know|anything else|"
    r"feel free|thank(s| you)|you'?re welcome|sorry (for|about) (the|any) (trouble|inconvenience))\b",
    re.I,
)
# Not claims: list numbering ("1. Open ...") and chunk-id citations ("[KB-026#1]", checked by the grounded eval).
_LIST_NUMBER = re.compile(r"(?m)^[ \t]*\(?\d{1,2}[.)](?=\s)")
_CHUNK_CITATION = re.compile(r"\[?\b[A-Za-z][\w.-]*#\d+\b\]?")


@dataclass
class HallucinationResult:
    """What the detector found in one answer."""

    unsupported_specifics: list[str] = field(default_factory=list)  # not in the cited sources
    unsupported_sentences: list[str] = field(default_factory=list)  # no source or KB sentence supports them
    invented_specifics: list[str] = field(default_factory=list)  # not in the whole KB either (or no KB given)
    off_article_sentences: list[str] = field(default_factory=list)  # true in another KB article
    claims: list[str] = field(default_factory=list)  # the sentences that were checked

    @property
    def has_specific(self) -> bool:
        """A specific the cited sources do not state (an off-article fact or an invented one)."""
        return bool(self.unsupported_specifics)

    @property
    def has_sentence(self) -> bool:
        """A sentence with no supporting source sentence was stated."""
        return bool(self.unsupported_sentences)

    @property
    def off_article_specifics(self) -> list[str]:
        """Specifics absent from the cited sources but stated elsewhere in the KB."""
        return [s for s in self.unsupported_specifics if s not in self.invented_specifics]

    @property
    def off_article(self) -> bool:
        """A true fact from an article the question does not cite (reported apart, not a hallucination)."""
        return bool(self.off_article_specifics or self.off_article_sentences)

    @property
    def hallucinated(self) -> bool:
        """An invented specific or an unsupported claim sentence."""
        return bool(self.invented_specifics) or self.has_sentence

    @property
    def hallucinated_claims(self) -> list[str]:
        """Checked sentences that are unsupported or state an invented specific."""
        invented = set(self.invented_specifics)
        return [c for c in self.claims if c in self.unsupported_sentences or invented & extract_specifics(c)]


def _num(text: str) -> str:
    value = float(text.replace(",", ""))
    return str(int(value)) if value.is_integer() else str(value)


def _time(m: re.Match[str]) -> str:
    if m.group(3):
        hour = int(m.group(1)) % 12 + (12 if m.group(3).lower() == "p" else 0)
        minute = int(m.group(2) or 0)
    else:
        hour, minute = int(m.group(4)), int(m.group(5))
    return f"time:{hour:02d}:{minute:02d}"


def _menu_segments(match: str) -> list[str]:
    segs = [s.split() for s in match.split(">")]
    # The first segment ends in the label ("Go to Profile"); later ones start with it ("Close account and").
    out = [segs[0][-1:]] + [s[:2] for s in segs[1:]]
    return ["menu:" + " ".join(w.lower() for w in words) for words in out if words]


def extract_specifics(text: str) -> set[str]:
    """Normalised specifics stated in a text (see the module docstring for the kinds)."""
    found: set[str] = set()
    rest = _CHUNK_CITATION.sub(" ", _LIST_NUMBER.sub(" ", text))
    for rx, kind in ((_URL, "url"), (_EMAIL, "email")):
        for m in rx.finditer(rest):
            found.add(f"{kind}:{m.group(0).rstrip('.,;:').lower()}")
        rest = rx.sub(" ", rest)
    for m in _CODE.finditer(rest):
        found.add(f"code:{m.group(0)}")
    rest = _CODE.sub(" ", rest)
    for m in _TIME.finditer(rest):
        found.add(_time(m))
    rest = _TIME.sub(" ", rest)
    for m in _NUMBER.finditer(rest):
        found.add(f"num:{_num(m.group(0))}")
    for m in _NUMWORD.finditer(rest):
        found.add(f"num:{_NUMBER_WORDS[m.group(1).lower()]}")
    for m in _MENU.finditer(rest):
        found.update(_menu_segments(m.group(0)))
    for rx in (_TITLE_PHRASE, _CAMEL):
        found.update(f"name:{m.group(0).lower()}" for m in rx.finditer(rest))
    found.update(f"name:{m.group(1).lower().strip()}" for m in _QUOTED.finditer(rest))
    found.update(f"cmd:{m.group(1).strip()}" for m in _BACKTICK.finditer(rest))
    return found


def _supported(spec: str, source_specs: set[str] | frozenset[str], source_lower: str) -> bool:
    if spec in source_specs:
        return True
    kind, _, value = spec.partition(":")
    if kind in {"menu", "name", "cmd", "url", "email"}:
        return value.lower() in source_lower
    if kind == "code":
        return value in source_lower.upper()
    return False


@lru_cache(maxsize=512)
def _source_index(sources: str) -> tuple[frozenset[str], str]:
    return frozenset(extract_specifics(sources)), " ".join(sources.lower().split())


def unsupported_specifics(answer: str, sources: str) -> list[str]:
    """Specifics of the answer that the sources never state (sorted)."""
    specs, lower = _source_index(sources)
    return sorted(s for s in extract_specifics(answer) if not _supported(s, specs, lower))


def absent_from(specifics: list[str], text: str) -> list[str]:
    """The given normalised specifics that `text` does not state either (e.g. the whole knowledge base)."""
    specs, lower = _source_index(text)
    return [s for s in specifics if not _supported(s, specs, lower)]


@lru_cache(maxsize=8)
def _sentences(text: str) -> list[str]:
    return split_sentences(text)  # the whole KB is split once per eval, not once per answer


def mostly_latin(text: str) -> bool:
    """Whether most letters are Latin script (the English embedder cannot read Devanagari and the like)."""
    letters = [c for c in text if c.isalpha()]
    return not letters or sum(c.isascii() for c in letters) / len(letters) >= 0.5


def check_claim_sentences(answer: str, min_words: int) -> list[str]:
    """Answer sentences checked for support: claims in Latin script, not refusals, questions or pleasantries."""
    out = []
    for s in split_sentences(answer):
        if len(s.split()) < min_words or is_refusal(s) or (is_clarification(s) and s.endswith("?")):
            continue
        if not mostly_latin(s) or (_PLEASANTRY.search(s) and not extract_specifics(s)):
            continue
        out.append(s)
    return out


class HallucinationDetector:
    """Flags invented specifics and, with an embedder, sentences that no source sentence supports."""

    def __init__(self, embedder: object | None, threshold: float = 0.45, min_words: int = 4) -> None:
        self.embedder = embedder
        self.threshold = threshold
        self.min_words = min_words

    def check(self, answer: str, sources: str, whole_kb: str | None = None) -> HallucinationResult:
        """Both checks for one answer against its sources.

        With `whole_kb`, an unsupported sentence that a sentence of some other KB article supports is moved
        to `off_article_sentences`: true, but not from the articles the question cites.
        """
        unsupported = unsupported_specifics(answer, sources)
        invented = absent_from(unsupported, whole_kb) if whole_kb else unsupported
        result = HallucinationResult(unsupported, invented_specifics=invented)
        if self.embedder is None:
            return result
        claims = check_claim_sentences(answer, self.min_words)
        result.claims = claims
        source_sents = split_sentences(sources)
        if not claims or not source_sents:
            return result
        a = self.embedder.encode(claims)
        s = self.embedder.encode(source_sents)
        best = (a @ s.T).max(axis=1)
        unsupported = [c for c, b in zip(claims, best, strict=True) if b < self.threshold]
        if unsupported and whole_kb:
            kb_best = (self.embedder.encode(unsupported) @ self.embedder.encode(_sentences(whole_kb)).T).max(
                axis=1
            )
            result.off_article_sentences = [
                c for c, b in zip(unsupported, kb_best, strict=True) if b >= self.threshold
            ]
            unsupported = [c for c, b in zip(unsupported, kb_best, strict=True) if b < self.threshold]
        result.unsupported_sentences = unsupported
        return result
