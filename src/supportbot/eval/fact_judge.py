"""The offline `facts` judge: an answer scores by the key facts it carries and loses for specifics it gets wrong.

Per answer: coverage = share of the question's key facts carried (see `keyfacts`); then a penalty for each
specific the answer states beyond the reference and the question:
- *invented*: absent from the whole knowledge base, or contradicting it (a wrong number is one);
- *off-article*: true somewhere in the KB, but not in the articles the question cites;
- *extra*: in the cited articles, but not something the reference says (pasting an article earns nothing).
Clarify and refuse items score half on the behaviour (asks a question / declines) and half on coverage.
Length buys nothing: words without the facts add no coverage, extra specifics cost, and an answer more than
`verbose_ratio` times the reference's length loses `verbose_penalty` per further multiple (concision).

What it cannot see: whether prose without specifics is true ("your money is safe"), steps out of order,
menu paths stated in prose instead of as paths, and key facts a reference leaves unstated.
"""

from __future__ import annotations

from typing import Any

from supportbot.core.suites import Article, Question, support_text
from supportbot.eval.config import FactJudgeConfig
from supportbot.eval.hallucination import _source_index, _supported, extract_specifics
from supportbot.eval.judges import judgement_row
from supportbot.eval.keyfacts import bigrams, carried_facts, derive_key_facts
from supportbot.eval.textmetrics import is_clarification, is_refusal


def key_facts_of(q: Question) -> list[str]:
    """The suite's key facts for the question, or those derived from its reference when the suite has none."""
    return list(q.key_facts) if q.key_facts is not None else derive_key_facts(q.reference_answer, q.question)


class FactJudge:
    """Key-fact coverage minus penalties for invented, off-article and extra specifics (module docstring)."""

    name = "facts"

    def __init__(self, kb: dict[str, Article], cfg: FactJudgeConfig) -> None:
        self.kb = kb
        self.cfg = cfg
        self.whole_kb = "\n".join(a.text for a in kb.values())
        self.kb_bigrams = bigrams(self.whole_kb)

    def describe(self) -> dict[str, Any]:
        """What was used to judge (recorded in metrics.json)."""
        c = self.cfg
        return {
            "name": self.name,
            "model": None,
            "rubric": (
                "score = share of the question's key facts carried - "
                f"{c.invented_penalty} per invented/contradicting specific - {c.off_article_penalty} per "
                f"specific from another KB article - {c.extra_penalty} per cited-article specific the reference "
                f"does not state - {c.verbose_penalty} per reference length beyond {c.verbose_ratio}x (at most "
                f"{c.verbose_max}); penalty capped at {c.max_penalty}; clarify/refuse items: half behaviour, half "
                f"coverage; |tuned-base| <= {c.tie_band} is a tie."
            ),
        }

    def score(self, q: Question, answer: str) -> dict[str, Any]:
        """Coverage, the penalised specifics and the combined score of one answer."""
        facts = key_facts_of(q)
        anchors = self.kb_bigrams | bigrams(q.reference_answer)
        carried = carried_facts(answer, facts, anchors) if answer.strip() else []
        coverage = len(carried) / len(facts) if facts else None
        said = " ".join([q.question, q.reference_answer])
        said_specs, said_lower = _source_index(said)
        cited_specs, cited_lower = _source_index(support_text(q, self.kb))
        kb_specs, kb_lower = _source_index(self.whole_kb)
        invented, off_article, extra = [], [], []
        for spec in sorted(extract_specifics(answer)):
            if _supported(spec, said_specs, said_lower):
                continue
            if _supported(spec, cited_specs, cited_lower):
                extra.append(spec)
            elif _supported(spec, kb_specs, kb_lower):
                off_article.append(spec)
            else:
                invented.append(spec)
        c = self.cfg
        ratio = len(answer.split()) / max(1, len(q.reference_answer.split()))
        verbose = max(0.0, ratio - c.verbose_ratio)
        penalty = min(
            c.max_penalty,
            c.invented_penalty * len(invented)
            + c.off_article_penalty * len(off_article)
            + c.extra_penalty * len(extra)
            + min(c.verbose_max, c.verbose_penalty * verbose),
        )
        if q.expected_behavior == "answer":
            behaviour = bool(answer.strip()) and not is_refusal(answer)
            base = coverage if coverage is not None else float(behaviour)
        else:
            behaviour = is_refusal(answer) if q.expected_behavior == "refuse" else is_clarification(answer)
            base = 0.5 * behaviour + 0.5 * (coverage if coverage is not None else float(behaviour))
        return {
            "score": round(base - penalty, 4),
            "coverage": None if coverage is None else round(coverage, 4),
            "facts": len(facts),
            "carried": carried,
            "behaviour_ok": behaviour,
            "invented": invented,
            "off_article": off_article,
            "extra": extra,
            "length_ratio": round(ratio, 2),
        }

    def compare(self, q: Question, tuned: str, base: str) -> dict[str, Any]:
        """One judgement row: both scores, the tuned model's points and the winner."""
        return judgement_row(q.id, self.name, self.score(q, tuned), self.score(q, base), self.cfg.tie_band)
