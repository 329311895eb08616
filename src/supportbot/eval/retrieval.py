"""Retrieval quality: recall@k and MRR over questions with gold article (or chunk) ids."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from supportbot.core.errors import DataError
from supportbot.core.suites import read_suite


def _dedupe(ids: list[str]) -> list[str]:
    seen: set[str] = set()
    return [i for i in ids if not (i in seen or seen.add(i))]


def recall_at_k(retrieved: list[list[str]], gold: list[set[str]], k: int) -> float:
    """Share of questions with at least one gold id among their first k retrieved ids."""
    if len(retrieved) != len(gold):
        raise ValueError(f"recall_at_k: {len(retrieved)} rankings but {len(gold)} gold sets")
    if not gold:
        return 0.0
    return sum(bool(set(r[:k]) & g) for r, g in zip(retrieved, gold, strict=True)) / len(gold)


def mrr(retrieved: list[list[str]], gold: list[set[str]], k: int | None = None) -> float:
    """Mean reciprocal rank of the first gold id (0 for a question with none in the first k)."""
    if len(retrieved) != len(gold):
        raise ValueError(f"mrr: {len(retrieved)} rankings but {len(gold)} gold sets")
    if not gold:
        return 0.0
    total = 0.0
    for r, g in zip(retrieved, gold, strict=True):
        for rank, rid in enumerate(r[:k] if k else r, start=1):
            if rid in g:
                total += 1.0 / rank
                break
    return total / len(gold)


@dataclass(frozen=True)
class RetrievalQuestion:
    """A query with its gold article ids (and optionally gold chunk ids)."""

    id: str
    query: str
    gold_articles: set[str]
    gold_chunks: frozenset[str] = frozenset()


def load_questions(path: str | Path) -> list[RetrievalQuestion]:
    """Questions from a support suite (`question`, `kb_ids`) or a grounded suite (`query`/`user_state`, `gold_kb_ids`)."""
    from supportbot.grounded.prompt import retrieval_query  # grounded suites without a query search by state

    raw = read_suite(path, "eval suite")
    p = raw.path
    out = []
    for n, item in enumerate(raw.items):
        where = f"{p} item {n} ({item.get('id', '?')})"
        gold = item.get("gold_kb_ids", item.get("kb_ids"))
        if not gold:  # out-of-scope questions have no gold article and are skipped
            continue
        if "user_state" in item:
            query = retrieval_query(item["user_state"], item.get("query"))
        elif isinstance(item.get("question"), str):
            query = item["question"]
        else:
            raise DataError(f"{where}: field 'question' (or 'user_state') is missing")
        chunks = (
            frozenset(item.get("reference", {}).get("citations", [])) if "reference" in item else frozenset()
        )
        out.append(RetrievalQuestion(str(item.get("id", n)), query, set(gold), chunks))
    if not out:
        raise DataError(f"{p}: no questions with gold kb ids")
    return out


def evaluate_retrieval(index: Any, questions: list[RetrievalQuestion], k: int = 5) -> dict[str, Any]:
    """Article-level recall@k and MRR@k (a hit = any retrieved chunk from a gold article), plus misses."""
    hits = index.search_many([q.query for q in questions], k)
    articles = [_dedupe([h.article_id for h in hs]) for hs in hits]
    gold = [q.gold_articles for q in questions]
    result: dict[str, Any] = {
        "questions": len(questions),
        "k": k,
        f"recall@{k}": recall_at_k(articles, gold, k),
        f"mrr@{k}": mrr(articles, gold, k),
        "recall@1": recall_at_k(articles, gold, 1),
    }
    with_chunks = [(i, q) for i, q in enumerate(questions) if q.gold_chunks]
    if with_chunks:
        chunk_ids = [[h.chunk_id for h in hits[i]] for i, _ in with_chunks]
        gold_c = [set(q.gold_chunks) for _, q in with_chunks]
        result[f"chunk_recall@{k}"] = recall_at_k(chunk_ids, gold_c, k)
    result["misses"] = [
        {"id": q.id, "query": q.query, "gold": sorted(q.gold_articles), "got": a}
        for q, a in zip(questions, articles, strict=True)
        if not set(a[:k]) & q.gold_articles
    ]
    return result
