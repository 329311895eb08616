"""Retrieval metrics (recall@k, MRR) and the measured quality of the sample index on the eval suites."""

import pytest

from supportbot.core.errors import DataError
from supportbot.eval.retrieval import evaluate_retrieval, load_questions, mrr, recall_at_k


def test_recall_and_mrr_by_hand():
    retrieved = [["a", "b", "c"], ["x", "y", "g"], ["p", "q", "r"]]
    gold = [{"a"}, {"g"}, {"z"}]
    assert recall_at_k(retrieved, gold, 1) == pytest.approx(1 / 3)
    assert recall_at_k(retrieved, gold, 3) == pytest.approx(2 / 3)
    assert mrr(retrieved, gold) == pytest.approx((1 + 1 / 3 + 0) / 3)
    assert mrr(retrieved, gold, k=2) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="2 rankings but 1 gold"):
        recall_at_k(retrieved[:2], gold[:1], 1)


def test_questions_load_from_both_suite_formats(repo_root):
    support = load_questions(repo_root / "eval/suites/support_100.json")
    grounded = load_questions(repo_root / "eval/suites/grounded_100.json")
    assert support and all(q.gold_articles for q in support)
    no_query = [q for q in grounded if "error" in q.query and "how to fix" in q.query]
    assert len(grounded) == 100 and len(no_query) >= 10  # null queries search by stage + error codes
    assert all(q.gold_chunks for q in grounded)


def test_bad_suite_is_named(tmp_path):
    bad = tmp_path / "suite.json"
    bad.write_text('{"questions": [{"id": "x", "kb_ids": ["KB-001"]}]}')
    with pytest.raises(DataError, match=r"suite.json item 0 \(x\): field 'question'"):
        load_questions(bad)


def test_grounded_suite_recall_at_5_meets_target(sample_index, repo_root):
    result = evaluate_retrieval(
        sample_index, load_questions(repo_root / "eval/suites/grounded_100.json"), k=5
    )
    assert result["recall@5"] >= 0.90, result["misses"]
    assert 0 < result["mrr@5"] <= result["recall@5"]


def test_support_suite_recall_at_5_floor(sample_index, repo_root):
    result = evaluate_retrieval(sample_index, load_questions(repo_root / "eval/suites/support_100.json"), k=5)
    assert result["recall@5"] >= 0.80, result["misses"]  # measured 0.87; Devanagari queries are the misses
