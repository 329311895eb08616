"""`supportbot eval` end to end on tiny-random: a run dir vs its base, all result files, and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportbot.cli import app
from supportbot.core.errors import ConfigError, ModelNotFoundError

FAST = ["--set", "generation.max_new_tokens=6", "--set", "eval.batch_size=2", "--no-progress"]


@pytest.mark.slow
def test_eval_run_dir_vs_base_writes_all_outputs(
    tmp_path: Path, tiny_run_dir: Path, suite_path: Path, kb_dir: Path
):
    out = tmp_path / "res"
    args = [
        "eval",
        "--model",
        str(tiny_run_dir),
        "--suite",
        str(suite_path),
        "--out",
        str(out),
        "--set",
        f"eval.kb_dir={kb_dir}",
        *FAST,
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "win rate vs base" in result.output  # the summary table on the console
    for name in (
        "answers.jsonl",
        "judgements.jsonl",
        "metrics.json",
        "metrics.csv",
        "report.md",
        "slices.png",
    ):
        assert (out / name).stat().st_size > 0, name
    answers = [json.loads(x) for x in (out / "answers.jsonl").read_text().splitlines()]
    assert sorted((r["model"], r["id"]) for r in answers) == sorted(
        (m, q) for m in ("tuned", "base") for q in ("q001", "q002", "q003", "q004")
    )
    m = json.loads((out / "metrics.json").read_text())
    assert m["models"]["base"]["spec"] == "tiny-random" and m["models"]["base"]["adapter"] is None
    pair = m["overall"]["pairwise"]
    assert pair["wins"] + pair["ties"] + pair["losses"] == 4
    assert pair["win_rate"] == pytest.approx((pair["wins"] + 0.5 * pair["ties"]) / 4)
    assert set(m["slices"]) >= {"stage", "error_code", "language", "category", "expected_behavior"}
    assert m["slices"]["language"]["hi-en"]["tuned"]["n"] == 1
    assert m["training"]["train_seconds"] == 12.5 and m["judge"]["name"] == "facts"
    report = (out / "report.md").read_text()
    for heading in ("## Summary", "## Training", "## Error buckets", "### by category", "## Before / after"):
        assert heading in report
    csv_head = (out / "metrics.csv").read_text().splitlines()[0]
    assert csv_head == "slice,value,model,metric,number"

    # --rejudge scores the saved answers again: with the same judge and config, the same metrics.
    again = out.parent / "rejudged"
    rejudge = ["eval", "--rejudge", str(out), "--out", str(again), "--set", f"eval.kb_dir={kb_dir}", *FAST]
    res = CliRunner().invoke(app, rejudge)
    assert res.exit_code == 0, res.output
    m2 = json.loads((again / "metrics.json").read_text())
    for key in ("overall", "slices", "buckets", "judge", "models"):
        assert m2[key] == m[key], key
    assert m2["rejudged_from"]["results_dir"] == str(out)

    # Re-running the same command resumes: nothing is regenerated.
    stamps = (out / "answers.jsonl").read_text()
    assert CliRunner().invoke(app, args).exit_code == 0
    assert (out / "answers.jsonl").read_text() == stamps

    # Other settings in the same results dir are refused, not mixed.
    other = CliRunner().invoke(app, [*args, "--set", "generation.max_new_tokens=7"])
    assert isinstance(other.exception, ConfigError) and "different" in str(other.exception)


def test_unknown_model_and_missing_suite_are_clear(tmp_path: Path, suite_path: Path, kb_dir: Path) -> None:
    base = [
        "eval",
        "--suite",
        str(suite_path),
        "--set",
        f"eval.kb_dir={kb_dir}",
        "--out",
        str(tmp_path / "r"),
        *FAST,
    ]
    result = CliRunner().invoke(app, [*base, "--model", "no-such-model", "--base", "none"])
    assert isinstance(result.exception, ModelNotFoundError) and "unknown model 'no-such-model'" in str(
        result.exception
    )
    missing = CliRunner().invoke(
        app, ["eval", "--model", "tiny-random", "--suite", str(tmp_path / "nope.json")]
    )
    assert "suite file not found" in str(missing.exception)
    bad_judge = CliRunner().invoke(app, [*base, "--model", "tiny-random", "--judge", "gpt"])
    assert isinstance(bad_judge.exception, ConfigError) and "--judge" in str(bad_judge.exception)


@pytest.mark.slow
def test_eval_with_retrieved_context_records_chunks_and_recall(
    tmp_path: Path, suite_path: Path, kb_dir: Path
):
    out = tmp_path / "res"
    args = ["eval", "--model", "tiny-random", "--base", "none", "--suite", str(suite_path), "--out", str(out)]
    ctx = [
        f"eval.kb_dir={kb_dir}",
        f"eval.context.index_dir={tmp_path / 'idx'}",
        f"eval.context.kb_dir={kb_dir}",
    ]
    result = CliRunner().invoke(app, [*args, *[x for s in ctx for x in ("--set", s)], *FAST])
    assert result.exit_code == 0, result.output
    answers = [json.loads(x) for x in (out / "answers.jsonl").read_text().splitlines()]
    assert all(1 <= len(r["context_chunk_ids"]) <= 3 for r in answers)  # k defaults to 3
    assert (tmp_path / "idx" / "manifest.json").is_file()  # the missing index was built from the KB
    m = json.loads((out / "metrics.json").read_text())
    assert m["manifest"]["context"]["k"] == 3
    assert m["retrieval"]["questions_with_gold"] >= 1 and 0.0 <= m["retrieval"]["recall_at_k"] <= 1.0
    assert "recall@3" in (out / "report.md").read_text()
