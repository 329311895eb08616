"""How useful a context setting (`k`, `max_sentences`) is on a suite, before any model is trained on it.

For each question with gold articles and a reference answer, the context the model would read is retrieved
exactly as training, eval and serving retrieve it, then three things are counted:

- *gold share*: the share of context passages that come from the question's gold articles;
- *off-article prompts*: the share of questions whose context states a specific (number, code, menu path,
  name; the hallucination detector's kinds) found in neither the question, the reference nor the gold
  articles. A model that copies it is scored as hallucinating, so fewer is better;
- *reference coverage*: the share of the reference answers' specifics that the question or the context
  states, i.e. that the model can copy instead of having to know.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from supportbot.core.suites import Article, Question, support_text
from supportbot.eval.hallucination import absent_from, extract_specifics
from supportbot.retrieval.config import ContextConfig
from supportbot.retrieval.context import ContextRetriever


@dataclass(frozen=True)
class ContextQuality:
    """The three measures (see the module docstring) of one context setting on one suite."""

    k: int
    max_sentences: int | None
    questions: int
    passages_per_question: float
    words_per_question: float
    gold_share: float
    off_article_prompts: float
    reference_coverage: float

    @property
    def setting(self) -> str:
        """`k=1 max_sentences=8` (None = whole chunks)."""
        return f"k={self.k} max_sentences={self.max_sentences}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready record."""
        return {"setting": self.setting, **asdict(self)}


def measure_context(
    index: Any, cfg: ContextConfig, questions: list[Question], kb: dict[str, Article]
) -> ContextQuality:
    """Retrieve the context of every question that has gold articles and count the three measures."""
    items = [q for q in questions if q.kb_ids and q.reference_answer.strip()]
    if not items:
        raise ValueError("measure_context: no question has both gold kb ids and a reference answer")
    contexts = ContextRetriever(cfg, index=index).retrieve([q.question for q in items])
    passages = words = gold = noisy = covered = ref_specs = 0
    for q, ctx in zip(items, contexts, strict=True):
        text = "\n".join(t for _, t in ctx.passages)
        sources = support_text(q, kb)  # what the hallucination detector accepts as a source
        passages += len(ctx.passages)
        words += len(text.split())
        gold += sum(cid.split("#", 1)[0] in q.kb_ids for cid, _ in ctx.passages)
        noisy += bool(absent_from(sorted(extract_specifics(text)), sources))
        wanted = sorted(extract_specifics(q.reference_answer))
        ref_specs += len(wanted)
        covered += len(wanted) - len(absent_from(wanted, f"{q.question}\n{text}"))
    n = len(items)
    return ContextQuality(
        k=cfg.k,
        max_sentences=cfg.max_sentences,
        questions=n,
        passages_per_question=passages / n,
        words_per_question=words / n,
        gold_share=gold / max(passages, 1),
        off_article_prompts=noisy / n,
        reference_coverage=covered / max(ref_specs, 1),
    )


def parse_setting(text: str) -> tuple[int, int | None]:
    """`K:N` (k chunks, their N best sentences) or `K:all` (whole chunks) from a `--context` flag."""
    k, sep, n = text.partition(":")
    try:
        if not sep:
            raise ValueError
        return int(k), None if n.strip().lower() in {"all", "none"} else int(n)
    except ValueError:
        raise ValueError(f"--context {text!r}: expected K:N (e.g. 1:8) or K:all") from None
