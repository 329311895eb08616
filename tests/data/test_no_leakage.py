"""The shipped sample data, prepared for real, has no training record near-duplicating an eval question."""

import pytest

from supportbot.data.config import PrepareConfig
from supportbot.data.leakage import find_leaks, load_suite_questions
from supportbot.data.pipeline import prepare


def test_shipped_train_split_does_not_leak_the_eval_suite(repo_root, tmp_path):
    raw = repo_root / "data" / "sample" / "raw"
    suite = repo_root / "eval" / "suites" / "support_100.json"
    if not raw.is_dir() or not suite.is_file():
        pytest.skip("data/sample/raw or eval/suites/support_100.json not written yet")
    cfg = PrepareConfig(
        input=str(repo_root / "data" / "sample"),
        out=str(tmp_path / "p"),
        stats_model=None,
        eval_suite=str(suite),
    )
    result = prepare(cfg)
    train = result.splits["train"]
    assert len(train) > 100
    assert find_leaks(train, load_suite_questions(suite), cfg.leak_threshold) == []
    assert any("/kb/" in s["file"] for s in result.summary.skipped)  # listed as skipped, never read
    assert all(r.meta.origin.startswith("raw/") for r in train)  # kb/ and other files are never training data
