"""Judge calibration: answers of known quality per suite item, and how often a judge ranks them as a person would.

Variants of each item (deterministic, derived from the suite and the KB):
- `reference`: the reference answer itself;
- `paraphrase`: the reference in other words: sentences reversed, synonyms, numbers and times re-written
  ("3 working days" -> "three working days", "9:00 AM" -> "9 am"); a rule-based rewrite, not a human one;
- `wrong_specific`: the reference with one key fact's number, time, code or menu label changed;
- `word_salad`: the reference's words shuffled;
- `echo`: the question repeated; `empty`: ""; `idk`: "I don't know.";
- `pasted_context`: the cited KB articles pasted whole (what retrieval hands the model);
- `other_article_fact`: one true sentence, with a specific, from a KB article the question does not cite.
A pair (better, worse) agrees when the judge gives `better` the higher score (a tie counts against).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from supportbot.core.sentences import split_sentences
from supportbot.core.suites import Article, Question
from supportbot.eval.fact_judge import key_facts_of
from supportbot.eval.hallucination import _CODE, _MENU, _TIME, extract_specifics

# (better, worse, minimum agreement the tests hold the default judge to; None: reported only)
PAIRS: tuple[tuple[str, str, float | None], ...] = (
    ("paraphrase", "word_salad", 0.90),
    ("paraphrase", "wrong_specific", 0.90),
    ("reference", "echo", 0.95),
    ("reference", "empty", 0.95),
    ("reference", "pasted_context", 0.95),
    ("reference", "idk", 0.95),
    ("reference", "word_salad", None),
    ("reference", "wrong_specific", None),
    ("reference", "other_article_fact", None),
    ("paraphrase", "pasted_context", None),
    ("paraphrase", "echo", None),
)
_SYNONYMS = [
    (r"\bYou can\b", "You're able to"),
    (r"\byou can\b", "you're able to"),
    (r"\bPlease\s+", ""),
    (r"\bplease\s+", ""),
    (r"\bopen\b", "go to"),
    (r"\bOpen\b", "Go to"),
    (r"\btap\b", "press"),
    (r"\bTap\b", "Press"),
    (r"\bmoney\b", "funds"),
    (r"\bimmediately\b", "right away"),
    (r"\bautomatically\b", "on its own"),
    (r"\bchoose\b", "pick"),
    (r"\bneed to\b", "have to"),
    (r"\bdon't\b", "do not"),
    (r"\bcan't\b", "cannot"),
    (r"\bisn't\b", "is not"),
    (r"\bcheck\b", "verify"),
    (r"\buntil\b", "till"),
    (r"\bIf\b", "In case"),
    (r"\bSorry\b", "Apologies"),
    (r"\bagain\b", "once more"),
    (r"\bstart\b", "begin"),
]
_DIGIT_WORDS = {
    "2": "two",
    "3": "three",
    "4": "four",
    "5": "five",
    "7": "seven",
    "10": "ten",
    "15": "fifteen",
}


def paraphrase(text: str) -> str:
    """A rule-based rewrite with the same facts: sentence order reversed, synonyms, numbers and times re-spelt."""
    sentences = split_sentences(text) or [text]
    out = " ".join(reversed(sentences)) if len(sentences) > 1 else text
    for pattern, repl in _SYNONYMS:
        out = re.sub(pattern, repl, out)
    out = re.sub(r"\b(\d{1,2}):00\s*([AP])M\b", lambda m: f"{m.group(1)} {m.group(2).lower()}m", out)
    out = re.sub(
        r"\b(\d{1,2})(?= (?:working|days|hours|minutes|times|attempts)\b)",
        lambda m: _DIGIT_WORDS.get(m.group(1), m.group(1)),
        out,
    )
    return out


def _seed(*parts: str) -> int:
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:8], 16)


def word_salad(text: str, key: str) -> str:
    """The text's words in a seeded random order."""
    words = text.split()
    random.Random(_seed("salad", key)).shuffle(words)
    return " ".join(words)


def _bump_number(fact: str) -> str | None:
    m = _TIME.search(fact)
    if m and m.group(1):
        hour = (int(m.group(1)) % 12) + 2
        return fact[: m.start(1)] + str(hour) + fact[m.end(1) :]
    m = re.search(r"\d[\d,]*", fact)
    if not m:
        return None
    digits = m.group(0).replace(",", "")
    value = int(digits) * 2 if int(digits) > 1 else int(digits) + 1
    return fact[: m.start()] + str(value) + fact[m.end() :]


def wrong_specific(q: Question, kb: dict[str, Article]) -> str | None:
    """The reference with its first changeable key fact (number, time, code or menu label) changed, or None."""
    ref = q.reference_answer
    codes = sorted({m.group(0) for a in kb.values() for m in _CODE.finditer(a.text)})
    for fact in key_facts_of(q):
        surface = fact.split("|")[0].strip()
        if surface not in ref:
            continue
        changed = _bump_number(surface)
        if changed is None and _CODE.fullmatch(surface):
            others = [c for c in codes if c != surface and c not in ref]
            changed = others[_seed(q.id) % len(others)] if others else None
        if changed is None and ">" in surface:
            changed = surface.rsplit(">", 1)[0] + "> Settings"
        if changed and changed != surface:
            return ref.replace(surface, changed, 1)
    return None


def other_article_fact(q: Question, kb: dict[str, Article]) -> str | None:
    """One sentence with a specific from an article the question does not cite (chosen by the item's id)."""
    pool = [
        s
        for aid in sorted(kb)
        if aid not in q.kb_ids
        for s in split_sentences(kb[aid].body)
        if extract_specifics(s) and len(s.split()) >= 6 and not _MENU.fullmatch(s)
    ]
    return pool[_seed("other", q.id) % len(pool)] if pool else None


def variants(q: Question, kb: dict[str, Article]) -> dict[str, str]:
    """All calibration variants of one item that can be built (wrong_specific needs a changeable key fact)."""
    out = {
        "reference": q.reference_answer,
        "paraphrase": paraphrase(q.reference_answer),
        "word_salad": word_salad(q.reference_answer, q.id),
        "echo": q.question,
        "empty": "",
        "idk": "I don't know.",
        "pasted_context": "\n\n".join(kb[k].body for k in q.kb_ids if k in kb),
    }
    wrong = wrong_specific(q, kb)
    if wrong:
        out["wrong_specific"] = wrong
    fact = other_article_fact(q, kb)
    if fact:
        out["other_article_fact"] = fact
    return out


def build_calibration_set(questions: list[Question], kb: dict[str, Article]) -> list[dict[str, Any]]:
    """One row per item: its id and its variants."""
    return [{"id": q.id, "variants": variants(q, kb)} for q in questions]


def write_calibration_set(rows: list[dict[str, Any]], path: Path) -> None:
    """Write the calibration rows as JSON lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def read_calibration_set(path: Path) -> list[dict[str, Any]]:
    """Read calibration rows written by `write_calibration_set`."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def judge_scorer(name: str, kb: dict[str, Article], cfg: Any) -> Callable[[Question, str], float]:
    """score(question, answer) of an offline judge: `facts` (default) or `reference` (similarity proxy)."""
    if name == "facts":
        from supportbot.eval.fact_judge import FactJudge

        facts = FactJudge(kb, cfg.facts)
        return lambda q, a: facts.score(q, a)["score"]
    from supportbot.core.embedder import Embedder
    from supportbot.eval.judges import ReferenceJudge

    ref = ReferenceJudge(Embedder(batch_size=64, cache=True), cfg.reference)
    return lambda q, a: ref.score(a, q.reference_answer)["score"]


def agreement(
    score: Callable[[Question, str], float], questions: list[Question], rows: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """Per pair type: n items, the share where `better` scores strictly higher, and the target."""
    by_id = {q.id: q for q in questions}
    scores: dict[str, dict[str, float]] = {}
    for row in rows:
        q = by_id[row["id"]]
        scores[q.id] = {name: score(q, text) for name, text in row["variants"].items()}
    out = []
    for better, worse, target in PAIRS:
        have = [s for s in scores.values() if better in s and worse in s]
        agree = sum(s[better] > s[worse] for s in have)
        out.append(
            {
                "better": better,
                "worse": worse,
                "n": len(have),
                "agreement": agree / len(have) if have else None,
                "target": target,
                "failures": [
                    i for i, s in scores.items() if better in s and worse in s and s[better] <= s[worse]
                ],
            }
        )
    return out


def agreement_table(results: dict[str, list[dict[str, Any]]]) -> str:
    """A markdown table: one row per pair type, one column per judge."""
    judges = list(results)
    lines = [
        "| better | worse | n | " + " | ".join(judges) + " | target |",
        "|---|---|---|" + "---|" * len(judges) + "---|",
    ]
    for k, first in enumerate(results[judges[0]]):
        cells = [f"{100 * results[j][k]['agreement']:.0f}%" for j in judges]
        target = "" if first["target"] is None else f"≥ {100 * first['target']:.0f}%"
        lines.append(
            f"| {first['better']} | {first['worse']} | {first['n']} | " + " | ".join(cells) + f" | {target} |"
        )
    return "\n".join(lines)
