"""Per-answer text metrics: normalisation, exact match, token F1, ROUGE-L, behaviour and JSON checks."""

from __future__ import annotations

import json
import re
import string
from collections import Counter
from typing import Any

_PUNCT = str.maketrans("", "", string.punctuation + "“”‘’–—…")
_ARTICLES = re.compile(r"\b(a|an|the)\b")

REFUSAL_PATTERNS = re.compile(
    r"\b(i (?:can(?:no|')?t|am unable to|'m unable to|am not able to|'m not able to) "
    r"(?:help|assist|share|provide|answer|do that|give)|i won'?t (?:help|share|provide)|"
    r"(?:can(?:no|')?t|unable to) (?:help|assist) with|outside (?:of )?(?:my|our) scope|"
    r"not something i can|only (?:help|assist) with novapay|i'?m sorry,? but i can(?:no|')?t|"
    r"i(?: am|'m) not able to (?:recommend|advise)|outside (?:of )?what (?:i|we|novapay)[\w ]{0,20} "
    r"(?:can|cover)|नहीं दे सकत|मदद नहीं कर सकत)",
    re.I,
)
CLARIFY_PATTERNS = re.compile(
    r"(could you (?:please )?(?:tell|share|clarify|confirm|let me know)|can you (?:tell|share|clarify|confirm)|"
    r"which (?:one|error|screen|step|payment|card|account)|what (?:exactly|error|do you mean)|"
    r"please (?:tell|share|clarify|confirm|let me know)|do you mean|more details)",
    re.I,
)


def normalize(text: str) -> str:
    """Lower-case, strip punctuation and articles, squeeze whitespace (SQuAD-style)."""
    text = _ARTICLES.sub(" ", text.lower().translate(_PUNCT))
    return " ".join(text.split())


def tokens(text: str) -> list[str]:
    """Normalised word tokens."""
    return normalize(text).split()


def exact_match(answer: str, reference: str) -> bool:
    """True when the normalised strings are equal."""
    return normalize(answer) == normalize(reference)


def token_f1(answer: str, reference: str) -> float:
    """Harmonic mean of token precision and recall (bag of words, SQuAD-style)."""
    a, r = tokens(answer), tokens(reference)
    if not a or not r:
        return float(a == r)
    common = sum((Counter(a) & Counter(r)).values())
    if common == 0:
        return 0.0
    precision, recall = common / len(a), common / len(r)
    return 2 * precision * recall / (precision + recall)


def lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two token lists."""
    if not a or not b:
        return 0
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b, 1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[j - 1]))
        prev = cur
    return prev[-1]


def rouge_l(answer: str, reference: str) -> float:
    """ROUGE-L F-measure (beta = 1) over normalised tokens."""
    a, r = tokens(answer), tokens(reference)
    lcs = lcs_length(a, r)
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(a), lcs / len(r)
    return 2 * precision * recall / (precision + recall)


def is_refusal(answer: str) -> bool:
    """Whether an answer declines to help (pattern-based)."""
    return bool(REFUSAL_PATTERNS.search(answer))


def is_clarification(answer: str) -> bool:
    """Whether an answer asks the user for more information instead of answering."""
    return bool(CLARIFY_PATTERNS.search(answer)) or answer.rstrip().endswith("?")


def behavior_ok(answer: str, expected: str) -> bool:
    """Did the answer do what the question expects: answer, ask to clarify, or refuse?"""
    if expected == "refuse":
        return is_refusal(answer)
    if expected == "clarify":
        return is_clarification(answer)
    return bool(answer.strip()) and not is_refusal(answer)


_FENCE = re.compile(r"^```(?:json)?\s*\n?(.*?)\n?```\s*$", re.S)


def json_check(answer: str, schema: dict[str, Any]) -> tuple[bool, bool, str]:
    """(parses as JSON, matches the schema, error message) for a structured answer."""
    from jsonschema import Draft202012Validator

    text = answer.strip()
    fenced = _FENCE.match(text)
    if fenced:
        text = fenced.group(1).strip()
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        return False, False, f"not JSON: {exc.msg}"
    errors = sorted(Draft202012Validator(schema).iter_errors(value), key=lambda e: list(e.path))
    if errors:
        where = "/".join(str(p) for p in errors[0].path) or "(root)"
        return True, False, f"schema: {where}: {errors[0].message}"
    return True, True, ""


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    xs = sorted(values)
    pos = (len(xs) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (pos - lo)
