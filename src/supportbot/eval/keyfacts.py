"""Key facts: the short specifics a correct answer must carry, how to derive them, and whether an answer does.

A key fact is a phrase from the reference answer that a reader could check: a time ("9:00 AM"), an amount or
count with its unit ("3 working days", "₹5,000"), an error code, an e-mail or URL, or a menu path
("Profile > Payments > UPI ID"). Specifics the question already states are not key facts: echoing the
question must not earn credit. A fact is *carried* when its normalised tokens appear, in order and
contiguously, in the answer's normalised tokens, so a shuffle of the reference's words does not carry
"3 working days", while "three working days" and "9 am" do carry "3 working days" and "9:00 AM".
"""

from __future__ import annotations

import re

from supportbot.eval.hallucination import _CODE, _EMAIL, _MENU, _TIME, _URL, _time, extract_specifics

_NUMBER_WORDS = {
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "twelve": "12",
    "fifteen": "15",
    "twenty": "20",
    "thirty": "30",
}
_UNITS = {
    "day", "days", "hour", "hours", "minute", "minutes", "min", "mins", "second", "seconds", "month",
    "months", "year", "years", "digit", "digits", "working", "business", "mb", "mbps", "gb", "attempts",
    "attempt", "times", "payments", "slot", "slots", "character", "characters", "wrong", "%",
}  # fmt: skip
_AMOUNT = re.compile(r"(?:₹|rs\.?\s?|inr\s?)?\d[\d,]*(?:\.\d+)?%?", re.I)
_TOKEN = re.compile(r"t\d\d:\d\d|>|[\w@%]+(?:[.'’_-][\w@%]+)*")


def normalise_tokens(text: str) -> list[str]:
    """Lower-case tokens with times as `tHH:MM`, numbers without separators or currency, number words as digits."""
    text = _TIME.sub(lambda m: " " + _time(m).replace("time:", "t") + " ", text)
    text = re.sub(r"(?<=\d),(?=\d)", "", text)
    text = re.sub(r"₹|\b(?:rs|inr)\.?(?=\s?\d)", " ", text, flags=re.I)
    out = []
    for tok in _TOKEN.findall(text.lower()):
        out.append(_NUMBER_WORDS.get(tok, tok))
    return out


def _fact_spans(reference: str) -> list[tuple[int, int]]:
    """Character spans of checkable specifics in the reference (times, amounts+unit, codes, e-mails, URLs, menus)."""
    spans: list[tuple[int, int]] = []
    for rx in (_URL, _EMAIL, _CODE, _MENU, _TIME):
        spans += [(m.start(), m.end()) for m in rx.finditer(reference)]
    taken = [range(a, b) for a, b in spans]
    for m in _AMOUNT.finditer(reference):
        if any(m.start() in r for r in taken):
            continue
        end = m.end()
        rest = reference[end:]
        words = re.match(r"(\s+[\w%-]+){1,2}", rest)
        if words:
            unit = [w for w in words.group(0).split()]
            keep = []
            for w in unit:
                if w.lower().strip(".,;:") not in _UNITS:
                    break
                keep.append(w)
            if keep:
                end += rest.find(keep[-1]) + len(keep[-1])
        spans.append((m.start(), end))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a < merged[-1][1]:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    return merged


def derive_key_facts(reference: str, question: str = "") -> list[str]:
    """The reference's key facts (surface text, in order, deduplicated) that the question does not state."""
    asked = extract_specifics(question)
    q_tokens = " ".join(normalise_tokens(question))
    facts: list[str] = []
    seen: set[str] = set()
    for a, b in _fact_spans(reference):
        fact = reference[a:b].strip(" .,;:")
        norm = " ".join(normalise_tokens(fact))
        if not norm or norm in seen or norm in {"1", "2"} and len(fact) < 2:
            continue
        if extract_specifics(fact) and extract_specifics(fact) <= asked or f" {norm} " in f" {q_tokens} ":
            continue
        seen.add(norm)
        facts.append(fact)
    return facts


def carries(answer_tokens: list[str], fact: str) -> bool:
    """Whether the answer's normalised tokens contain the fact's tokens contiguously, in order."""
    want = normalise_tokens(fact)
    n = len(want)
    if not n:
        return False
    return any(answer_tokens[i : i + n] == want for i in range(len(answer_tokens) - n + 1))


def carried_facts(answer: str, facts: list[str]) -> list[str]:
    """The facts the answer carries."""
    toks = normalise_tokens(answer)
    return [f for f in facts if carries(toks, f)]
