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
    """Lower-case tokens: times as `tHH:MM`, numbers without separators or currency, number words as digits,
    `30-minute` as `30 minute`, plain plurals singular."""
    text = _TIME.sub(lambda m: " " + _time(m).replace("time:", "t") + " ", text)
    text = re.sub(r"(?<=\d),(?=\d)", "", text)
    text = re.sub(r"(?<=\d)-(?=[a-zA-Z]{3,}\b)", " ", text)  # "30-minute" is "30 minute"
    text = re.sub(r"₹|\b(?:rs|inr)\.?(?=\s?\d)", " ", text, flags=re.I)
    out = []
    for tok in _TOKEN.findall(text.lower()):
        tok = _NUMBER_WORDS.get(tok, tok)
        # "30-minute lock" carries "30 minutes": a plain plural -s is not a different fact
        if len(tok) > 3 and tok.isalpha() and tok.endswith("s") and not tok.endswith(("ss", "us", "is")):
            tok = tok[:-1]
        out.append(tok)
    return out


_MENU_STOP = {
    "and", "to", "for", "then", "from", "if", "so", "or", "when", "within", "it", "you", "your", "on", "in",
    "is", "are", "until", "before", "after", "turn", "using", "with", "at", "by", "tap", "open", "choose", "select",
}  # fmt: skip


def _menu_span(reference: str, m: re.Match[str]) -> tuple[int, int]:
    """A menu path without the sentence around it: the label before the first '>' and up to 3 words after the last."""
    text = m.group(0)
    first = text.index(">")
    head = text[:first].rstrip()
    start = m.start() + len(head) - len(head.split()[-1]) if head.split() else m.start()
    last = text.rindex(">")
    words = text[last + 1 :].split()
    keep = []
    for w in words[:3]:
        if w.lower().strip(".,;:") in _MENU_STOP:
            break
        keep.append(w)
    end = m.start() + last + 1
    if keep:
        end = m.start() + text.index(keep[-1], last) + len(keep[-1])
    return start, end


def _fact_spans(reference: str) -> list[tuple[int, int]]:
    """Character spans of checkable specifics in the reference (times, amounts+unit, codes, e-mails, URLs, menus)."""
    spans: list[tuple[int, int]] = [_menu_span(reference, m) for m in _MENU.finditer(reference)]
    for rx in (_URL, _EMAIL, _CODE, _TIME):
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


def bigrams(text: str) -> set[tuple[str, str]]:
    """Adjacent pairs of normalised tokens."""
    toks = normalise_tokens(text)
    return set(zip(toks, toks[1:], strict=False))


def carries(answer_tokens: list[str], fact: str, anchors: set[tuple[str, str]] | None = None) -> bool:
    """Whether the answer's tokens contain one of the fact's alternatives ("a | b") contiguously, in order.

    A one-token fact ("18", "LIMIT_EXCEEDED") must also sit next to a word it sits next to in `anchors`
    (the reference's and the KB's word pairs), so a shuffle of the reference's words does not carry it.
    """
    for alternative in fact.split("|"):
        want = normalise_tokens(alternative)
        n = len(want)
        for i in range(len(answer_tokens) - n + 1):
            if not n or answer_tokens[i : i + n] != want:
                continue
            if n > 1 or anchors is None:
                return True
            before = answer_tokens[i - 1] if i > 0 else None
            after = answer_tokens[i + 1] if i + 1 < len(answer_tokens) else None
            if (before, want[0]) in anchors or (want[0], after) in anchors:
                return True
    return False


def carried_facts(answer: str, facts: list[str], anchors: set[tuple[str, str]] | None = None) -> list[str]:
    """The facts the answer carries (one-token facts anchored as in `carries`)."""
    toks = normalise_tokens(answer)
    return [f for f in facts if carries(toks, f, anchors)]
