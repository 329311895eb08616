"""Grounded metrics on hand-written outputs, and the RAFT example builder on the real sample KB (BM25 only)."""

import json

import pytest

from supportbot.grounded.contract import schema_errors
from supportbot.grounded.metrics import (
    citation_precision,
    grounded_report,
    hallucinated_citations,
    json_correct,
)
from supportbot.grounded.raft import build_raft_examples
from supportbot.retrieval.chunk import chunk_articles, load_articles
from supportbot.retrieval.config import RetrievalConfig
from supportbot.retrieval.index import HybridIndex
from supportbot.retrieval.store import NumpyVectorStore


@pytest.fixture(scope="module")
def suite(repo_root):
    return json.loads((repo_root / "eval/suites/grounded_100.json").read_text(encoding="utf-8"))["questions"]


@pytest.fixture(scope="module")
def bm25_index(repo_root):
    cfg = RetrievalConfig(dense_weight=0.0)
    chunks = chunk_articles(load_articles(repo_root / "data/sample/kb"), cfg.chunk_size, cfg.chunk_overlap)
    return HybridIndex(chunks, NumpyVectorStore(), cfg, {})


def test_citation_metrics_by_hand():
    assert citation_precision(["KB-001#0", "KB-009#1", "KB-002#0"], {"KB-001", "KB-002"}) == pytest.approx(
        2 / 3
    )
    assert citation_precision([], {"KB-001"}) == 0.0
    assert hallucinated_citations(["KB-001#0", "KB-777#0"], {"KB-001#0"}) == ["KB-777#0"]


def test_report_counts_json_correctness_and_hallucinations(suite):
    ref = suite[0]["reference"]
    good = json.dumps(ref)
    invented = json.dumps(dict(ref, citations=[*ref["citations"], "KB-046#0"]))
    rows = [
        {"output": good, "gold_kb_ids": suite[0]["gold_kb_ids"], "source_chunk_ids": ref["citations"]},
        {"output": invented, "gold_kb_ids": suite[0]["gold_kb_ids"], "source_chunk_ids": ref["citations"]},
        {"output": good[:40], "gold_kb_ids": suite[0]["gold_kb_ids"], "source_chunk_ids": ref["citations"]},
    ]
    assert json_correct(good) and not json_correct(good[:40])
    report = grounded_report(rows)
    n = len(ref["citations"])
    assert report["json_correct"] == pytest.approx(2 / 3)
    assert report["citation_precision"] == pytest.approx((1 + n / (n + 1)) / 2)
    assert report["citation_hallucination_rate"] == pytest.approx(1 / (2 * n + 1))


def test_raft_examples_hold_gold_in_about_p_gold_and_otherwise_only_distractors(suite, bm25_index):
    examples = build_raft_examples(suite, bm25_index, k=4, p_gold=0.8, seed=1)
    assert len(examples) == 100
    with_gold = [e for e in examples if e["gold_in_context"]]
    assert 65 <= len(with_gold) <= 95
    for ex, rec in zip(examples, suite, strict=True):
        target = json.loads(ex["messages"][-1]["content"])
        assert schema_errors(target) == []
        context_articles = {c.split("#")[0] for c in ex["context_chunk_ids"]}
        if ex["gold_in_context"]:
            assert set(rec["reference"]["citations"]) <= set(ex["context_chunk_ids"])
            assert target == rec["reference"]
        else:
            assert not context_articles & set(rec["gold_kb_ids"]) and target["citations"] == []
        assert len(ex["context_chunk_ids"]) <= max(4, len(rec["reference"]["citations"]))
