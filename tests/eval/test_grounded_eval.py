"""`supportbot eval` on a grounded suite: retrieval + enforcement per question, metrics per slice, report files."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from supportbot.eval.grounded import GroundedQuestion, aggregate_grounded, load_grounded_suite

REPO = Path(__file__).resolve().parents[2]
SUITE = str(REPO / "eval" / "suites" / "grounded_100.json")


def grounded_args(index_dir: Path, out: Path, limit: int, *sets: str) -> list[str]:
    """`supportbot eval` of tiny-random (no base) on the first `limit` grounded_100 questions."""
    args = [
        "eval",
        "-c",
        "configs/grounded.yaml",
        "--suite",
        SUITE,
        "--model",
        "tiny-random",
        "--base",
        "none",
    ]
    args += ["--limit", str(limit), "--out", str(out), "--no-progress"]
    for s in (f"retrieval.index_dir={index_dir}", *sets):
        args += ["--set", s]
    return args


def test_grounded_eval_of_the_tiny_model_reports_its_invalid_json_honestly(
    grounded_index_dir: Path, tmp_path: Path
) -> None:
    from supportbot.cli import app

    out = tmp_path / "results"
    args = grounded_args(grounded_index_dir, out, 3, "generation.max_new_tokens=12", "eval.batch_size=2")
    args += ["--set", "serve.troubleshoot.guided=false"]  # free generation + one repair retry
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "JSON correct after enforcement" in result.output
    metrics = json.loads((out / "metrics.json").read_text())
    tuned = metrics["overall"]["tuned"]
    assert tuned["n"] == 3 and tuned["json_correct"] == 0.0 and tuned["attempts_mean"] == 2.0
    assert tuned["retrieval_recall"] == 1.0 and tuned["latency_p50_s"] > 0
    assert set(metrics["slices"]) == {"stage", "error_code", "language", "query"}
    assert set(metrics["slices"]["query"]) == {"with query", "no query"}  # g002 has no query
    rows = [json.loads(line) for line in (out / "answers.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["g001", "g002", "g003"]
    assert all(len(r["outputs"]) == 2 and len(r["retrieved"]) == 3 and not r["valid"] for r in rows)
    with (out / "metrics.csv").open() as f:
        lines = list(csv.DictReader(f))
    assert {
        "slice": "overall",
        "value": "all",
        "model": "tuned",
        "metric": "json_correct",
        "number": "0.0",
    } in lines
    report = (out / "report.md").read_text()
    assert "## Slices" in report and "### by stage" in report and "Invalid answers" in report
    again = CliRunner().invoke(app, args)  # resumes: every answer is on disk, nothing is regenerated
    assert again.exit_code == 0, again.output
    assert (out / "answers.jsonl").read_text().count("\n") == 3


@pytest.fixture(scope="module")
def suite() -> list[GroundedQuestion]:
    return load_grounded_suite(SUITE)[1][:2]


def row(q: GroundedQuestion, outputs: list[str], retrieved: list[str], valid: bool) -> dict:
    response = json.loads(outputs[-1]) if valid else None
    return {
        "id": q.id, "outputs": outputs, "retrieved": retrieved, "valid": valid, "attempts": len(outputs),
        "response": response, "gold_retrieved": True, "tokens_out": 10 * len(outputs),
        "latency_s": 1.0 * len(outputs), "amortized_s": 0.5 * len(outputs),
    }  # fmt: skip


def test_metrics_count_correctness_hallucination_and_precision_by_hand(suite: list[GroundedQuestion]) -> None:
    a, b = suite
    good = json.dumps(a.reference)
    invented = json.dumps({**b.reference, "citations": [*b.reference["citations"], "KB-099#0"]})
    answers = {
        "tuned": {
            a.id: row(a, ["not json", good], a.reference["citations"], valid=True),  # repaired by the retry
            b.id: row(
                b, [invented, invented], b.reference["citations"], valid=False
            ),  # cites an unknown chunk
        }
    }
    kb_chunks = set(a.reference["citations"]) | set(b.reference["citations"])
    m = aggregate_grounded(answers, suite, kb_chunks)["overall"]["tuned"]
    n_b = len(b.reference["citations"])
    assert m["json_correct"] == 0.5 and m["json_correct_first_try"] == 0.5 and m["repaired_rate"] == 0.5
    cited = len(a.reference["citations"]) + n_b + 1
    assert m["citations"] == cited
    assert m["citation_hallucination_rate"] == pytest.approx(1 / cited)
    assert m["citation_not_in_kb_rate"] == pytest.approx(1 / cited)
    assert m["citation_hallucination_rate_first_try"] == pytest.approx(1 / (n_b + 1))
    assert m["citation_precision"] == pytest.approx((1.0 + n_b / (n_b + 1)) / 2)
    assert m["attempts_mean"] == 2.0 and m["latency_p50_s"] == 2.0


def test_guided_grounded_eval_answers_valid_json_citing_only_retrieved_chunks(
    grounded_index_dir: Path, tmp_path: Path
) -> None:
    """With serve.troubleshoot.guided the eval decodes as the guided endpoint does: even random weights
    produce schema-valid answers on the first try, and every citation is a retrieved chunk."""
    from supportbot.cli import app

    out = tmp_path / "results"
    sets = ("serve.troubleshoot.guided=true", "generation.max_new_tokens=160", "eval.batch_size=2")
    args = grounded_args(grounded_index_dir, out, 2, *sets)
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    metrics = json.loads((out / "metrics.json").read_text())
    tuned = metrics["overall"]["tuned"]
    assert tuned["json_correct"] == 1.0 and tuned["attempts_mean"] == 1.0
    assert tuned["citation_hallucination_rate"] in (0.0, None)
    assert metrics["manifest"]["guided"] is True
    rows = [json.loads(line) for line in (out / "answers.jsonl").read_text().splitlines()]
    for r in rows:
        assert set(r["response"]["citations"]) <= set(r["retrieved"])
